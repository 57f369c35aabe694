"""What the billing arithmetic refuses and how it checks its input: the error messages (the
tests reuse them), the error classes, and the helpers every billing function uses to check a
Decimal, an amount in the currency's minor unit, a percentage and a currency, and to round an
exact rational amount half-up once. Pure: no Django."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from contracts.money import (
    HUNDRED,
    currency_decimals,
    is_valid_currency,
    round_money,
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


def decimal_checked(value: Any, what: str) -> Decimal:
    """``value`` as a finite Decimal; an int is exact and accepted, anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise BillingInputInvalid(AMOUNT_NOT_DECIMAL.format(what=what, value=value))
    return value


def non_negative_checked(value: Any, what: str) -> Decimal:
    value = decimal_checked(value, what)
    if value < 0:
        raise BillingInputInvalid(AMOUNT_NEGATIVE.format(what=what, value=value))
    return value


def money_checked(value: Any, what: str, currency: str, *, signed: bool = False) -> Decimal:
    """A money amount: a finite Decimal in the currency's minor unit (non-negative unless signed)."""
    value = decimal_checked(value, what) if signed else non_negative_checked(value, what)
    if value != round_money(value, currency):
        raise BillingInputInvalid(
            AMOUNT_NOT_IN_MINOR_UNIT.format(
                what=what, amount=value, currency=currency, decimals=currency_decimals(currency)
            )
        )
    return value


def percent_checked(value: Any, what: str) -> Decimal:
    value = decimal_checked(value, what)
    if not 0 <= value <= HUNDRED:
        raise PercentOutOfRange(PERCENT_OUT_OF_RANGE.format(what=what, percent=value))
    return value


def currency_checked(currency: str) -> None:
    if not isinstance(currency, str) or not is_valid_currency(currency):
        raise BillingInputInvalid(CURRENCY_UNKNOWN.format(currency=currency))


def fraction_rounded(value: Fraction, currency: str) -> Decimal:
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


def percent_from_fraction(value: Fraction) -> Decimal:
    """A share (0..1) as a percentage, truncated to PERCENT_DECIMALS decimals (never rounded up)."""
    scaled = value.numerator * 100 * 10**PERCENT_DECIMALS // value.denominator
    return Decimal(scaled).scaleb(-PERCENT_DECIMALS)


def plain_figure(value: Decimal) -> str:
    """A number without trailing zeros or exponent, for line descriptions: 15, 12.5."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
