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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from contracts.money import (
    HUNDRED,
    ZERO,
    currency_decimals,
    is_valid_currency,
    percent_of,
    round_money,
    split_by_percents,
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

# Billing-plan templates (DOMAIN.md section 10): the percentages of the contract value, in order.
BILLING_PLAN_TEMPLATES = MappingProxyType(
    {
        "25/25/50": (Decimal("25"), Decimal("25"), Decimal("50")),
        "30/30/40": (Decimal("30"), Decimal("30"), Decimal("40")),
        "20/30/30/20": (Decimal("20"), Decimal("30"), Decimal("30"), Decimal("20")),
        "40/30/30": (Decimal("40"), Decimal("30"), Decimal("30")),
    }
)

# Percentages are reported (not rounded as money) with this many decimals, truncated, so that a
# threshold is never reported as reached before it really is.
PERCENT_DECIMALS = 4
# Digits kept beyond the minor unit when an exact (rational) amount is handed to round_money.
_GUARD_DIGITS = 6

# Error messages, reused by the tests.
AMOUNT_NOT_DECIMAL = "{what} must be a finite Decimal, got {value!r}."
AMOUNT_NEGATIVE = "{what} cannot be negative, got {value}."
AMOUNT_NOT_IN_MINOR_UNIT = "{what} {amount} has more decimals than {currency} allows ({decimals})."
CURRENCY_UNKNOWN = "Unknown currency {currency!r}: expected an ISO 4217 code in upper case."
UNKNOWN_LINE_KIND = "Unknown billing line kind {kind!r}: expected one of {kinds}."
UNKNOWN_ITEM_KIND = (
    "A time-and-material item of kind {kind!r} cannot be billed: expected one of {kinds}."
)
PERCENT_OUT_OF_RANGE = "{what} is {percent} %: a percentage must be between 0 and 100."
PLAN_PERCENT_NOT_POSITIVE = "A billing plan line of {percent} %: every line must be above 0 %."
PLAN_PERCENTS_NOT_HUNDRED = "The billing plan percentages add up to {total} %, not 100 %."
PLAN_TOO_SMALL = (
    "{value} {currency} is too small to split as {percents}: after rounding the others, the "
    "last part would be {last}."
)
UNKNOWN_TEMPLATE = "Unknown billing-plan template {template!r}: expected one of {templates}."
MILESTONE_AMOUNT_AND_PERCENT = (
    "Milestone {milestone} has both an amount and a percentage: give exactly one."
)
MILESTONE_NEITHER = "Milestone {milestone} has neither an amount nor a percentage: give one."
MILESTONE_AMOUNT_NEGATIVE = (
    "Milestone {milestone} has an amount of {amount}: it cannot be negative."
)
MILESTONE_PERCENT_NOT_POSITIVE = (
    "Milestone {milestone} is {percent} % of the contract value: it must be above 0 %."
)
MILESTONE_NOT_IN_SCHEDULE = "Milestone {milestone} is not in the schedule it is billed from."
DUPLICATE_MILESTONE = "Two milestones of the schedule have the id {milestone}."
DUPLICATE_CATEGORY = "Category {category} has more than one progress budget line."


class BillingError(ValueError):
    """Base class of every error raised by the billing rules."""


class BillingInputInvalid(BillingError):
    """An amount, quantity, kind or currency cannot be used (not a Decimal, negative, ...)."""


class PercentOutOfRange(BillingError):
    """A percentage is outside 0..100."""


class BillingPlanInvalid(BillingError):
    """A billing plan cannot split the contract value (percentages, template, too small)."""


class MilestoneTermsInvalid(BillingError):
    """A milestone has both or neither of amount and percentage, or one out of range."""


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
        object.__setattr__(self, "amount", _decimal(self.amount, "A line amount"))
        object.__setattr__(self, "quantity", _decimal(self.quantity, "A line quantity"))
        if self.unit_price is not None:
            object.__setattr__(self, "unit_price", _decimal(self.unit_price, "A unit price"))


def lines_total(lines: Iterable[BillingLine], *, currency: str | None = None) -> Decimal:
    """The sum of the line amounts.

    With ``currency``, each amount is rounded to the currency's minor unit before it is added
    (for lines built by hand); the lines built here are rounded already, so the sum is exact
    either way. An empty iterable totals zero.
    """
    if currency is not None:
        _check_currency(currency)
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
    _check_currency(currency)
    unit_price = _non_negative(unit_price, "A unit price")
    total_units = _non_negative(total_units, "The total units")
    units_delivered = _non_negative(units_delivered, "The units delivered")
    units_invoiced = _non_negative(units_invoiced, "The units invoiced")
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
        description or f"{_plain(units)} units delivered of {_plain(total_units)}",
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
    _check_currency(currency)
    contract_value = _money(contract_value, "The contract value", currency)
    percent_complete = _percent(percent_complete, "The percent complete")
    billed_to_date = _money(billed_to_date, "The progress billed to date", currency, signed=True)
    earned = percent_of(contract_value, percent_complete, currency)
    return _progress_line(
        earned - billed_to_date,
        allow_credit,
        description or f"Progress {_plain(percent_complete)} % of {contract_value}",
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
    _check_currency(currency)
    billed_to_date = _money(billed_to_date, "The progress billed to date", currency, signed=True)
    seen: set = set()
    earned_exact = Fraction(0)
    revenue_total = Fraction(0)
    category_percents: dict[Any, Decimal] = {}
    for line in lines:
        if line.category_id in seen:
            raise BillingInputInvalid(DUPLICATE_CATEGORY.format(category=line.category_id))
        seen.add(line.category_id)
        cost_budget = _money(line.cost_budget, "A cost budget", currency)
        revenue_budget = _money(line.revenue_budget, "A revenue budget", currency)
        actual_cost = _money(line.actual_cost, "An actual cost", currency, signed=True)
        if chargeable_category_ids is not None and line.category_id not in chargeable_category_ids:
            continue
        if actual_cost <= 0:
            done = Fraction(0)
        elif cost_budget == 0:
            done = Fraction(1)
        else:
            done = min(Fraction(actual_cost) / Fraction(cost_budget), Fraction(1))
        category_percents[line.category_id] = _percent_from_fraction(done)
        earned_exact += done * Fraction(revenue_budget)
        revenue_total += Fraction(revenue_budget)
    earned = _round_fraction(earned_exact, currency)
    overall = earned_exact / revenue_total if revenue_total else Fraction(0)
    percent_complete = _percent_from_fraction(overall)
    line = _progress_line(
        earned - billed_to_date,
        allow_credit,
        description or f"Progress {_plain(percent_complete)} % of the revenue budget",
    )
    return AutomaticProgress(line, earned, percent_complete, category_percents)


def _progress_line(amount: Decimal, allow_credit: bool, description: str) -> BillingLine | None:
    if amount == 0 or (amount < 0 and not allow_credit):
        return None
    return BillingLine(description, "progress", amount, unit_price=amount)


# --------------------------------------------------------------------------------------------
# Milestones and billing plans
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneTerms:
    """What one milestone bills: a fixed ``amount`` or a ``percent`` of the contract value.

    Exactly one of the two is set (as the ``Milestone`` model's constraints say): an amount that
    is not negative (zero for a milestone that bills nothing), or a percent above 0 and at most
    100.
    """

    id: Any
    description: str
    amount: Decimal | None
    percent: Decimal | None

    def __post_init__(self) -> None:
        if self.amount is not None and self.percent is not None:
            raise MilestoneTermsInvalid(MILESTONE_AMOUNT_AND_PERCENT.format(milestone=self.id))
        if self.amount is None and self.percent is None:
            raise MilestoneTermsInvalid(MILESTONE_NEITHER.format(milestone=self.id))
        if self.amount is not None:
            amount = _decimal(self.amount, "A milestone amount")
            if amount < 0:
                raise MilestoneTermsInvalid(
                    MILESTONE_AMOUNT_NEGATIVE.format(milestone=self.id, amount=amount)
                )
            object.__setattr__(self, "amount", amount)
        else:
            percent = _percent(self.percent, "A milestone percentage")
            if percent <= 0:
                raise MilestoneTermsInvalid(
                    MILESTONE_PERCENT_NOT_POSITIVE.format(milestone=self.id, percent=percent)
                )
            object.__setattr__(self, "percent", percent)


def milestone_amount(
    terms: MilestoneTerms,
    *,
    contract_value: Decimal,
    currency: str,
    schedule: Sequence[MilestoneTerms] | None = None,
) -> BillingLine:
    """The line for a completed milestone: its fixed amount, or its percent of the contract value.

    Without ``schedule`` a percentage is ``percent_of(contract_value, percent)``. With the
    contract's whole ``schedule`` the amount is the one :func:`milestone_schedule_amounts` gives
    this milestone, so that a schedule in percentages adds back to the contract value exactly.
    Whether the milestone is completed (and not yet invoiced) is for the caller to check.
    """
    _check_currency(currency)
    if schedule is None:
        amounts = milestone_schedule_amounts(
            [terms], contract_value=contract_value, currency=currency, split_remainder=False
        )
    else:
        amounts = milestone_schedule_amounts(
            schedule, contract_value=contract_value, currency=currency
        )
        if terms.id not in amounts:
            raise MilestoneTermsInvalid(MILESTONE_NOT_IN_SCHEDULE.format(milestone=terms.id))
    amount = amounts[terms.id]
    return BillingLine(
        terms.description, "milestone", amount, unit_price=amount, reference=terms.id
    )


def milestone_schedule_amounts(
    schedule: Sequence[MilestoneTerms],
    *,
    contract_value: Decimal,
    currency: str,
    split_remainder: bool = True,
) -> dict[Any, Decimal]:
    """The amount of every milestone of a schedule, by milestone id, in schedule order.

    Fixed amounts are taken as they are (they must be in the currency's minor unit). When the
    percentage milestones add up to exactly 100 % (and ``split_remainder``), they are split with
    :func:`billing_plan_split`: each is its percent of the value rounded half-up and the last
    one takes the rounding remainder, so they add back to the contract value exactly. Otherwise
    each is simply ``percent_of(contract_value, percent)``.
    """
    _check_currency(currency)
    contract_value = _money(contract_value, "The contract value", currency)
    amounts: dict[Any, Decimal] = {}
    percent_ids = []
    for terms in schedule:
        if terms.id in amounts:
            raise MilestoneTermsInvalid(DUPLICATE_MILESTONE.format(milestone=terms.id))
        if terms.amount is not None:
            amounts[terms.id] = _money(terms.amount, "A milestone amount", currency)
        else:
            amounts[terms.id] = percent_of(contract_value, terms.percent, currency)
            percent_ids.append(terms.id)
    percents = [terms.percent for terms in schedule if terms.amount is None]
    if split_remainder and percents and sum(percents, ZERO) == HUNDRED:
        parts = billing_plan_split(
            contract_value=contract_value, percents=percents, currency=currency
        )
        amounts.update(zip(percent_ids, parts, strict=True))
    return amounts


def billing_plan_split(
    *, contract_value: Decimal, percents: Sequence[Decimal], currency: str
) -> list[Decimal]:
    """Split a contract value into billing-plan parts, one per percentage, in order.

    Every percentage must be above 0 and they must add up to exactly 100
    (:class:`BillingPlanInvalid` otherwise). Guarantees: each part but the last is its percent
    of the value rounded half-up (within half a minor unit of its exact share); the last part
    takes the rounding remainder, so the parts add back to the contract value exactly. If the
    value is so small (a few minor units) that the remainder would be negative, the split is
    refused rather than giving a negative part.
    """
    _check_currency(currency)
    contract_value = _money(contract_value, "The contract value", currency)
    checked = []
    for percent in percents:
        percent = _percent(percent, "A billing plan percentage")
        if percent <= 0:
            raise BillingPlanInvalid(PLAN_PERCENT_NOT_POSITIVE.format(percent=percent))
        checked.append(percent)
    total = sum(checked, ZERO)
    if total != HUNDRED:
        raise BillingPlanInvalid(PLAN_PERCENTS_NOT_HUNDRED.format(total=total))
    try:
        return split_by_percents(contract_value, checked, currency)
    except ValueError as error:  # the percents add up to 100, so the amount is too small
        parts = [percent_of(contract_value, percent, currency) for percent in checked[:-1]]
        raise BillingPlanInvalid(
            PLAN_TOO_SMALL.format(
                value=contract_value,
                currency=currency,
                percents="/".join(_plain(percent) for percent in checked),
                last=contract_value - sum(parts, ZERO),
            )
        ) from error


def billing_plan_from_template(
    template: str, *, contract_value: Decimal, currency: str
) -> list[Decimal]:
    """Fill a schedule from a billing-plan template name (e.g. ``"25/25/50"``).

    Same guarantees as :func:`billing_plan_split`; an unknown name is refused.
    """
    if template not in BILLING_PLAN_TEMPLATES:
        raise BillingPlanInvalid(
            UNKNOWN_TEMPLATE.format(template=template, templates=", ".join(BILLING_PLAN_TEMPLATES))
        )
    return billing_plan_split(
        contract_value=contract_value,
        percents=BILLING_PLAN_TEMPLATES[template],
        currency=currency,
    )


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
    _check_currency(currency)
    base_amount = _money(base_amount, "The fee base amount", currency, signed=True)
    fee_percent = _percent(fee_percent, "The fee percentage")
    amount = percent_of(base_amount, fee_percent, currency)
    return BillingLine(
        description or f"Management fee {_plain(fee_percent)} % of {base_amount}",
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
    _check_currency(currency)
    headroom: dict[Any, Decimal] = {}
    for category_id, cap in caps.items():
        cap = _money(cap, "A not-to-exceed cap", currency)
        before = _money(
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
        quantity = _non_negative(item.quantity, "A quantity")
        if TIME_MATERIAL_PRICE[item.kind] == "sales":
            price = _non_negative(item.sales_price, "A sales price")
        else:
            price = _non_negative(item.cost_price, "A cost price")
        if item.amount_hint is not None:
            amount = _money(item.amount_hint, "An amount hint", currency)
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


_ITEM_DESCRIPTIONS = MappingProxyType(
    {"hour": "Hours", "expense": "Expense", "item": "Item", "fee": "Fee"}
)


# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------


def retention_line(
    *,
    lines_total: Decimal,
    retention_percent: Decimal,
    currency: str,
    description: str | None = None,
) -> BillingLine | None:
    """A negative line withholding ``retention_percent`` % of the invoice's line total.

    Guarantees: the line is ``-percent_of(lines_total, retention_percent)``; ``None`` when the
    percentage is zero, the total is not positive (nothing is withheld on a credit note) or the
    withheld amount rounds to zero. The percentage must be within 0..100.
    """
    _check_currency(currency)
    total = _money(lines_total, "The invoice line total", currency, signed=True)
    retention_percent = _percent(retention_percent, "The retention percentage")
    if total <= 0:
        return None
    withheld = percent_of(total, retention_percent, currency)
    if withheld == 0:
        return None
    return BillingLine(
        description or f"Retention {_plain(retention_percent)} % of {total}",
        "retention",
        -withheld,
        unit_price=-withheld,
    )


def retention_release_line(
    *,
    retained_to_date: Decimal,
    released_to_date: Decimal,
    currency: str,
    up_to: Decimal | None = None,
    description: str | None = None,
) -> BillingLine | None:
    """A positive line releasing what is still retained (all of it, or at most ``up_to``).

    ``retained_to_date`` and ``released_to_date`` are totals given as positive amounts (the
    retention lines' amounts with the sign turned). Guarantees: the release plus
    ``released_to_date`` never exceeds ``retained_to_date``; ``None`` when nothing is left to
    release (including when more was released than retained: that is not corrected here).
    """
    _check_currency(currency)
    retained = _money(retained_to_date, "The amount retained to date", currency)
    released = _money(released_to_date, "The amount released to date", currency)
    amount = retained - released
    if up_to is not None:
        amount = min(amount, _money(up_to, "The release limit", currency))
    if amount <= 0:
        return None
    return BillingLine(
        description or "Release of retention", "retention", amount, unit_price=amount
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
    _check_currency(currency)
    total = _money(invoice_total, "The invoice total", currency, signed=True)
    prepaid = _money(prepaid, "The prepaid amount", currency)
    deducted = _money(deducted_to_date, "The amount deducted to date", currency)
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
    previous = _decimal(previous_percent, "The previous percent")
    current = _decimal(current_percent, "The current percent")
    by_value = {_decimal(threshold, "A threshold"): threshold for threshold in thresholds}
    return tuple(by_value[value] for value in sorted(by_value) if previous < value <= current)


# --------------------------------------------------------------------------------------------
# Checks and helpers
# --------------------------------------------------------------------------------------------


def _decimal(value: Any, what: str) -> Decimal:
    """``value`` as a finite Decimal; an int is exact and accepted, anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise BillingInputInvalid(AMOUNT_NOT_DECIMAL.format(what=what, value=value))
    return value


def _non_negative(value: Any, what: str) -> Decimal:
    value = _decimal(value, what)
    if value < 0:
        raise BillingInputInvalid(AMOUNT_NEGATIVE.format(what=what, value=value))
    return value


def _money(value: Any, what: str, currency: str, *, signed: bool = False) -> Decimal:
    """A money amount: a finite Decimal in the currency's minor unit (non-negative unless signed)."""
    value = _decimal(value, what) if signed else _non_negative(value, what)
    if value != round_money(value, currency):
        raise BillingInputInvalid(
            AMOUNT_NOT_IN_MINOR_UNIT.format(
                what=what, amount=value, currency=currency, decimals=currency_decimals(currency)
            )
        )
    return value


def _percent(value: Any, what: str) -> Decimal:
    value = _decimal(value, what)
    if not 0 <= value <= HUNDRED:
        raise PercentOutOfRange(PERCENT_OUT_OF_RANGE.format(what=what, percent=value))
    return value


def _check_currency(currency: str) -> None:
    if not isinstance(currency, str) or not is_valid_currency(currency):
        raise BillingInputInvalid(CURRENCY_UNKNOWN.format(currency=currency))


def _round_fraction(value: Fraction, currency: str) -> Decimal:
    """Round an exact rational amount half-up to the currency's minor unit, via round_money.

    The value is truncated (towards zero) a few digits below the minor unit first: half-up
    rounding only looks at the first digit dropped, which truncation keeps, so the result is the
    exact half-up rounding of ``value``.
    """
    digits = currency_decimals(currency) + _GUARD_DIGITS
    scaled = abs(value.numerator) * 10**digits // value.denominator
    if value < 0:
        scaled = -scaled
    return round_money(Decimal(scaled).scaleb(-digits), currency)


def _percent_from_fraction(value: Fraction) -> Decimal:
    """A share (0..1) as a percentage, truncated to PERCENT_DECIMALS decimals (never rounded up)."""
    scaled = value.numerator * 100 * 10**PERCENT_DECIMALS // value.denominator
    return Decimal(scaled).scaleb(-PERCENT_DECIMALS)


def _plain(value: Decimal) -> str:
    """A number without trailing zeros or exponent, for line descriptions: 15, 12.5."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# ------------------------------------------------------------------------------------------
# Invoice totals: net, retention, VAT per rate, gross (shared by the preview and posting)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxableLine:
    amount: Decimal
    tax_rate: Decimal
    tax_label: str


@dataclass(frozen=True)
class TaxTotal:
    label: str
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    net: Decimal
    retention: BillingLine | None
    taxes: tuple[TaxTotal, ...]
    vat: Decimal
    gross: Decimal


def invoice_totals(
    *,
    lines: Sequence[TaxableLine],
    retention_percent: Decimal,
    retention_tax: tuple[Decimal, str],
    currency: str,
) -> InvoiceTotals:
    """Totals of an invoice from its rounded lines: the net; the retention withheld (a negative
    line of the retention percent of the net, in the tax group ``retention_tax``); VAT computed
    per tax rate on the invoice (not per line), rounded half-up; and the gross."""
    net = lines_total(
        [BillingLine(description="", kind="fee", amount=line.amount) for line in lines]
    )
    retention = (
        retention_line(lines_total=net, retention_percent=retention_percent, currency=currency)
        if retention_percent
        else None
    )
    bases: dict[tuple[Decimal, str], Decimal] = {}
    for line in lines:
        key = (Decimal(line.tax_rate), line.tax_label)
        bases[key] = bases.get(key, ZERO) + line.amount
    if retention is not None:
        key = (Decimal(retention_tax[0]), retention_tax[1])
        bases[key] = bases.get(key, ZERO) + retention.amount
    taxes = tuple(
        TaxTotal(label, rate, round_money(base, currency), percent_of(base, rate, currency))
        for (rate, label), base in sorted(bases.items(), key=lambda item: (-item[0][0], item[0][1]))
    )
    vat = sum((tax.tax for tax in taxes), ZERO)
    after_retention = net + (retention.amount if retention else ZERO)
    return InvoiceTotals(
        net=net, retention=retention, taxes=taxes, vat=vat, gross=after_retention + vat
    )
