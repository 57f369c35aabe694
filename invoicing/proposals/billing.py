"""Billing rules: how much to invoice (DOMAIN.md sections 4, 5 and 10).

A pure module: frozen dataclasses and ``Decimal`` go in, dataclasses come out. Nothing here knows
about Django or the ORM; services fetch the contract terms, the transactions and what was billed
before, call these functions, and save the :class:`BillingLine` values that come back as proposal
lines.

Money:

* every amount is a ``Decimal`` (an ``int`` is accepted and turned into one; a ``float`` is
  refused), and every rounding goes through :func:`contracts.money.round_money` or
  :func:`contracts.money.percent_of`: half-up to the currency's minor unit;
* amounts that are money already (contract values, what was billed, prepaid, retained, caps,
  fixed milestone amounts) must be in the currency's minor unit, or they are refused; prices,
  quantities and percentages may carry more decimals;
* where an amount is derived from several figures (automatic progress) it is computed exactly,
  with ``Fraction``, and rounded once at the end;
* cumulative rules (unit of delivery, manual and automatic progress) bill *the rounded
  cumulative amount less what was billed before*, so that their invoices add up to the rounded
  total exactly, however many invoices it takes.

Every line-producing function returns ``None`` rather than a zero line when there is nothing to
bill, and takes an optional ``description`` for the line text (the default is plain English;
services translate or replace it).

Composing one invoice (the order the services are expected to follow): the work lines (time and
material, unit of delivery, progress, milestone), then the fee on the hours, then the retention on
the total of those lines (:func:`retention_line`), then the on-account deduction, limited by the
total so far so that the invoice never goes negative (:func:`on_account_deduction`). A retention
release is a line of its own on a later invoice.

Milestones and billing plans are in billing_plans.py, retention and invoice totals in
totals.py, the checks and error messages in billing_checks.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from contracts.money import (
    ZERO,
    percent_of,
    round_money,
)
from invoicing.proposals.billing_checks import (
    DUPLICATE_CATEGORY,
    UNKNOWN_ITEM_KIND,
    UNKNOWN_LINE_KIND,
    BillingInputInvalid,
    currency_checked,
    decimal_checked,
    fraction_rounded,
    money_checked,
    non_negative_checked,
    percent_checked,
    percent_from_fraction,
    plain_figure,
)

BILLING_LINE_KINDS = (
    "hour",
    "expense",
    "item",
    "fee",
    "on_account",
    "retention",
    "deduction",
    "milestone",
    "progress",
    "unit",
)

# Transaction kinds that time-and-material billing invoices, and the price each is billed at:
# hours, items and posted fees at their sales price, expenses at cost (DOMAIN.md section 4).
TIME_MATERIAL_PRICE = MappingProxyType(
    {"hour": "sales", "expense": "cost", "item": "sales", "fee": "sales"}
)

DEFAULT_THRESHOLDS = (25, 50, 75, 100)


# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BillingLine:
    """One line of an invoice proposal.

    ``amount`` is what the line bills, in the currency's minor unit (negative for retention,
    deduction and credit lines). ``quantity`` and ``unit_price`` say what was delivered; when a
    not-to-exceed cap bound, ``amount`` is less than ``quantity x unit_price``. ``reference``
    points back at what the line bills (a transaction, a milestone), for the service to mark.
    """

    description: str
    kind: str
    amount: Decimal
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    category_id: Any = None
    reference: Any = None

    def __post_init__(self) -> None:
        if self.kind not in BILLING_LINE_KINDS:
            raise BillingInputInvalid(
                UNKNOWN_LINE_KIND.format(kind=self.kind, kinds=", ".join(BILLING_LINE_KINDS))
            )
        object.__setattr__(self, "amount", decimal_checked(self.amount, "A line amount"))
        object.__setattr__(self, "quantity", decimal_checked(self.quantity, "A line quantity"))
        if self.unit_price is not None:
            object.__setattr__(self, "unit_price", decimal_checked(self.unit_price, "A unit price"))


def lines_total(lines: Iterable[BillingLine], *, currency: str | None = None) -> Decimal:
    """The sum of the line amounts.

    With ``currency``, each amount is rounded to the currency's minor unit before it is added
    (for lines built by hand); the lines built here are rounded already, so the sum is exact
    either way. An empty iterable totals zero.
    """
    if currency is not None:
        currency_checked(currency)
        return sum((round_money(line.amount, currency) for line in lines), ZERO)
    return sum((line.amount for line in lines), ZERO)


# --------------------------------------------------------------------------------------------
# Unit of delivery
# --------------------------------------------------------------------------------------------


def unit_of_delivery_amount(
    *,
    unit_price: Decimal,
    total_units: Decimal,
    units_delivered: Decimal,
    units_invoiced: Decimal,
    currency: str,
    description: str | None = None,
) -> BillingLine | None:
    """The units delivered since the last invoice, at the unit price (DOMAIN.md, example U1).

    Guarantees: never more than ``total_units`` is billed over all invoices (deliveries beyond
    the total are ignored); the amount is the rounded value of the units delivered so far less
    the rounded value of those invoiced, so the invoices add up to the rounded value of the units
    exactly; ``None`` when nothing is left to bill (including when more was invoiced than
    delivered: that is not corrected here).
    """
    currency_checked(currency)
    unit_price = non_negative_checked(unit_price, "A unit price")
    total_units = non_negative_checked(total_units, "The total units")
    units_delivered = non_negative_checked(units_delivered, "The units delivered")
    units_invoiced = non_negative_checked(units_invoiced, "The units invoiced")
    billable_to_date = min(units_delivered, total_units)
    units = billable_to_date - units_invoiced
    if units <= 0:
        return None
    amount = round_money(billable_to_date * unit_price, currency) - round_money(
        units_invoiced * unit_price, currency
    )
    if amount <= 0:
        return None
    return BillingLine(
        description or f"{plain_figure(units)} units delivered of {plain_figure(total_units)}",
        "unit",
        amount,
        quantity=units,
        unit_price=unit_price,
    )


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------


def manual_progress_amount(
    *,
    contract_value: Decimal,
    percent_complete: Decimal,
    billed_to_date: Decimal,
    currency: str,
    allow_credit: bool = False,
    description: str | None = None,
) -> BillingLine | None:
    """The cumulative percent of the contract value less what progress invoices billed (P1).

    ``percent_complete`` is cumulative and must be within 0..100 (:class:`PercentOutOfRange`
    otherwise). Guarantees: the line is ``percent_of(contract_value, percent_complete)`` less
    ``billed_to_date``, so at 100 % the progress invoices add up to the contract value exactly.
    When the percentage went down and earlier invoices billed more than it is now worth, the
    result is ``None``, unless ``allow_credit`` is true: then it is a negative correction line.
    ``None`` as well when nothing changed.
    """
    currency_checked(currency)
    contract_value = money_checked(contract_value, "The contract value", currency)
    percent_complete = percent_checked(percent_complete, "The percent complete")
    billed_to_date = money_checked(
        billed_to_date, "The progress billed to date", currency, signed=True
    )
    earned = percent_of(contract_value, percent_complete, currency)
    return _progress_line(
        earned - billed_to_date,
        allow_credit,
        description or f"Progress {plain_figure(percent_complete)} % of {contract_value}",
    )


@dataclass(frozen=True, slots=True)
class ProgressBudgetLine:
    """One category's budget for automatic progress, and its actual cost so far."""

    category_id: Any
    cost_budget: Decimal
    revenue_budget: Decimal
    actual_cost: Decimal


@dataclass(frozen=True, slots=True)
class AutomaticProgress:
    """What automatic progress bills, and how complete the work is.

    ``line`` is ``None`` when there is nothing to bill. ``earned`` is the cumulative revenue
    earned so far (rounded once); ``percent_complete`` is the overall completion, weighted by the
    revenue budgets (earned / total revenue budget, exact, truncated to 4 decimals), for
    :func:`thresholds_crossed`; ``category_percents`` gives each category's percent complete the
    same way.
    """

    line: BillingLine | None
    earned: Decimal
    percent_complete: Decimal
    category_percents: Mapping[Any, Decimal] = field(default_factory=dict)


def automatic_progress_amount(
    *,
    lines: Sequence[ProgressBudgetLine],
    billed_to_date: Decimal,
    currency: str,
    chargeable_category_ids: set | frozenset | None = None,
    allow_credit: bool = False,
    description: str | None = None,
) -> AutomaticProgress:
    """Sum of (actual cost / cost budget, at most 100 %) x revenue budget, less what was billed.

    Per category the percent complete is ``min(actual_cost / cost_budget, 1)``; a category with
    a zero cost budget counts as 100 % once it has any actual cost (the budget is overrun from
    the first unit) and 0 % before; a negative actual cost (more reversed than booked) counts as
    0 %. Only the categories in ``chargeable_category_ids`` count when it is given (for the
    amount and for the completion percent). Guarantees: the sum is computed exactly and rounded
    once (two categories each earning 0.005 earn 0.01 together, not 0.01 + 0.01); the line is
    the rounded earned revenue less ``billed_to_date``; a decrease is ``None`` unless
    ``allow_credit`` (then a negative correction line), as for :func:`manual_progress_amount`.
    """
    currency_checked(currency)
    billed_to_date = money_checked(
        billed_to_date, "The progress billed to date", currency, signed=True
    )
    seen: set = set()
    earned_exact = Fraction(0)
    revenue_total = Fraction(0)
    category_percents: dict[Any, Decimal] = {}
    for line in lines:
        if line.category_id in seen:
            raise BillingInputInvalid(DUPLICATE_CATEGORY.format(category=line.category_id))
        seen.add(line.category_id)
        cost_budget = money_checked(line.cost_budget, "A cost budget", currency)
        revenue_budget = money_checked(line.revenue_budget, "A revenue budget", currency)
        actual_cost = money_checked(line.actual_cost, "An actual cost", currency, signed=True)
        if chargeable_category_ids is not None and line.category_id not in chargeable_category_ids:
            continue
        if actual_cost <= 0:
            done = Fraction(0)
        elif cost_budget == 0:
            done = Fraction(1)
        else:
            done = min(Fraction(actual_cost) / Fraction(cost_budget), Fraction(1))
        category_percents[line.category_id] = percent_from_fraction(done)
        earned_exact += done * Fraction(revenue_budget)
        revenue_total += Fraction(revenue_budget)
    earned = fraction_rounded(earned_exact, currency)
    overall = earned_exact / revenue_total if revenue_total else Fraction(0)
    percent_complete = percent_from_fraction(overall)
    line = _progress_line(
        earned - billed_to_date,
        allow_credit,
        description or f"Progress {plain_figure(percent_complete)} % of the revenue budget",
    )
    return AutomaticProgress(line, earned, percent_complete, category_percents)


def _progress_line(amount: Decimal, allow_credit: bool, description: str) -> BillingLine | None:
    if amount == 0 or (amount < 0 and not allow_credit):
        return None
    return BillingLine(description, "progress", amount, unit_price=amount)


# --------------------------------------------------------------------------------------------
# Fee
# --------------------------------------------------------------------------------------------


def fee_line(
    *,
    base_amount: Decimal,
    fee_percent: Decimal,
    currency: str,
    description: str | None = None,
) -> BillingLine:
    """A management fee of ``fee_percent`` % on top of the value of the billed hours (E1).

    ``base_amount`` is the total of the hour lines the fee is charged on; a negative base (hours
    being credited) gives the matching negative fee, as half-up rounding is symmetric. The fee
    percentage must be within 0..100. Guarantees: the fee is ``percent_of(base, fee_percent)``.
    """
    currency_checked(currency)
    base_amount = money_checked(base_amount, "The fee base amount", currency, signed=True)
    fee_percent = percent_checked(fee_percent, "The fee percentage")
    amount = percent_of(base_amount, fee_percent, currency)
    return BillingLine(
        description or f"Management fee {plain_figure(fee_percent)} % of {base_amount}",
        "fee",
        amount,
        unit_price=amount,
    )


# --------------------------------------------------------------------------------------------
# Time and material
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeMaterialItem:
    """One uninvoiced project transaction for time-and-material billing.

    ``amount_hint``, when given, is the amount already stored on the transaction for the price
    that applies (its sales amount for hours, items and fees; its cost amount for expenses): it
    is billed as it is, so the invoice shows exactly what the transaction says. Without it the
    amount is ``quantity x price`` rounded. A non-chargeable transaction (``is_chargeable``
    false) is cost only and never billed.
    """

    kind: str
    category_id: Any
    quantity: Decimal
    sales_price: Decimal
    cost_price: Decimal
    amount_hint: Decimal | None = None
    reference: Any = None
    description: str = ""
    is_chargeable: bool = True


@dataclass(frozen=True, slots=True)
class CappedAmount:
    """What a category's not-to-exceed cap kept off this invoice.

    ``requested`` is what the category's items of this run would bill without the cap,
    ``billed`` what was billed, ``cap`` the cap and ``billed_before`` what earlier invoices
    billed in the category. ``references`` name the items that were cut or left out.
    """

    category_id: Any
    requested: Decimal
    billed: Decimal
    cap: Decimal
    billed_before: Decimal = ZERO
    references: tuple = ()

    @property
    def excess(self) -> Decimal:
        """The part of the request that the cap kept off."""
        return self.requested - self.billed


@dataclass(frozen=True, slots=True)
class TimeMaterialResult:
    """The lines to bill, and the categories whose caps bound."""

    lines: tuple[BillingLine, ...]
    capped: tuple[CappedAmount, ...] = ()

    @property
    def total(self) -> Decimal:
        """The sum of the lines."""
        return lines_total(self.lines)


def time_and_material_lines(
    *,
    items: Sequence[TimeMaterialItem],
    chargeable_category_ids: set | frozenset | None,
    caps: Mapping[Any, Decimal],
    billed_per_category: Mapping[Any, Decimal],
    currency: str,
) -> TimeMaterialResult:
    """One line per billable item: hours at their sales rates, expenses at cost, items at sales
    price (example T1).

    Items that are not chargeable, or whose category is not in ``chargeable_category_ids`` (when
    it is given), are skipped. Items are taken in the order given (pass them in date order:
    the earliest work is billed first when a cap binds). A category with a not-to-exceed cap in
    ``caps`` bills at most ``cap - billed_per_category[category]`` (never below zero): the item
    that reaches the cap is billed in part (its line keeps the item's quantity and price, with
    the amount cut), the items after it get no line, and the category is reported in
    ``capped``. Guarantees: every amount is in the minor unit and non-negative; no capped
    category is billed over its cap, counting what was billed before; a category is reported
    in ``capped`` exactly when its cap kept something off.
    """
    currency_checked(currency)
    headroom: dict[Any, Decimal] = {}
    for category_id, cap in caps.items():
        cap = money_checked(cap, "A not-to-exceed cap", currency)
        before = money_checked(
            billed_per_category.get(category_id, ZERO),
            "The amount billed before in a category",
            currency,
            signed=True,
        )
        headroom[category_id] = max(cap - before, ZERO)
    lines: list[BillingLine] = []
    requested: dict[Any, Decimal] = {}
    billed: dict[Any, Decimal] = {}
    cut: dict[Any, list] = {}
    for item in items:
        if item.kind not in TIME_MATERIAL_PRICE:
            raise BillingInputInvalid(
                UNKNOWN_ITEM_KIND.format(kind=item.kind, kinds=", ".join(TIME_MATERIAL_PRICE))
            )
        if not item.is_chargeable:
            continue
        if chargeable_category_ids is not None and item.category_id not in chargeable_category_ids:
            continue
        quantity = non_negative_checked(item.quantity, "A quantity")
        if TIME_MATERIAL_PRICE[item.kind] == "sales":
            price = non_negative_checked(item.sales_price, "A sales price")
        else:
            price = non_negative_checked(item.cost_price, "A cost price")
        if item.amount_hint is not None:
            amount = money_checked(item.amount_hint, "An amount hint", currency)
        else:
            amount = round_money(quantity * price, currency)
        category_id = item.category_id
        if category_id in headroom:
            requested[category_id] = requested.get(category_id, ZERO) + amount
            left = headroom[category_id]
            is_cut = amount > left
            if is_cut:
                cut.setdefault(category_id, []).append(item.reference)
                amount = left
            headroom[category_id] = left - amount
            billed[category_id] = billed.get(category_id, ZERO) + amount
            if is_cut and amount == 0:
                continue
        lines.append(
            BillingLine(
                item.description or _ITEM_DESCRIPTIONS[item.kind],
                item.kind,
                amount,
                quantity=quantity,
                unit_price=price,
                category_id=category_id,
                reference=item.reference,
            )
        )
    capped = tuple(
        CappedAmount(
            category_id,
            requested[category_id],
            billed[category_id],
            caps[category_id],
            billed_per_category.get(category_id, ZERO),
            tuple(references),
        )
        for category_id, references in cut.items()
    )
    return TimeMaterialResult(tuple(lines), capped)


def cap_split(*, amount: Decimal, room: Decimal) -> tuple[Decimal, Decimal]:
    """Split an amount at a not-to-exceed cap that has ``room`` left: (the part within the cap,
    the part over it). The parts add up to the amount; the part within is never more than the
    room (nothing when the cap is reached or passed)."""
    within = max(ZERO, min(amount, room))
    return within, amount - within


_ITEM_DESCRIPTIONS = MappingProxyType(
    {"hour": "Hours", "expense": "Expense", "item": "Item", "fee": "Fee"}
)


# --------------------------------------------------------------------------------------------
# On-account
# --------------------------------------------------------------------------------------------


def on_account_deduction(
    *,
    invoice_total: Decimal,
    prepaid: Decimal,
    deducted_to_date: Decimal,
    currency: str,
    description: str | None = None,
) -> BillingLine | None:
    """A negative line offsetting the prepayment invoiced on account (DOMAIN.md section 5).

    ``invoice_total`` is the invoice's total before this line (after retention, when there is
    one); ``prepaid`` and ``deducted_to_date`` are positive totals. Guarantees: the deduction is
    the smaller of what is left of the prepayment and the invoice total, so the deductions never
    add up to more than was prepaid and the invoice never goes negative; ``None`` when either is
    used up or not positive.
    """
    currency_checked(currency)
    total = money_checked(invoice_total, "The invoice total", currency, signed=True)
    prepaid = money_checked(prepaid, "The prepaid amount", currency)
    deducted = money_checked(deducted_to_date, "The amount deducted to date", currency)
    amount = min(prepaid - deducted, total)
    if amount <= 0:
        return None
    return BillingLine(
        description or "Deduction of the prepayment",
        "deduction",
        -amount,
        unit_price=-amount,
    )


# --------------------------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------------------------


def thresholds_crossed(
    *,
    previous_percent: Decimal,
    current_percent: Decimal,
    thresholds: Iterable[Decimal | int] = DEFAULT_THRESHOLDS,
) -> tuple:
    """The thresholds that completion crossed, ascending: ``previous < t <= current``.

    Guarantees: nothing when completion did not go up; crossing from ``a`` to ``b`` and then
    from ``b`` to ``c`` gives exactly the thresholds of crossing from ``a`` to ``c``, so a
    threshold fires once however the progress is reported. The thresholds come back as given.
    """
    previous = decimal_checked(previous_percent, "The previous percent")
    current = decimal_checked(current_percent, "The current percent")
    by_value = {decimal_checked(threshold, "A threshold"): threshold for threshold in thresholds}
    return tuple(by_value[value] for value in sorted(by_value) if previous < value <= current)
