"""Money arithmetic: the one place where amounts are rounded.

Every amount in the application is a ``Decimal``. Rounding is always half-up
(commercial rounding) and always goes through :func:`round_money`, so that
a change of policy is a change in one place. No ORM here: this module is pure.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

from babel.numbers import get_currency_precision, list_currencies

ZERO = Decimal("0")
HUNDRED = Decimal("100")
DEFAULT_DECIMALS = 2


@cache
def currency_decimals(currency: str) -> int:
    """Number of minor-unit digits of an ISO 4217 currency (SEK 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency.upper())


@cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 0.01 for SEK, 1 for JPY, 0.001 for KWD."""
    return Decimal(1).scaleb(-currency_decimals(currency))


def is_valid_currency(code: str) -> bool:
    """True when ``code`` is an active ISO 4217 currency code in upper case."""
    return len(code) == 3 and code.isupper() and code in _known_currencies()


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def round_money(amount: Decimal, currency: str | None = None) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency`` (two decimals when None)."""
    exponent = minor_unit(currency) if currency else Decimal("0.01")
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal, currency: str | None = None) -> Decimal:
    """``percent`` % of ``amount``, rounded half-up to the currency's minor unit."""
    return round_money(amount * percent / HUNDRED, currency)


def split_by_percents(amount: Decimal, percents, currency: str | None = None) -> list[Decimal]:
    """Split ``amount`` into parts of ``percents`` (adding up to 100): each part is rounded
    half-up and the last part takes the remainder, so the parts add back to ``amount`` exactly.
    Raises ``ValueError`` when the percentages do not add up to 100, or when the amount is so
    small that the remainder would be negative."""
    percents = [Decimal(percent) for percent in percents]
    if not percents:
        return []
    if sum(percents) != HUNDRED:
        raise ValueError(f"The percentages add up to {sum(percents)} %, not 100 %.")
    parts = [percent_of(amount, percent, currency) for percent in percents[:-1]]
    last = round_money(amount, currency) - sum(parts, start=ZERO)
    if last < 0:
        raise ValueError(f"{amount} is too small to split into {len(percents)} parts.")
    parts.append(last)
    return parts


def plain_number(value) -> str:
    """A number without exponent or needless zeros, for text: 10.00 -> "10", 7.50 -> "7.5"."""
    return format(Decimal(value).normalize(), "f")
