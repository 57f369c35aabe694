"""Every write to the books: the chart-of-accounts mapping, the vouchers of posted documents
and receivables records (called inside the transaction that writes them, through the hooks
registered in ``InvoicingConfig.ready()``), reversing vouchers, and the export log.

A voucher takes the next number of its legal entity's series inside the same transaction as
the event it books (django-sequences: a rolled-back posting or payment gives its number back,
so the series has no gaps). Booking one document costs a handful of queries whatever its
size: the mapping (one query), the transactions and credited lines behind its lines when the
caller did not pass them (one each), the number, the voucher and its lines (one bulk insert).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from sequences import get_next_value

from contracts.models import LegalEntity, ProjectContract, TransactionKind
from contracts.selectors import exchange_rate_for
from invoicing.invoices.models import DocumentType, InternalCharge, Invoice, InvoiceLine
from invoicing.ledger import vouchers
from invoicing.ledger.charts import standard_chart_for
from invoicing.ledger.models import (
    AccountRule,
    LedgerAccount,
    Voucher,
    VoucherKind,
    VoucherLine,
    VoucherSeries,
)
from invoicing.ledger.vouchers import AccountMap, LineRole, Purpose, Rule
from invoicing.receivables.models import CreditApplication, CustomerRefund, Payment
from invoicing.receivables.payments import PaymentRefused
from invoicing.transactions.models import ProjectTransaction

NO_RATE = _(
    "There is no exchange rate from %(currency)s to %(base)s on or before %(date)s: enter one "
    "under Exchange rates, so the books can show the amount in %(base)s."
)
SEVERAL_ENTITIES = _(
    "This payment pays invoices of several legal entities (%(entities)s); record one payment "
    "per legal entity, so each one's books show what it received."
)
ENTITY_UNKNOWN = _(
    "%(customer)s is invoiced by several legal entities (or by none yet), so the books cannot "
    "tell whose money this is: record it against an invoice."
)
MAPPING_INCOMPLETE = _(
    "The chart of accounts of %(entity)s is incomplete: %(problem)s Complete it under Books, "
    "Chart of accounts."
)
UNBALANCED = _("The voucher does not balance: %(problem)s")
NOT_ALLOWED = _("Your role cannot reverse vouchers.")
ALREADY_REVERSED = _("Voucher %(voucher)s is already reversed.")
REVERSAL_NOT_REVERSIBLE = _("A reversing voucher cannot itself be reversed.")
PAYMENT_VOUCHER = _(
    "Voucher %(voucher)s books a payment: reverse the payment under Receivables, which "
    "reverses its voucher too and gives the invoices their open amount back."
)
REASON_REQUIRED = _("Give the reason for the reversal.")
DATE_IN_FUTURE = _("The date cannot be in the future.")


# Texts written into the books, in the entity's language (``_book_text``).
TEXT_CREDIT_NOTE = gettext_noop("Credit note %(number)s, %(customer)s")
TEXT_INVOICE = gettext_noop("Invoice %(number)s, %(customer)s")
TEXT_INTERNAL_CHARGE = gettext_noop("Internal charge, %(organization)s")
TEXT_PAYMENT_REVERSAL = gettext_noop("Reversal of payment %(voucher)s, %(customer)s: %(reason)s")
TEXT_PAYMENT_REVERSAL_UNBOOKED = gettext_noop("Reversal of payment, %(customer)s: %(reason)s")
TEXT_PAYMENT = gettext_noop("Payment, %(customer)s %(reference)s")
TEXT_CREDIT_APPLICATION = gettext_noop(
    "Customer credit applied to invoice %(number)s, %(customer)s"
)
TEXT_REFUND = gettext_noop("Refund of customer credit, %(customer)s")
TEXT_REVERSAL = gettext_noop("Reversal of %(voucher)s: %(reason)s")

#: The language of the texts written into an entity's books (they go into the SIE file).
BOOK_LANGUAGES = {"SE": "sv", "DK": "da"}


def _book_text(entity: LegalEntity, message: str, **params) -> str:
    with translation.override(BOOK_LANGUAGES.get(str(entity.country), "en")):
        return (gettext(message) % params)[:200]


# ------------------------------------------------------------------------------------------
# The mapping
# ------------------------------------------------------------------------------------------


def account_map_from_rules(rules: Sequence[AccountRule]) -> AccountMap:
    single: dict[str, str] = {}
    others: list[Rule] = []
    names: dict[str, str] = {}
    for rule in rules:
        names[rule.account.number] = rule.account.name
        if rule.purpose in Purpose.SINGLE:
            single[rule.purpose] = rule.account.number
        else:
            others.append(
                Rule(
                    rule.purpose,
                    rule.account.number,
                    kind=rule.kind,
                    category_id=rule.category_id,
                    vat_category=rule.vat_category,
                    vat_rate=rule.vat_rate,
                )
            )
    return AccountMap(single=single, rules=tuple(others), names=names)


def _rules(legal_entity: LegalEntity) -> list[AccountRule]:
    return list(
        AccountRule.objects.filter(legal_entity=legal_entity)
        .select_related("account")
        .order_by("pk")
    )


def chart_account_map(*, legal_entity: LegalEntity) -> AccountMap:
    """The entity's mapping (one query); an entity without one first gets its country's
    standard chart (``chart_defaults_install``)."""
    rules = _rules(legal_entity)
    if not rules:
        chart_defaults_install(legal_entity=legal_entity)
        rules = _rules(legal_entity)
    return account_map_from_rules(rules)


@transaction.atomic
def chart_defaults_install(*, legal_entity: LegalEntity) -> None:
    """Give a legal entity without a mapping its country's standard chart (BAS, or the Danish
    standard chart for Denmark). The entity's row is locked, so two postings at once install
    it once. Does nothing when the entity has a mapping."""
    LegalEntity.objects.select_for_update().filter(pk=legal_entity.pk).first()
    if AccountRule.objects.filter(legal_entity=legal_entity).exists():
        return
    chart = standard_chart_for(str(legal_entity.country))
    existing = set(
        LedgerAccount.objects.filter(legal_entity=legal_entity).values_list("number", flat=True)
    )
    LedgerAccount.objects.bulk_create(
        LedgerAccount(legal_entity=legal_entity, number=number, name=name)
        for number, name in chart.accounts.items()
        if number not in existing
    )
    accounts = {
        account.number: account
        for account in LedgerAccount.objects.filter(legal_entity=legal_entity)
    }
    AccountRule.objects.bulk_create(
        AccountRule(
            legal_entity=legal_entity,
            purpose=rule.purpose,
            account=accounts[rule.account],
            kind=rule.kind,
            vat_category=rule.vat_category,
            vat_rate=rule.vat_rate,
        )
        for rule in chart.rules
    )


@transaction.atomic
def chart_update(
    *,
    legal_entity: LegalEntity,
    accounts: Sequence[tuple[str, str]],
    rules: Sequence[dict],
    actor: AbstractBaseUser,
) -> None:
    """Replace the entity's mapping with ``accounts`` ((number, name) pairs) and ``rules``
    (dicts of purpose, account number, kind, category, vat_category, vat_rate), checked first
    by ``mapping.mapping_problems``. Written vouchers keep the accounts they were written
    with."""
    from invoicing.ledger.mapping import mapping_problems

    if not actor.has_perm("invoicing.change_accountrule"):
        raise PermissionDenied(_("Your role cannot change the chart of accounts."))
    problems = mapping_problems(accounts=accounts, rules=rules)
    if problems:
        raise ValidationError(problems)
    LegalEntity.objects.select_for_update().filter(pk=legal_entity.pk).first()
    AccountRule.objects.filter(legal_entity=legal_entity).delete()
    wanted = dict(accounts)
    LedgerAccount.objects.filter(legal_entity=legal_entity).exclude(number__in=wanted).delete()
    kept = {
        account.number: account
        for account in LedgerAccount.objects.filter(legal_entity=legal_entity)
    }
    for number, name in wanted.items():
        if number in kept:
            if kept[number].name != name:
                kept[number].name = name
                kept[number].save(update_fields=["name"])
        else:
            kept[number] = LedgerAccount.objects.create(
                legal_entity=legal_entity, number=number, name=name
            )
    AccountRule.objects.bulk_create(
        AccountRule(
            legal_entity=legal_entity,
            purpose=rule["purpose"],
            account=kept[rule["account"]],
            kind=rule.get("kind") or "",
            category=rule.get("category"),
            vat_category=rule.get("vat_category") or "",
            vat_rate=rule.get("vat_rate"),
        )
        for rule in rules
    )


# ------------------------------------------------------------------------------------------
# Writing vouchers
# ------------------------------------------------------------------------------------------


def _voucher_write(
    *,
    legal_entity: LegalEntity,
    series: str,
    kind: str,
    date: datetime.date,
    text: str,
    currency: str,
    rate: Decimal | None,
    lines: Sequence[vouchers.Line],
    names: dict[str, str],
    actor: AbstractBaseUser | None,
    **source,
) -> Voucher | None:
    """Number and write one voucher and its lines (one bulk insert). Nothing is written for
    a document whose every amount is zero."""
    if not lines:
        return None
    balance = vouchers.lines_balance(lines)
    if balance != 0:
        raise ValidationError(UNBALANCED % {"problem": balance})
    number = get_next_value(f"voucher-{legal_entity.pk}-{series}")
    voucher = Voucher.objects.create(
        legal_entity=legal_entity,
        series=series,
        number=number,
        kind=kind,
        date=date,
        text=text,
        currency=currency,
        exchange_rate=rate,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **source,
    )
    VoucherLine.objects.bulk_create(
        VoucherLine(
            voucher=voucher,
            account=line.account,
            account_name=names.get(line.account, "")[:100],
            amount=line.amount,
            currency_amount=line.currency_amount,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            text=line.text[:200],
        )
        for line in lines
    )
    return voucher


def _book(
    *,
    entity: LegalEntity,
    accounts,
    currency: str,
    rate: Decimal | None,
    legs: Callable[[], Sequence],
    **voucher,
) -> Voucher | None:
    """The legs (made by ``legs()``) as lines in the entity's currency, written as one voucher;
    a leg the mapping has no account for refuses the whole event, saying what to do."""
    try:
        lines = vouchers.voucher_lines(
            legs(), accounts=accounts, base_currency=entity.base_currency, currency=currency
        )
    except vouchers.MappingIncomplete as problem:
        raise _mapping_refused(entity, problem) from None
    return _voucher_write(
        legal_entity=entity,
        currency=currency,
        rate=rate,
        lines=lines,
        names=dict(accounts.names),
        **voucher,
    )


def _mapping_refused(entity: LegalEntity, problem: Exception) -> ValidationError:
    return ValidationError(MAPPING_INCOMPLETE % {"entity": entity.name, "problem": problem})


def _rate_on(currency: str, entity: LegalEntity, day: datetime.date) -> Decimal | None:
    if currency == entity.base_currency:
        return None
    found = exchange_rate_for(currency=currency, quote_currency=entity.base_currency, on_date=day)
    return found.rate if found else None


def _rate_required(
    currency: str, entity: LegalEntity, day: datetime.date, fallback: Decimal | None = None
) -> Decimal | None:
    """The rate of ``day`` (None for the entity's own currency), else ``fallback``, else a
    refusal that says which rate to enter."""
    if currency == entity.base_currency:
        return None
    rate = _rate_on(currency, entity, day) or fallback
    if rate is None:
        raise PaymentRefused(
            NO_RATE % {"currency": currency, "base": entity.base_currency, "date": day.isoformat()}
        )
    return rate


def invoice_booked_rate(invoice: Invoice) -> Decimal | None:
    """The rate the invoice was booked with: the one frozen on it at posting (None in the
    entity's own currency); for an older invoice without one, the rate of its date."""
    if invoice.currency == invoice.legal_entity.base_currency:
        return None
    frozen = (invoice.snapshot or {}).get("tax_currency") or {}
    if frozen.get("rate"):
        return Decimal(frozen["rate"])
    return _rate_required(invoice.currency, invoice.legal_entity, invoice.invoice_date)


# ------------------------------------------------------------------------------------------
# Posted documents (registered with ``invoices.hooks``)
# ------------------------------------------------------------------------------------------


def document_posted_book(
    *,
    document: Invoice | InternalCharge,
    actor: AbstractBaseUser,
    lines: Sequence[InvoiceLine] | None = None,
    taxes=None,
) -> Voucher | None:
    """Book a just-posted invoice, credit note or internal charge, inside the posting
    transaction. ``lines`` and ``taxes`` are the rows posting just wrote (read again when not
    given)."""
    if isinstance(document, InternalCharge):
        return _internal_charge_book(document, actor=actor)
    return _invoice_book(document, actor=actor, lines=lines, taxes=taxes)


def _transactions_of(lines: Sequence[InvoiceLine]) -> dict[int, dict]:
    """kind, category, billing rule and milestone of each line's transaction: from the line
    when posting passed it with its transaction, else one query."""
    found: dict[int, dict] = {}
    missing = set()
    for line in lines:
        if line.transaction_id is None:
            continue
        if InvoiceLine.transaction.is_cached(line):
            record = line.transaction
            found[record.pk] = {
                "kind": record.kind,
                "category_id": record.category_id,
                "billing_rule_id": record.billing_rule_id,
                "milestone_id": record.milestone_id,
            }
        else:
            missing.add(line.transaction_id)
    if missing:
        for row in ProjectTransaction.objects.filter(pk__in=missing).values(
            "pk", "kind", "category_id", "billing_rule_id", "milestone_id"
        ):
            found[row.pop("pk")] = row
    return found


def _is_prepayment(record: dict | None) -> bool:
    """A transaction of its own on account (not a rule's nor a milestone's) is a prepayment
    (as ``proposals.prepayments.is_prepayment_line`` decides)."""
    return bool(
        record
        and record["kind"] == TransactionKind.ON_ACCOUNT
        and record["billing_rule_id"] is None
        and record["milestone_id"] is None
    )


def _line_role(line_type: str, record: dict | None) -> str:
    if line_type in ("retention", "retention_release"):
        return LineRole.RETENTION
    if line_type == "deduction" or (line_type == "transaction" and _is_prepayment(record)):
        return LineRole.PREPAYMENT
    return LineRole.REVENUE


def _document_lines(lines: Sequence[InvoiceLine]) -> tuple[vouchers.DocumentLine, ...]:
    records = _transactions_of(lines)
    credited_ids = {line.credited_line_id for line in lines if line.credited_line_id}
    credited = {}
    if credited_ids:
        for row in InvoiceLine.objects.filter(pk__in=credited_ids).values(
            "pk",
            "line_type",
            "transaction__kind",
            "transaction__billing_rule_id",
            "transaction__milestone_id",
        ):
            record = {
                "kind": row["transaction__kind"],
                "billing_rule_id": row["transaction__billing_rule_id"],
                "milestone_id": row["transaction__milestone_id"],
            }
            credited[row["pk"]] = _line_role(row["line_type"], record)
    result = []
    for line in lines:
        record = records.get(line.transaction_id)
        if line.line_type == "credit" and line.credited_line_id in credited:
            role = credited[line.credited_line_id]
        else:
            role = _line_role(line.line_type, record)
        result.append(
            vouchers.DocumentLine(
                amount=line.amount,
                role=role,
                kind=line.kind or (record["kind"] if record else ""),
                category_id=record["category_id"] if record and "category_id" in record else None,
                vat_category=line.vat_category,
                vat_rate=line.tax_rate,
            )
        )
    return tuple(result)


def _invoice_book(invoice: Invoice, *, actor, lines, taxes) -> Voucher | None:
    entity = invoice.legal_entity
    if lines is None:
        lines = list(invoice.lines.select_related("transaction").order_by("pk"))
    if taxes is None:
        taxes = list(invoice.taxes.all())
    is_credit_note = invoice.document_type == DocumentType.CREDIT_NOTE
    settled = Decimal("0")
    if is_credit_note:
        settled = CreditApplication.objects.filter(credit_note=invoice).aggregate(
            total=Sum("amount")
        )["total"] or Decimal("0")
    rate = invoice_booked_rate(invoice)
    document = vouchers.SalesDocument(
        currency=invoice.currency,
        gross=invoice.gross_total,
        lines=_document_lines(lines),
        taxes=tuple(vouchers.DocumentVat(tax.vat_category, tax.rate, tax.amount) for tax in taxes),
        rate=rate,
        is_credit_note=is_credit_note,
        settled=settled,
    )
    customer = invoice.customer.name
    text = (
        _book_text(entity, TEXT_CREDIT_NOTE, number=invoice.number, customer=customer)
        if is_credit_note
        else _book_text(entity, TEXT_INVOICE, number=invoice.number, customer=customer)
    )
    accounts = chart_account_map(legal_entity=entity)
    return _book(
        entity=entity,
        accounts=accounts,
        currency=invoice.currency,
        rate=rate,
        legs=lambda: vouchers.sales_document_legs(document, accounts=accounts),
        series=VoucherSeries.SALES,
        kind=VoucherKind.CREDIT_NOTE if is_credit_note else VoucherKind.INVOICE,
        date=invoice.invoice_date,
        text=text,
        actor=actor,
        invoice=invoice,
    )


def _internal_charge_book(charge: InternalCharge, *, actor) -> Voucher | None:
    contract = charge.proposal.contract
    entity = contract.legal_entity
    rate = _rate_required(contract.currency, entity, charge.charge_date)
    accounts = chart_account_map(legal_entity=entity)
    return _book(
        entity=entity,
        accounts=accounts,
        currency=contract.currency,
        rate=rate,
        legs=lambda: vouchers.internal_charge_legs(
            amount=charge.amount, rate=rate, accounts=accounts
        ),
        series=VoucherSeries.INTERNAL,
        kind=VoucherKind.INTERNAL_CHARGE,
        date=charge.charge_date,
        text=_book_text(entity, TEXT_INTERNAL_CHARGE, organization=charge.funding_source.name),
        actor=actor,
        internal_charge=charge,
    )


# ------------------------------------------------------------------------------------------
# Receivables records (registered with ``receivables.hooks``)
# ------------------------------------------------------------------------------------------


def customer_legal_entity(customer, currency: str) -> LegalEntity:
    """Whose books money of a customer belongs to when no invoice says so (a payment kept
    wholly as customer credit, a refund): the one legal entity that invoiced the customer in
    that currency; else the one whose contracts name the customer; else, when there is only
    one legal entity, that one. Anything else is ambiguous and refused."""
    ids = set(
        Invoice.objects.filter(customer=customer, currency=currency)
        .values_list("legal_entity_id", flat=True)
        .distinct()
    )
    if not ids:
        ids = set(
            ProjectContract.objects.filter(customer=customer)
            .values_list("legal_entity_id", flat=True)
            .distinct()
        )
    if not ids:
        ids = set(LegalEntity.objects.values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        raise PaymentRefused(ENTITY_UNKNOWN % {"customer": customer.name})
    return LegalEntity.objects.get(pk=ids.pop())


def receivable_recorded_book(
    *, record: Payment | CreditApplication | CustomerRefund, actor
) -> Voucher | None:
    """Book a just-written receivables record inside its transaction."""
    if isinstance(record, Payment):
        return _payment_book(record, actor=actor)
    if isinstance(record, CreditApplication):
        return _credit_application_book(record, actor=actor)
    return _refund_book(record, actor=actor)


def _payment_book(payment: Payment, *, actor) -> Voucher | None:
    allocations = list(payment.allocations.select_related("invoice__legal_entity").order_by("pk"))
    entities = {row.invoice.legal_entity_id: row.invoice.legal_entity for row in allocations}
    if len(entities) > 1:
        names = ", ".join(sorted(entity.name for entity in entities.values()))
        raise PaymentRefused(SEVERAL_ENTITIES % {"entities": names})
    entity = (
        next(iter(entities.values()))
        if entities
        else customer_legal_entity(payment.customer, payment.currency)
    )
    accounts = chart_account_map(legal_entity=entity)
    customer = payment.customer.name
    if payment.reverses_id:
        original = (
            Voucher.objects.filter(payment_id=payment.reverses_id).prefetch_related("lines").first()
        )
        if original is not None:
            lines = vouchers.reversed_lines(
                vouchers.Line(
                    line.account,
                    line.amount,
                    line.currency_amount,
                    line.vat_category,
                    line.vat_rate,
                    line.text,
                )
                for line in original.lines.all()
            )
            return _voucher_write(
                legal_entity=entity,
                series=VoucherSeries.PAYMENTS,
                kind=VoucherKind.PAYMENT_REVERSAL,
                date=payment.paid_on,
                text=_book_text(
                    entity,
                    TEXT_PAYMENT_REVERSAL,
                    voucher=original.label,
                    customer=customer,
                    reason=payment.note,
                ),
                currency=payment.currency,
                rate=original.exchange_rate,
                lines=lines,
                names={line.account: line.account_name for line in original.lines.all()},
                actor=actor,
                payment=payment,
                reverses=original,
            )
    invoice_rates = [invoice_booked_rate(row.invoice) for row in allocations]
    fallback = next((rate for rate in reversed(invoice_rates) if rate), None)
    rate = _rate_required(payment.currency, entity, payment.paid_on, fallback)
    settlements = [
        vouchers.Settlement(row.amount, invoice_rate, text=row.invoice.number)
        for row, invoice_rate in zip(allocations, invoice_rates, strict=True)
    ]
    if payment.reverses_id:
        kind = VoucherKind.PAYMENT_REVERSAL
        text = _book_text(
            entity, TEXT_PAYMENT_REVERSAL_UNBOOKED, customer=customer,
            reason=payment.note,
        )  # fmt: skip
    else:
        kind = VoucherKind.PAYMENT
        text = _book_text(
            entity, TEXT_PAYMENT, customer=customer,
            reference=payment.reference,
        ).strip()  # fmt: skip
    return _book(
        entity=entity,
        accounts=accounts,
        currency=payment.currency,
        rate=rate,
        legs=lambda: vouchers.payment_legs(
            amount=payment.amount, rate=rate, settlements=settlements, accounts=accounts
        ),
        series=VoucherSeries.PAYMENTS,
        kind=kind,
        date=payment.paid_on,
        text=text,
        actor=actor,
        payment=payment,
    )


def _credit_application_book(application: CreditApplication, *, actor) -> Voucher | None:
    invoice = (
        Invoice.objects.select_related("legal_entity", "customer")
        .only(
            "pk", "number", "currency", "invoice_date", "snapshot", "legal_entity", "customer__name"
        )
        .get(pk=application.invoice_id)
    )
    entity = invoice.legal_entity
    invoice_rate = invoice_booked_rate(invoice)
    rate = _rate_required(application.currency, entity, application.applied_on, invoice_rate)
    accounts = chart_account_map(legal_entity=entity)
    return _book(
        entity=entity,
        accounts=accounts,
        currency=application.currency,
        rate=rate,
        legs=lambda: vouchers.credit_application_legs(
            amount=application.amount, rate=rate, invoice_rate=invoice_rate, accounts=accounts
        ),
        series=VoucherSeries.PAYMENTS,
        kind=VoucherKind.CREDIT_APPLICATION,
        date=application.applied_on,
        text=_book_text(
            entity, TEXT_CREDIT_APPLICATION, number=invoice.number, customer=invoice.customer.name
        ),
        actor=actor,
        credit_application=application,
    )


def _refund_book(refund: CustomerRefund, *, actor) -> Voucher | None:
    entity = customer_legal_entity(refund.customer, refund.currency)
    rate = _rate_required(refund.currency, entity, refund.refunded_on)
    accounts = chart_account_map(legal_entity=entity)
    return _book(
        entity=entity,
        accounts=accounts,
        currency=refund.currency,
        rate=rate,
        legs=lambda: vouchers.refund_legs(amount=refund.amount, rate=rate, accounts=accounts),
        series=VoucherSeries.PAYMENTS,
        kind=VoucherKind.REFUND,
        date=refund.refunded_on,
        text=_book_text(entity, TEXT_REFUND, customer=refund.customer.name),
        actor=actor,
        refund=refund,
    )


# ------------------------------------------------------------------------------------------
# Reversing a voucher
# ------------------------------------------------------------------------------------------


@transaction.atomic
def voucher_reverse(
    *,
    voucher: Voucher,
    reason: str,
    actor: AbstractBaseUser,
    reversed_on: datetime.date | None = None,
) -> Voucher:
    """Write the reversing voucher of a voucher: the same lines with the opposite signs, in
    the same series, dated ``reversed_on`` (today by default), naming the voucher it reverses.
    The voucher itself never changes. Refused: without a reason, a date in the future, a
    reversing voucher, a voucher already reversed, and a payment's voucher (payments are
    reversed in receivables, which reverses their voucher too)."""
    if not actor.has_perm("invoicing.add_voucher"):
        raise PermissionDenied(NOT_ALLOWED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REASON_REQUIRED)
    reversed_on = reversed_on or timezone.localdate()
    if reversed_on > timezone.localdate():
        raise ValidationError(DATE_IN_FUTURE)
    locked = (
        Voucher.objects.select_for_update(of=("self",))
        .select_related("legal_entity")
        .get(pk=voucher.pk)
    )
    if locked.kind in (VoucherKind.REVERSAL, VoucherKind.PAYMENT_REVERSAL):
        raise ValidationError(REVERSAL_NOT_REVERSIBLE)
    if locked.payment_id is not None:
        raise ValidationError(PAYMENT_VOUCHER % {"voucher": locked.label})
    if Voucher.objects.filter(reverses=locked).exists():
        raise ValidationError(ALREADY_REVERSED % {"voucher": locked.label})
    original = list(locked.lines.order_by("pk"))
    lines = vouchers.reversed_lines(
        vouchers.Line(
            line.account,
            line.amount,
            line.currency_amount,
            line.vat_category,
            line.vat_rate,
            line.text,
        )
        for line in original
    )
    return _voucher_write(
        legal_entity=locked.legal_entity,
        series=locked.series,
        kind=VoucherKind.REVERSAL,
        date=reversed_on,
        text=_book_text(
            locked.legal_entity,
            TEXT_REVERSAL,
            voucher=locked.label,
            reason=reason,
        ),  # fmt: skip
        currency=locked.currency,
        rate=locked.exchange_rate,
        lines=lines,
        names={line.account: line.account_name for line in original},
        actor=actor,
        reverses=locked,
    )
