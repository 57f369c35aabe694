"""The receivables services (DOMAIN.md section 11): every write to the receivables ledger.

- ``payment_record``: a payment, allocated to open invoices of its customer and currency; what
  is left over is refused, or kept as customer credit when asked;
- ``payment_reverse``: a reversing payment that gives the invoices their open amount back;
- ``credit_note_settle_receivable``: called when a credit note is posted; it settles the
  invoice it corrects, the rest becomes customer credit;
- ``customer_credit_apply`` / ``customer_credit_refund``: customer credit used on another open
  invoice, or paid back;
- ``invoice_mark_sent``.

Each is atomic and locks the customer first, then the invoices in primary-key order, so two
clerks recording at once cannot over-allocate an invoice or spend the same credit twice. After
each change ``invoice_payment_state_sync`` puts ``Invoice.status`` to paid when nothing is open
and back when something is open again: the only code that sets "paid".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from contracts.models import Customer
from contracts.money import round_money
from contracts.templatetags.billing_format import money
from invoicing.invoices.models import DocumentType, Invoice, InvoiceStatus
from invoicing.receivables import hooks, selectors
from invoicing.receivables.models import (
    CreditApplication,
    CustomerRefund,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)

ALREADY_SENT = gettext_lazy("This invoice is already %(status)s.")
PAYMENT_NOT_POSITIVE = gettext_lazy("A payment must be more than zero.")
PAYMENT_TOO_LARGE = gettext_lazy(
    "The payment of %(amount)s is more than the %(open)s still open; keep the surplus as "
    "customer credit to record it."
)
PAYMENT_IN_FUTURE = gettext_lazy("A payment cannot be dated in the future.")
PAYMENT_BEFORE_INVOICE = gettext_lazy(
    "The payment date %(date)s is before the date of invoice %(invoice)s (%(invoice_date)s)."
)
OTHER_CUSTOMER = gettext_lazy("Invoice %(invoice)s is not this customer's.")
OTHER_CURRENCY = gettext_lazy("Invoice %(invoice)s is in %(invoice_currency)s, not %(currency)s.")
ALLOCATION_NOT_POSITIVE = gettext_lazy("The amount for invoice %(invoice)s must be more than zero.")
ALLOCATION_MORE_THAN_OPEN = gettext_lazy(
    "%(amount)s for invoice %(invoice)s is more than the %(open)s still open on it."
)
ALLOCATIONS_MORE_THAN_PAYMENT = gettext_lazy(
    "The amounts for the invoices add up to %(allocated)s, more than the payment of %(amount)s."
)
INVOICE_TWICE = gettext_lazy("Invoice %(invoice)s is named twice.")
CREDIT_NOTE_PAYMENT = gettext_lazy("Payments are recorded on invoices, not on credit notes.")
ALREADY_PAID = gettext_lazy("This invoice is already paid.")
REVERSAL_REASON_REQUIRED = gettext_lazy("Give the reason for the reversal.")
ALREADY_REVERSED = gettext_lazy("This payment is already reversed.")
REVERSAL_NOT_REVERSIBLE = gettext_lazy("A reversal cannot itself be reversed.")
SURPLUS_ALREADY_USED = gettext_lazy(
    "%(surplus)s of this payment was kept as customer credit and only %(available)s of that "
    "credit is left; the rest was applied or refunded."
)
CREDIT_NOT_POSITIVE = gettext_lazy("The amount must be more than zero.")
CREDIT_NOT_AVAILABLE = gettext_lazy(
    "The customer has %(available)s %(currency)s of credit; %(amount)s is more than that."
)
NOTHING_OPEN = gettext_lazy("Invoice %(invoice)s has nothing open.")
DATE_IN_FUTURE = gettext_lazy("The date cannot be in the future.")


class PaymentRefused(ValueError):
    """A payment, reversal, credit application or refund the ledger cannot take."""


# One (invoice, amount) per invoice; amount None: as much as is open, up to what is left.
Allocations = Sequence[tuple[Invoice, Decimal | None]]


@transaction.atomic
def invoice_mark_sent(*, invoice: Invoice, actor: AbstractBaseUser) -> Invoice:
    """Posted -> sent."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.POSTED:
        raise PaymentRefused(ALREADY_SENT % {"status": locked.get_status_display().lower()})
    locked.mark_sent()
    locked.save(update_fields=["status", "sent_at"])
    return locked


def _lock_customer(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def _lock_invoices(ids: Iterable[int]) -> dict[int, Invoice]:
    ids = list(ids)
    # Lock first (plain rows, primary-key order), then read the open amounts.
    list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    rows = selectors.invoices_with_open_amount(Invoice.objects.filter(pk__in=ids))
    return {invoice.pk: invoice for invoice in rows}


def _open(invoice: Invoice) -> Decimal:
    return round_money(Decimal(invoice.open_amount), invoice.currency)


def _check_invoice(invoice: Invoice, *, customer: Customer, currency: str) -> None:
    if invoice.document_type != DocumentType.INVOICE:
        raise PaymentRefused(CREDIT_NOTE_PAYMENT)
    if invoice.customer_id != customer.pk:
        raise PaymentRefused(OTHER_CUSTOMER % {"invoice": invoice.number})
    if invoice.currency != currency:
        raise PaymentRefused(
            OTHER_CURRENCY
            % {
                "invoice": invoice.number,
                "invoice_currency": invoice.currency,
                "currency": currency,
            }
        )


def _check_not_future(day: datetime.date, message=PAYMENT_IN_FUTURE) -> None:
    if day > timezone.localdate():
        raise PaymentRefused(message)


@transaction.atomic
def payment_record(
    *,
    customer: Customer,
    currency: str,
    amount: Decimal,
    paid_on: datetime.date,
    allocations: Allocations | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    actor: AbstractBaseUser,
    keep_surplus_as_credit: bool = False,
    payer: str = "",
    note: str = "",
) -> Payment:
    """Record a payment and allocate it to invoices of the same customer and currency.

    ``allocations`` lists ``(invoice, amount)``; an amount of ``None`` takes as much as is open
    on the invoice, up to what is left of the payment. Without ``allocations`` the payment goes
    to the customer's open invoices in that currency, the one due first first. Refused (and
    nothing written): an amount not above zero, a date in the future or before an invoice's
    date, an invoice of another customer or currency or a credit note, more for an invoice than
    is open on it, and a payment larger than what it pays unless ``keep_surplus_as_credit``
    (the surplus is then customer credit). Invoices left with nothing open become paid."""
    amount = round_money(Decimal(amount), currency)
    if amount <= 0:
        raise PaymentRefused(PAYMENT_NOT_POSITIVE)
    _check_not_future(paid_on)
    customer = _lock_customer(customer)
    if allocations is None:
        open_ids = selectors.receivables().filter(customer=customer, currency=currency)
        allocations = [(invoice, None) for invoice in open_ids]
    ids = [invoice.pk for invoice, _part in allocations]
    locked = _lock_invoices(ids)
    left = amount
    parts: list[tuple[Invoice, Decimal]] = []
    seen: set[int] = set()
    for given, requested in allocations:
        invoice = locked[given.pk]
        if invoice.pk in seen:
            raise PaymentRefused(INVOICE_TWICE % {"invoice": invoice.number})
        seen.add(invoice.pk)
        _check_invoice(invoice, customer=customer, currency=currency)
        if paid_on < invoice.invoice_date:
            raise PaymentRefused(
                PAYMENT_BEFORE_INVOICE
                % {
                    "date": paid_on.isoformat(),
                    "invoice": invoice.number,
                    "invoice_date": invoice.invoice_date.isoformat(),
                }
            )
        open_amount = _open(invoice)
        if requested is None:
            if open_amount <= 0 and len(allocations) == 1:
                raise PaymentRefused(ALREADY_PAID)
            part = min(open_amount, left)
            if part <= 0:
                continue
        else:
            part = round_money(Decimal(requested), currency)
            if part <= 0:
                raise PaymentRefused(ALLOCATION_NOT_POSITIVE % {"invoice": invoice.number})
            if part > open_amount:
                raise PaymentRefused(
                    ALLOCATION_MORE_THAN_OPEN
                    % {
                        "amount": money(part, currency),
                        "invoice": invoice.number,
                        "open": money(open_amount, currency),
                    }
                )
        left -= part
        parts.append((invoice, part))
    if left < 0:
        raise PaymentRefused(
            ALLOCATIONS_MORE_THAN_PAYMENT
            % {"allocated": money(amount - left, currency), "amount": money(amount, currency)}
        )
    if left > 0 and not keep_surplus_as_credit:
        raise PaymentRefused(
            PAYMENT_TOO_LARGE
            % {"amount": money(amount, currency), "open": money(amount - left, currency)}
        )
    payment = Payment.objects.create(
        customer=customer,
        currency=currency,
        paid_on=paid_on,
        amount=amount,
        method=method,
        reference=reference.strip(),
        payer=payer.strip(),
        note=note.strip(),
        recorded_by=actor,
    )
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(payment=payment, invoice=invoice, amount=part) for invoice, part in parts
    )
    invoice_payment_state_sync(invoice_ids=[invoice.pk for invoice, _part in parts])
    hooks.receivable_recorded(record=payment, actor=actor)
    return payment


@transaction.atomic
def payment_reverse(
    *,
    payment: Payment,
    reason: str,
    actor: AbstractBaseUser,
    reversed_on: datetime.date | None = None,
) -> Payment:
    """Reverse a mistaken payment with a reversing record of the opposite amount (the payment
    itself stays as it was). Its invoices get their open amount back. Refused when the payment
    is a reversal or already reversed, without a reason, or when part of it was kept as
    customer credit that has since been applied or refunded."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRefused(REVERSAL_REASON_REQUIRED)
    reversed_on = reversed_on or timezone.localdate()
    _check_not_future(reversed_on, DATE_IN_FUTURE)
    _lock_customer(payment.customer)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.is_reversal:
        raise PaymentRefused(REVERSAL_NOT_REVERSIBLE)
    if Payment.objects.filter(reverses=payment).exists():
        raise PaymentRefused(ALREADY_REVERSED)
    allocations = list(payment.allocations.order_by("pk"))
    surplus = payment.amount - sum((row.amount for row in allocations), Decimal("0"))
    if surplus > 0:
        available = selectors.customer_credit_available(payment.customer, payment.currency)
        if surplus > available:
            raise PaymentRefused(
                SURPLUS_ALREADY_USED % {"surplus": surplus, "available": available}
            )
    _lock_invoices(row.invoice_id for row in allocations)
    reversal = Payment.objects.create(
        customer_id=payment.customer_id,
        currency=payment.currency,
        paid_on=reversed_on,
        amount=-payment.amount,
        method=payment.method,
        reference=payment.reference,
        payer=payment.payer,
        note=reason,
        reverses=payment,
        recorded_by=actor,
    )
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(payment=reversal, invoice_id=row.invoice_id, amount=-row.amount)
        for row in allocations
    )
    hooks.receivable_recorded(record=reversal, actor=actor)
    reopened = sorted({row.invoice_id for row in allocations})
    _credit_notes_settle_again(reopened, on=reversed_on, actor=actor)
    invoice_payment_state_sync(invoice_ids=reopened)
    return reversal


def _credit_notes_settle_again(invoice_ids, *, on: datetime.date, actor) -> None:
    """A credit note posted while its invoice was paid became customer credit; when that
    payment is reversed the invoice is open again, so what is left of the credit (and still
    unused as customer credit) settles it, as it would have at posting."""
    invoices = _lock_invoices(invoice_ids)
    credit_notes = Invoice.objects.filter(
        credited_invoice_id__in=invoice_ids, document_type=DocumentType.CREDIT_NOTE
    ).order_by("pk")
    for credit_note in credit_notes:
        invoice = invoices[credit_note.credited_invoice_id]
        if (invoice.customer_id, invoice.currency) != (
            credit_note.customer_id,
            credit_note.currency,
        ):
            continue
        used = CreditApplication.objects.filter(credit_note=credit_note).aggregate(
            total=Sum("amount")
        )["total"] or Decimal("0")
        left = min(
            -credit_note.gross_total - used,
            _open(invoice),
            selectors.customer_credit_available(invoice.customer, invoice.currency),
        )
        if left <= 0:
            continue
        application = _credit_note_apply(
            credit_note, invoice=invoice, amount=left, on=on, actor=actor
        )
        hooks.receivable_recorded(record=application, actor=actor)
        invoices = _lock_invoices(invoice_ids)  # the open amount just changed


def credit_note_settle_receivable(
    *, credit_note: Invoice, actor: AbstractBaseUser | None
) -> CreditApplication | None:
    """Settle a just-posted credit note against the invoice it corrects (registered with
    ``invoices.hooks``, so it runs inside the posting transaction): as much of the credit as is
    open on that invoice is applied to it; the rest is customer credit."""
    if credit_note.document_type != DocumentType.CREDIT_NOTE or not credit_note.credited_invoice_id:
        return None
    with transaction.atomic():
        _lock_customer(credit_note.customer)
        invoice = _lock_invoices([credit_note.credited_invoice_id])[credit_note.credited_invoice_id]
        if (
            invoice.customer_id != credit_note.customer_id
            or invoice.currency != credit_note.currency
        ):
            return None
        amount = min(-credit_note.gross_total, _open(invoice))
        if amount <= 0:
            return None
        application = _credit_note_apply(
            credit_note, invoice=invoice, amount=amount, on=credit_note.invoice_date, actor=actor
        )
        invoice_payment_state_sync(invoice_ids=[invoice.pk])
        return application


def _credit_note_apply(credit_note, *, invoice, amount, on, actor) -> CreditApplication:
    """The record of a credit note settling (part of) the invoice it corrects."""
    return CreditApplication.objects.create(
        customer_id=credit_note.customer_id,
        currency=credit_note.currency,
        invoice=invoice,
        credit_note=credit_note,
        applied_on=on,
        amount=amount,
        recorded_by=actor,
    )


@transaction.atomic
def customer_credit_apply(
    *,
    customer: Customer,
    currency: str,
    invoice: Invoice,
    actor: AbstractBaseUser,
    amount: Decimal | None = None,
    applied_on: datetime.date | None = None,
    note: str = "",
) -> CreditApplication:
    """Use customer credit to settle an open invoice of the same customer and currency
    (``amount`` None: as much as both the credit and the invoice allow). Refused beyond the
    credit available or what is open on the invoice."""
    applied_on = applied_on or timezone.localdate()
    _check_not_future(applied_on, DATE_IN_FUTURE)
    customer = _lock_customer(customer)
    locked = _lock_invoices([invoice.pk])[invoice.pk]
    _check_invoice(locked, customer=customer, currency=currency)
    open_amount = _open(locked)
    if open_amount <= 0:
        raise PaymentRefused(NOTHING_OPEN % {"invoice": locked.number})
    available = selectors.customer_credit_available(customer, currency)
    amount = min(available, open_amount) if amount is None else round_money(amount, currency)
    if amount <= 0:
        raise PaymentRefused(CREDIT_NOT_POSITIVE)
    if amount > available:
        raise PaymentRefused(
            CREDIT_NOT_AVAILABLE
            % {
                "available": money(available, currency),
                "currency": currency,
                "amount": money(amount, currency),
            }
        )
    if amount > open_amount:
        raise PaymentRefused(
            ALLOCATION_MORE_THAN_OPEN
            % {
                "amount": money(amount, currency),
                "invoice": locked.number,
                "open": money(open_amount, currency),
            }
        )
    application = CreditApplication.objects.create(
        customer=customer,
        currency=currency,
        invoice=locked,
        applied_on=applied_on,
        amount=amount,
        note=note.strip(),
        recorded_by=actor,
    )
    invoice_payment_state_sync(invoice_ids=[locked.pk])
    hooks.receivable_recorded(record=application, actor=actor)
    return application


@transaction.atomic
def customer_credit_refund(
    *,
    customer: Customer,
    currency: str,
    amount: Decimal,
    actor: AbstractBaseUser,
    refunded_on: datetime.date | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    note: str = "",
) -> CustomerRefund:
    """Record customer credit paid back to the customer; refused beyond the credit available."""
    refunded_on = refunded_on or timezone.localdate()
    _check_not_future(refunded_on, DATE_IN_FUTURE)
    amount = round_money(Decimal(amount), currency)
    if amount <= 0:
        raise PaymentRefused(CREDIT_NOT_POSITIVE)
    customer = _lock_customer(customer)
    available = selectors.customer_credit_available(customer, currency)
    if amount > available:
        raise PaymentRefused(
            CREDIT_NOT_AVAILABLE
            % {
                "available": money(available, currency),
                "currency": currency,
                "amount": money(amount, currency),
            }
        )
    refund = CustomerRefund.objects.create(
        customer=customer,
        currency=currency,
        refunded_on=refunded_on,
        amount=amount,
        method=method,
        reference=reference.strip(),
        note=note.strip(),
        recorded_by=actor,
    )
    hooks.receivable_recorded(record=refund, actor=actor)
    return refund


def invoice_payment_state_sync(*, invoice_ids: Iterable[int]) -> None:
    """Put each invoice's status to paid when nothing is open on it, and back to sent (or
    posted) when something is open again. Call it, with the invoices locked, after every change
    to the ledger; it is the only writer of "paid"."""
    for invoice in selectors.invoices_with_open_amount(
        Invoice.objects.filter(pk__in=list(invoice_ids), document_type=DocumentType.INVOICE)
    ):
        is_paid = _open(invoice) <= 0
        if is_paid and invoice.status != InvoiceStatus.PAID:
            invoice.mark_paid()
        elif not is_paid and invoice.status == InvoiceStatus.PAID:
            invoice.reopen()
        else:
            continue
        Invoice.objects.filter(pk=invoice.pk).update(status=invoice.status)
