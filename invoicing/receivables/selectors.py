"""What customers owe, read from the receivables ledger. The ONE place each figure is computed:

- ``invoices_with_open_amount(qs)``: every invoice of a list annotated with ``amount_paid``,
  ``amount_credited``, ``open_amount``, ``payment_state`` and ``is_overdue`` (in SQL, one query);
- ``invoice_open_amount(invoice)``: the same for one invoice;
- ``receivable_totals(invoices)``: what is open and overdue per currency (and per customer);
- ``customer_ledger_totals(customer_ids)``: each customer's ledger sums per currency, from which
  ``customer_credit_available(customer, currency)`` and ``customer_balance(customer, currency)``;
- ``customers_receivable(customer_ids)``: both, per customer and currency, for the customer pages.

Open amount of an invoice = gross - payments allocated to it - credit applied to it. A credit
note owes nothing: at posting it settles the invoice it corrects, the rest becomes customer
credit (``services.credit_note_settle_receivable``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Customer
from contracts.money import round_money
from invoicing.invoices.models import DocumentType, Invoice
from invoicing.receivables import statements
from invoicing.receivables.models import (
    CreditApplication,
    CustomerRefund,
    Payment,
    PaymentAllocation,
)

ZERO = Decimal("0")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
# SQLite adds decimals as floating point: an open amount within half a cent of zero is zero.
ROUNDING_SLACK = Decimal("0.004")


class PaymentState:
    OPEN = "open"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    SETTLED = "settled"  # a credit note: settled against its invoice or kept as customer credit

    LABELS = {
        OPEN: _("Open"),
        PARTLY_PAID: _("Partly paid"),
        PAID: _("Paid"),
        SETTLED: _("Settled"),
    }


def _sum_per_invoice(model, field: str = "invoice") -> Coalesce:
    total = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Round(
        Coalesce(Subquery(total, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD),
        2,
        output_field=MONEY_FIELD,
    )


def invoices_with_open_amount(
    queryset: QuerySet[Invoice] | None = None, *, today: datetime.date | None = None
) -> QuerySet[Invoice]:
    """The invoices annotated with what is paid, credited and open, their payment state and
    whether they are overdue (something open after the due date), in the same one query."""
    today = today or timezone.localdate()
    queryset = Invoice.objects.all() if queryset is None else queryset
    is_invoice = Q(document_type=DocumentType.INVOICE)
    return queryset.annotate(
        amount_paid=_sum_per_invoice(PaymentAllocation),
        amount_credited=_sum_per_invoice(CreditApplication),
    ).annotate(
        # Rounded in the query: SQLite adds decimals as floating point (28219.189999999999),
        # and a figure summed from these must add up to the cent (found by the ledger's property
        # test); on PostgreSQL the sums are exact and the rounding changes nothing.
        open_amount=Round(
            Case(
                When(is_invoice, then=F("gross_total") - F("amount_paid") - F("amount_credited")),
                default=Value(ZERO),
                output_field=MONEY_FIELD,
            ),
            2,
            output_field=MONEY_FIELD,
        ),
        payment_state=Case(
            When(~is_invoice, then=Value(PaymentState.SETTLED)),
            When(open_amount__lte=ROUNDING_SLACK, then=Value(PaymentState.PAID)),
            When(
                Q(amount_paid__gt=0) | Q(amount_credited__gt=0),
                then=Value(PaymentState.PARTLY_PAID),
            ),
            default=Value(PaymentState.OPEN),
            output_field=CharField(),
        ),
        is_overdue=Case(
            When(is_invoice & Q(open_amount__gt=ROUNDING_SLACK, due_date__lt=today), then=True),
            default=False,
            output_field=BooleanField(),
        ),
    )


def invoice_open_amount(invoice: Invoice) -> Decimal:
    """What is still open on one invoice (0 for a credit note)."""
    row = invoices_with_open_amount(Invoice.objects.filter(pk=invoice.pk)).values_list(
        "open_amount", flat=True
    )
    return round_money(Decimal(row.get()), invoice.currency)


def invoice_with_payment_state(invoice: Invoice) -> Invoice:
    """The invoice again, with the annotations of ``invoices_with_open_amount`` rounded to the
    currency (SQLite returns its sums unrounded)."""
    annotated = (
        invoices_with_open_amount(Invoice.objects.filter(pk=invoice.pk))
        .select_related("customer")
        .get()
    )
    for name in ("amount_paid", "amount_credited", "open_amount"):
        setattr(annotated, name, round_money(Decimal(getattr(annotated, name)), annotated.currency))
    return annotated


def receivables(today: datetime.date | None = None) -> QuerySet[Invoice]:
    """Invoices with something open, oldest due first, with what a receivables page shows."""
    return (
        invoices_with_open_amount(
            Invoice.objects.filter(document_type=DocumentType.INVOICE), today=today
        )
        .filter(open_amount__gt=ROUNDING_SLACK)
        .select_related("customer", "contract")
        .order_by("due_date", "sequence_number")
    )


def overdue(today: datetime.date | None = None) -> QuerySet[Invoice]:
    """Invoices with something open after their due date: the only ones reminded."""
    today = today or timezone.localdate()
    return overdue_only(receivables(today), today=today)


def overdue_only(open_invoices: QuerySet[Invoice], *, today: datetime.date) -> QuerySet[Invoice]:
    """Of ``receivables()`` (invoices with something open), those past their due date: what
    ``is_overdue`` says of them, asked on the due date alone, so that the database does not
    work each invoice's open amount out once more for it (20,000 invoices: two correlated
    subqueries each)."""
    return open_invoices.filter(due_date__lt=today)


def receivable_totals(invoices: QuerySet[Invoice], *, per_customer: bool = False) -> list[dict]:
    """What is open and overdue, and on how many invoices, per currency (and per customer when
    ``per_customer``), summed in one query from ``invoices``, a queryset of ``receivables()`` or
    ``overdue()``. Rows: ``currency`` (and ``customer_id``), ``count``, ``open``,
    ``overdue_count``, ``overdue``, amounts rounded to the currency. The receivables page, the
    dashboard and the customer pages all add up open amounts through this function."""
    keys = ("customer_id", "currency") if per_customer else ("currency",)
    rows = list(
        invoices.order_by()
        .values(*keys)
        .annotate(
            count=Count("pk"),
            open=Sum("open_amount"),
            overdue_count=Count("pk", filter=Q(is_overdue=True)),
            overdue=Coalesce(
                Sum("open_amount", filter=Q(is_overdue=True)), Value(ZERO), output_field=MONEY_FIELD
            ),
        )
        .order_by(*keys)
    )
    for row in rows:
        for name in ("open", "overdue"):
            row[name] = round_money(Decimal(row[name] or ZERO), row["currency"])
    return rows


@dataclass(frozen=True)
class LedgerTotals:
    """One customer's receivables ledger in one currency, summed (``customer_ledger_totals``)."""

    invoiced: Decimal = ZERO  # gross of invoices
    credited: Decimal = ZERO  # gross of credit notes (negative)
    paid: Decimal = ZERO  # payments less reversals
    allocated: Decimal = ZERO  # of those payments, allocated to invoices
    applied: Decimal = ZERO  # credit applied to invoices
    refunded: Decimal = ZERO

    @property
    def credit_available(self) -> Decimal:
        """Customer credit not yet used: credit notes and payments not applied to an invoice,
        less what was applied to other invoices or refunded."""
        return -self.credited + self.paid - self.allocated - self.applied - self.refunded

    @property
    def balance(self) -> Decimal:
        """What the customer owes (negative: what we owe the customer): invoices - credit notes
        - payments + refunds."""
        return self.invoiced + self.credited - self.paid + self.refunded


def customer_ledger_totals(
    customer_ids: Iterable[int], *, currency: str | None = None
) -> dict[tuple[int, str], LedgerTotals]:
    """The ledger sums of several customers per (customer id, currency), in five queries
    whatever the number of customers and rows; ``currency`` limits them to one currency."""
    customer_ids = list(customer_ids)
    sums: dict[tuple[int, str], dict[str, Decimal]] = {}

    def collect(queryset, customer: str, currency_field: str, **totals) -> None:
        if currency is not None:
            queryset = queryset.filter(**{currency_field: currency})
        rows = (
            queryset.filter(**{f"{customer}__in": customer_ids})
            .order_by()
            .values(customer, currency_field)
            .annotate(**totals)
        )
        for row in rows:
            key = (row[customer], row[currency_field])
            for name in totals:
                sums.setdefault(key, {})[name] = Decimal(row[name] or ZERO)

    is_invoice = Q(document_type=DocumentType.INVOICE)
    collect(
        Invoice.objects.all(), "customer_id", "currency",
        invoiced=Sum("gross_total", filter=is_invoice),
        credited=Sum("gross_total", filter=~is_invoice),
    )  # fmt: skip
    collect(Payment.objects.all(), "customer_id", "currency", paid=Sum("amount"))
    collect(
        PaymentAllocation.objects.all(), "payment__customer_id", "payment__currency",
        allocated=Sum("amount"),
    )  # fmt: skip
    collect(CreditApplication.objects.all(), "customer_id", "currency", applied=Sum("amount"))
    collect(CustomerRefund.objects.all(), "customer_id", "currency", refunded=Sum("amount"))
    return {
        key: LedgerTotals(**{name: round_money(amount, key[1]) for name, amount in values.items()})
        for key, values in sums.items()
    }


def customer_credit_available(customer: Customer, currency: str) -> Decimal:
    """Customer credit not yet used: credit notes and payments not applied to an invoice,
    less what was applied to other invoices or refunded. Never negative (the services see to
    it)."""
    totals = customer_ledger_totals([customer.pk], currency=currency)
    return round_money(
        totals.get((customer.pk, currency), LedgerTotals()).credit_available, currency
    )


def customer_balance(customer: Customer, currency: str) -> Decimal:
    """What the customer owes in a currency (negative: what we owe the customer): invoices -
    credit notes - payments + refunds. Always equal to the sum of the open amounts less the
    customer credit available."""
    totals = customer_ledger_totals([customer.pk], currency=currency)
    return round_money(totals.get((customer.pk, currency), LedgerTotals()).balance, currency)


@dataclass(frozen=True)
class CustomerReceivable:
    """A customer's position in one currency: what it owes (balance), what is open on its
    invoices and how much of that is overdue, and the customer credit it has not used."""

    currency: str
    balance: Decimal
    open_amount: Decimal
    overdue_amount: Decimal
    open_invoices: int
    overdue_invoices: int
    credit_available: Decimal


def customers_receivable(
    customer_ids: Iterable[int], *, today: datetime.date | None = None
) -> dict[int, list[CustomerReceivable]]:
    """Per customer, its position in every currency it has documents or payments in (currency
    order), from ``receivable_totals`` and ``customer_ledger_totals``: six queries whatever the
    number of customers, invoices and payments. Customers with nothing get an empty list."""
    customer_ids = list(customer_ids)
    open_rows = {
        (row["customer_id"], row["currency"]): row
        for row in receivable_totals(
            receivables(today).filter(customer_id__in=customer_ids), per_customer=True
        )
    }
    ledger = customer_ledger_totals(customer_ids)
    positions: dict[int, list[CustomerReceivable]] = {pk: [] for pk in customer_ids}
    for customer_id, currency in sorted(set(open_rows) | set(ledger)):
        row = open_rows.get((customer_id, currency), {})
        totals = ledger.get((customer_id, currency), LedgerTotals())
        positions[customer_id].append(
            CustomerReceivable(
                currency=currency,
                balance=round_money(totals.balance, currency),
                open_amount=row.get("open", ZERO),
                overdue_amount=row.get("overdue", ZERO),
                open_invoices=row.get("count", 0),
                overdue_invoices=row.get("overdue_count", 0),
                credit_available=round_money(totals.credit_available, currency),
            )
        )
    return positions


def invoice_payments(invoice: Invoice) -> list[PaymentAllocation]:
    """The payment allocations of an invoice (reversals included), oldest first."""
    return list(
        PaymentAllocation.objects.filter(invoice=invoice)
        .select_related("payment__recorded_by", "payment__reverses")
        .prefetch_related("payment__reversal")
        .order_by("payment__paid_on", "pk")
    )


def invoice_credit_applications(invoice: Invoice) -> list[CreditApplication]:
    return list(
        CreditApplication.objects.filter(invoice=invoice)
        .select_related("credit_note")
        .order_by("applied_on", "pk")
    )


def credit_note_settlements(credit_note: Invoice) -> list[CreditApplication]:
    return list(
        CreditApplication.objects.filter(credit_note=credit_note)
        .select_related("invoice")
        .order_by("applied_on", "pk")
    )


def customer_currencies(customer: Customer) -> list[str]:
    """The currencies a customer has documents or payments in."""
    currencies = set(customer.invoices.values_list("currency", flat=True))
    currencies |= set(customer.payments.values_list("currency", flat=True))
    return sorted(currencies)


# Statement row kinds, in the order rows of one day print.
ENTRY_KINDS = {
    "invoice": (1, pgettext_lazy("statement entry", "Invoice")),
    "credit_note": (2, pgettext_lazy("statement entry", "Credit note")),
    "credit_applied": (3, pgettext_lazy("statement entry", "Credit applied")),
    "payment": (4, pgettext_lazy("statement entry", "Payment")),
    "reversal": (5, pgettext_lazy("statement entry", "Payment reversed")),
    "refund": (6, pgettext_lazy("statement entry", "Refund")),
}


def customer_statement(
    customer: Customer,
    currency: str,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> statements.Statement:
    """The customer's statement in one currency: invoices, credit notes, payments (and their
    reversals), credit applications and refunds with a running balance, and the ageing at
    ``date_to`` (default today). Five queries, whatever the number of rows."""
    date_to = date_to or timezone.localdate()
    documents = list(
        Invoice.objects.filter(customer=customer, currency=currency).only(
            "pk", "number", "document_type", "invoice_date", "due_date", "gross_total",
            "credited_invoice_id",
        )
    )  # fmt: skip
    numbers = {document.pk: document.number for document in documents}
    payments = list(Payment.objects.filter(customer=customer, currency=currency))
    allocations = list(
        PaymentAllocation.objects.filter(payment__in=[payment.pk for payment in payments])
        .select_related("payment")
        .order_by("pk")
    )
    applications = list(CreditApplication.objects.filter(customer=customer, currency=currency))
    refunds = list(CustomerRefund.objects.filter(customer=customer, currency=currency))

    def entry(kind, day, number, description, amount=ZERO, applied=ZERO):
        return statements.Entry(
            day=day, kind=kind, number=number, description=str(description), amount=amount,
            applied=applied, order=ENTRY_KINDS[kind][0],
        )  # fmt: skip

    paid_to: dict[int, list[str]] = {}
    for allocation in allocations:
        paid_to.setdefault(allocation.payment_id, []).append(numbers.get(allocation.invoice_id, ""))
    entries = []
    for document in documents:
        if document.document_type == DocumentType.INVOICE:
            description = _("Due %(date)s") % {"date": document.due_date.isoformat()}
            entries.append(entry("invoice", document.invoice_date, document.number, description,
                                 document.gross_total))  # fmt: skip
        else:
            description = _("Corrects %(invoice)s") % {
                "invoice": numbers.get(document.credited_invoice_id, "")
            }
            entries.append(entry("credit_note", document.invoice_date, document.number,
                                 description, document.gross_total))  # fmt: skip
    for payment in payments:
        kind = "reversal" if payment.is_reversal else "payment"
        description = ", ".join(filter(None, paid_to.get(payment.pk, [])))
        if payment.is_reversal and payment.note:
            description = f"{description} ({payment.note})" if description else payment.note
        entries.append(entry(kind, payment.paid_on, payment.reference, description,
                             -payment.amount))  # fmt: skip
    for application in applications:
        source = numbers.get(application.credit_note_id, "") or _("customer credit")
        description = _("%(source)s applied to %(invoice)s") % {
            "source": source,
            "invoice": numbers.get(application.invoice_id, ""),
        }
        entries.append(entry("credit_applied", application.applied_on, "", description,
                             applied=application.amount))  # fmt: skip
    for refund in refunds:
        entries.append(entry("refund", refund.refunded_on, refund.reference, refund.note,
                             refund.amount))  # fmt: skip
    settlements: dict[int, list] = {}
    for allocation in allocations:
        settlements.setdefault(allocation.invoice_id, []).append(
            (allocation.payment.paid_on, allocation.amount)
        )
    for application in applications:
        settlements.setdefault(application.invoice_id, []).append(
            (application.applied_on, application.amount)
        )
    items = [
        statements.OpenItem(
            number=document.number,
            due_date=document.due_date,
            gross=document.gross_total,
            settlements=tuple(settlements.get(document.pk, ())),
        )
        for document in documents
        if document.document_type == DocumentType.INVOICE and document.invoice_date <= date_to
    ]
    return statements.statement_build(
        entries=entries, items=items, date_from=date_from, date_to=date_to
    )


def entry_kind_label(kind: str) -> str:
    return str(ENTRY_KINDS[kind][1])
