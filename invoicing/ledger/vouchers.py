"""Voucher lines from documents (DOMAIN.md section 13): which accounts an invoice, a credit
note, a payment, a payment reversal, a credit application, a refund or an internal charge
books, and how much. Pure: dataclasses and ``Decimal`` in and out, no Django.

Every builder guarantees the same three things:

- the lines balance: debits (positive) and credits (negative) add up to zero, to the minor unit
  of the legal entity's currency, whatever the document and the exchange rate;
- every amount comes from the document's own figures (its lines, its VAT per category and rate,
  its gross, the payment's allocations): the ledger never computes a second VAT or total;
- a document in another currency is converted line by line at the rate of each part (the
  invoice's own rate for the receivable it created, the day's rate for money received); what
  rounding leaves over goes to the rounding account, and the difference between two rates to
  the exchange gain or loss account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from contracts.money import ZERO, round_money


class Purpose:
    """What an account is used for (the values of ``models.AccountPurpose``)."""

    RECEIVABLES = "receivables"
    BANK = "bank"
    RETENTION = "retention"
    PREPAYMENT = "prepayment"
    CUSTOMER_CREDIT = "customer_credit"
    ROUNDING = "rounding"
    EXCHANGE_GAIN = "exchange_gain"
    EXCHANGE_LOSS = "exchange_loss"
    INTERNAL_DEBIT = "internal_debit"
    INTERNAL_CREDIT = "internal_credit"
    REVENUE = "revenue"
    OUTPUT_VAT = "output_vat"

    #: One account each, and every chart must have them.
    SINGLE = (
        RECEIVABLES,
        BANK,
        RETENTION,
        PREPAYMENT,
        CUSTOMER_CREDIT,
        ROUNDING,
        EXCHANGE_GAIN,
        EXCHANGE_LOSS,
        INTERNAL_DEBIT,
        INTERNAL_CREDIT,
    )


class LineRole:
    """How a document line is booked: as revenue, against the retention receivable (withheld
    or released), or against the prepayment liability (a prepayment or its deduction)."""

    REVENUE = "revenue"
    RETENTION = "retention"
    PREPAYMENT = "prepayment"


class MappingIncomplete(ValueError):
    """The chart-of-accounts mapping has no account for something a document needs."""


class VoucherUnbalanced(ValueError):
    """A document's own figures do not add up (its gross is not its lines plus VAT)."""


# ------------------------------------------------------------------------------------------
# The mapping
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A revenue or output-VAT rule: its account, for the lines matching every criterion
    given (blank or None criteria match anything)."""

    purpose: str
    account: str
    kind: str = ""
    category_id: int | None = None
    vat_category: str = ""
    vat_rate: Decimal | None = None

    def matches(self, *, kind: str, category_id: int | None, vat_category: str, vat_rate) -> bool:
        return (
            (not self.kind or self.kind == kind)
            and (self.category_id is None or self.category_id == category_id)
            and (not self.vat_category or self.vat_category == vat_category)
            and (self.vat_rate is None or Decimal(self.vat_rate) == Decimal(vat_rate))
        )

    @property
    def specificity(self) -> tuple[int, int]:
        """A category beats everything; then the more criteria the better."""
        criteria = [self.kind, self.category_id is not None, self.vat_category]
        criteria.append(self.vat_rate is not None)
        return (int(self.category_id is not None), sum(1 for given in criteria if given))


@dataclass(frozen=True)
class AccountMap:
    """A legal entity's mapping: one account per single purpose, revenue and output-VAT rules
    (in their order: on equal specificity the first wins), and the accounts' names."""

    single: Mapping[str, str]
    rules: tuple[Rule, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)

    def account(self, purpose: str) -> str:
        try:
            return self.single[purpose]
        except KeyError:
            raise MappingIncomplete(f"No account is mapped for {purpose}.") from None

    def _best(self, purpose: str, **criteria) -> str:
        best: Rule | None = None
        for rule in self.rules:
            if (
                rule.purpose == purpose
                and rule.matches(**criteria)
                and (best is None or rule.specificity > best.specificity)
            ):
                best = rule
        if best is None:
            raise MappingIncomplete(f"No {purpose} account matches {criteria}.")
        return best.account

    def revenue_account(
        self, *, kind: str = "", category_id: int | None = None, vat_category: str = "", vat_rate=0
    ) -> str:
        return self._best(
            Purpose.REVENUE,
            kind=kind,
            category_id=category_id,
            vat_category=vat_category_of(vat_category, vat_rate),
            vat_rate=Decimal(vat_rate),
        )

    def vat_account(self, *, vat_category: str, vat_rate) -> str:
        return self._best(
            Purpose.OUTPUT_VAT,
            kind="",
            category_id=None,
            vat_category=vat_category_of(vat_category, vat_rate),
            vat_rate=Decimal(vat_rate),
        )


def vat_category_of(vat_category: str, vat_rate) -> str:
    """A line posted before VAT categories were recorded has none: a charged rate is standard
    rated (as ``proposals.totals`` treats it)."""
    if not vat_category and Decimal(vat_rate) > 0:
        return "S"
    return vat_category


# ------------------------------------------------------------------------------------------
# Voucher lines
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """A part of a voucher in the document's currency (debit positive), with the exchange
    rate that turns it into the legal entity's currency (None: the same currency)."""

    account: str
    amount: Decimal
    rate: Decimal | None = None
    vat_category: str = ""
    vat_rate: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class Line:
    """A voucher line in the legal entity's currency (debit positive, credit negative), and
    in the document's currency when that is another."""

    account: str
    amount: Decimal
    currency_amount: Decimal | None = None
    vat_category: str = ""
    vat_rate: Decimal | None = None
    text: str = ""


def lines_balance(lines: Iterable[Line]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def voucher_lines(
    legs: Sequence[Leg], *, accounts: AccountMap, base_currency: str, currency: str
) -> tuple[Line, ...]:
    """Legs that balance in the document's currency, merged per (account, VAT category and
    rate, rate, text) and converted to the legal entity's currency. Rounding the converted
    parts may leave a cent or two over: with one rate that goes to the rounding account; with
    several (a payment at today's rate clearing an invoice booked at its own) the difference
    goes to exchange gains or losses. Zero lines are left out. Raises ``VoucherUnbalanced``
    when the legs do not balance in the document's currency."""
    if round_money(sum((leg.amount for leg in legs), ZERO), currency) != 0:
        raise VoucherUnbalanced(
            f"The parts add up to {sum((leg.amount for leg in legs), ZERO)}, not zero."
        )
    merged: dict[tuple, Decimal] = {}
    for leg in legs:
        key = (leg.account, leg.vat_category, leg.vat_rate, leg.rate, leg.text)
        merged[key] = merged.get(key, ZERO) + leg.amount
    is_foreign = currency != base_currency
    lines: list[Line] = []
    rates = set()
    for (account, vat_category, vat_rate, rate, text), amount in merged.items():
        if amount == 0:
            continue
        if is_foreign:
            if rate is None:
                raise ValueError(f"A part in {currency} needs an exchange rate.")
            rates.add(rate)
            converted = round_money(amount * rate, base_currency)
        else:
            converted = round_money(amount, base_currency)
        if converted == 0:
            continue
        lines.append(
            Line(
                account=account,
                amount=converted,
                currency_amount=round_money(amount, currency) if is_foreign else None,
                vat_category=vat_category,
                vat_rate=vat_rate,
                text=text,
            )
        )
    rest = lines_balance(lines)
    if rest:
        if len(rates) > 1:
            purpose = Purpose.EXCHANGE_GAIN if rest > 0 else Purpose.EXCHANGE_LOSS
        else:
            purpose = Purpose.ROUNDING
        lines.append(Line(account=accounts.account(purpose), amount=-rest))
    return tuple(lines)


# ------------------------------------------------------------------------------------------
# Documents
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentLine:
    """A line of a posted invoice or credit note, as the ledger needs it."""

    amount: Decimal
    role: str = LineRole.REVENUE
    kind: str = ""
    category_id: int | None = None
    vat_category: str = ""
    vat_rate: Decimal = ZERO


@dataclass(frozen=True)
class DocumentVat:
    """The invoice's VAT of one VAT category and rate (``InvoiceTax``)."""

    vat_category: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SalesDocument:
    """A posted invoice or credit note: its gross, lines and VAT rows, its exchange rate to
    the legal entity's currency (None: the same currency) and, for a credit note, how much of
    it settled the invoice it corrects (the rest became customer credit)."""

    currency: str
    gross: Decimal
    lines: tuple[DocumentLine, ...]
    taxes: tuple[DocumentVat, ...]
    rate: Decimal | None = None
    is_credit_note: bool = False
    settled: Decimal = ZERO


def sales_document_legs(document: SalesDocument, *, accounts: AccountMap) -> list[Leg]:
    """Invoice: the receivable (gross) in debit; revenue per account, VAT category and rate;
    output VAT per category and rate; retention withheld in debit of the retention
    receivable (a release in credit); a prepayment in credit of the prepayment liability (its
    deduction in debit). A credit note books the same with the opposite signs, except that its
    gross comes off the receivable only as far as it settled the corrected invoice; the rest
    is customer credit."""
    rate = document.rate
    legs: list[Leg] = []
    # A 90-line invoice has a handful of distinct (kind, category, VAT) lines: each is looked
    # up in the mapping once.
    revenue_accounts: dict[tuple, str] = {}
    for line in document.lines:
        if line.role == LineRole.RETENTION:
            account = accounts.account(Purpose.RETENTION)
        elif line.role == LineRole.PREPAYMENT:
            account = accounts.account(Purpose.PREPAYMENT)
        else:
            key = (line.kind, line.category_id, line.vat_category, line.vat_rate)
            if key not in revenue_accounts:
                revenue_accounts[key] = accounts.revenue_account(
                    kind=line.kind,
                    category_id=line.category_id,
                    vat_category=line.vat_category,
                    vat_rate=line.vat_rate,
                )
            account = revenue_accounts[key]
        legs.append(
            Leg(
                account,
                -line.amount,
                rate,
                vat_category_of(line.vat_category, line.vat_rate),
                Decimal(line.vat_rate),
            )
        )
    for tax in document.taxes:
        if tax.amount:
            legs.append(
                Leg(
                    accounts.vat_account(vat_category=tax.vat_category, vat_rate=tax.rate),
                    -tax.amount,
                    rate,
                    vat_category_of(tax.vat_category, tax.rate),
                    Decimal(tax.rate),
                )
            )
    if document.is_credit_note:
        settled = min(document.settled, -document.gross)
        legs.append(Leg(accounts.account(Purpose.RECEIVABLES), -settled, rate))
        legs.append(Leg(accounts.account(Purpose.CUSTOMER_CREDIT), document.gross + settled, rate))
    else:
        legs.append(Leg(accounts.account(Purpose.RECEIVABLES), document.gross, rate))
    return legs


@dataclass(frozen=True)
class Settlement:
    """Receivable cleared on one invoice, at the rate that invoice was booked with."""

    amount: Decimal
    rate: Decimal | None = None
    text: str = ""


def payment_legs(
    *,
    amount: Decimal,
    rate: Decimal | None,
    settlements: Sequence[Settlement],
    accounts: AccountMap,
) -> list[Leg]:
    """Money received: the bank in debit; the receivable of each invoice it pays in credit;
    what is left over in credit of customer credit. A reversal passes negative amounts."""
    legs = [Leg(accounts.account(Purpose.BANK), amount, rate)]
    for settlement in settlements:
        legs.append(
            Leg(
                accounts.account(Purpose.RECEIVABLES),
                -settlement.amount,
                settlement.rate,
                text=settlement.text,
            )
        )
    surplus = amount - sum((settlement.amount for settlement in settlements), ZERO)
    if surplus:
        legs.append(Leg(accounts.account(Purpose.CUSTOMER_CREDIT), -surplus, rate))
    return legs


def credit_application_legs(
    *, amount: Decimal, rate: Decimal | None, invoice_rate: Decimal | None, accounts: AccountMap
) -> list[Leg]:
    """Customer credit used on an invoice: customer credit in debit, the receivable in credit."""
    return [
        Leg(accounts.account(Purpose.CUSTOMER_CREDIT), amount, rate),
        Leg(accounts.account(Purpose.RECEIVABLES), -amount, invoice_rate),
    ]


def refund_legs(*, amount: Decimal, rate: Decimal | None, accounts: AccountMap) -> list[Leg]:
    """Customer credit paid back: customer credit in debit, the bank in credit."""
    return [
        Leg(accounts.account(Purpose.CUSTOMER_CREDIT), amount, rate),
        Leg(accounts.account(Purpose.BANK), -amount, rate),
    ]


def internal_charge_legs(
    *, amount: Decimal, rate: Decimal | None, accounts: AccountMap
) -> list[Leg]:
    """An internal organization charged instead of a customer: no receivable and no VAT, the
    internal debit account in debit and the internal credit account in credit."""
    return [
        Leg(accounts.account(Purpose.INTERNAL_DEBIT), amount, rate),
        Leg(accounts.account(Purpose.INTERNAL_CREDIT), -amount, rate),
    ]


def reversed_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """The lines of a reversing voucher: the same lines with the opposite signs."""
    return tuple(
        Line(
            account=line.account,
            amount=-line.amount,
            currency_amount=None if line.currency_amount is None else -line.currency_amount,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            text=line.text,
        )
        for line in lines
    )
