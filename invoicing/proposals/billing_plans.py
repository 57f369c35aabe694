"""Milestones and billing plans (DOMAIN.md sections 4 and 10): a milestone's amount (fixed, or a
percentage of the contract value), a whole schedule, and plans split from a contract value by
percentages or by a template (25/25/50...), adding back to the value exactly. Pure: no Django."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from contracts.money import (
    HUNDRED,
    ZERO,
    percent_of,
    split_by_percents,
)
from invoicing.proposals.billing import BillingLine
from invoicing.proposals.billing_checks import (
    DUPLICATE_MILESTONE,
    MILESTONE_AMOUNT_AND_PERCENT,
    MILESTONE_AMOUNT_NEGATIVE,
    MILESTONE_NEITHER,
    MILESTONE_NOT_IN_SCHEDULE,
    MILESTONE_PERCENT_NOT_POSITIVE,
    PLAN_PERCENT_NOT_POSITIVE,
    PLAN_PERCENTS_NOT_HUNDRED,
    PLAN_TOO_SMALL,
    UNKNOWN_TEMPLATE,
    BillingPlanInvalid,
    MilestoneTermsInvalid,
    currency_checked,
    decimal_checked,
    money_checked,
    percent_checked,
    plain_figure,
)

# Billing-plan templates (DOMAIN.md section 10): the percentages of the contract value, in order.
BILLING_PLAN_TEMPLATES = MappingProxyType(
    {
        "25/25/50": (Decimal("25"), Decimal("25"), Decimal("50")),
        "30/30/40": (Decimal("30"), Decimal("30"), Decimal("40")),
        "20/30/30/20": (Decimal("20"), Decimal("30"), Decimal("30"), Decimal("20")),
        "40/30/30": (Decimal("40"), Decimal("30"), Decimal("30")),
    }
)


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
            amount = decimal_checked(self.amount, "A milestone amount")
            if amount < 0:
                raise MilestoneTermsInvalid(
                    MILESTONE_AMOUNT_NEGATIVE.format(milestone=self.id, amount=amount)
                )
            object.__setattr__(self, "amount", amount)
        else:
            percent = percent_checked(self.percent, "A milestone percentage")
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
    currency_checked(currency)
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
    currency_checked(currency)
    contract_value = money_checked(contract_value, "The contract value", currency)
    amounts: dict[Any, Decimal] = {}
    percent_ids = []
    for terms in schedule:
        if terms.id in amounts:
            raise MilestoneTermsInvalid(DUPLICATE_MILESTONE.format(milestone=terms.id))
        if terms.amount is not None:
            amounts[terms.id] = money_checked(terms.amount, "A milestone amount", currency)
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
    currency_checked(currency)
    contract_value = money_checked(contract_value, "The contract value", currency)
    checked = []
    for percent in percents:
        percent = percent_checked(percent, "A billing plan percentage")
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
                percents="/".join(plain_figure(percent) for percent in checked),
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
