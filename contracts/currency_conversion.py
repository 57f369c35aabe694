"""VAT in the legal entity's currency (EN 16931 BT-6, BT-111) for an invoice in another
currency: the one function that computes it, so the PDF, the API and the e-invoice show the
same figures. Pure: ``Decimal`` in and out, no ORM.

Each VAT breakdown row (category and rate) is converted and rounded half-up on its own; the
total is the sum of the rounded rows, so the rows always add up to the total printed. The total
is then within half a minor unit per row of the unrounded product of the invoice's VAT and the
rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from contracts.money import ZERO, round_money

#: ``ExchangeRate.rate``: units of the quote currency per ONE unit of the currency, with room
#: for the banks' six significant digits after a rate per 100 units is divided by 100.
EXCHANGE_RATE = {"max_digits": 18, "decimal_places": 8}
#: A rate is written with at least this many decimals (11.234500), more when it has them.
RATE_DECIMALS = 6


@dataclass(frozen=True)
class VatRow:
    """One VAT breakdown row: its EN 16931 category, its rate (%) and the VAT amount."""

    category: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ConvertedVat:
    """The VAT breakdown in ``currency``: each row converted and rounded, and their sum."""

    currency: str
    rows: tuple[VatRow, ...]
    total: Decimal


def vat_converted(rows: Iterable[VatRow], *, exchange_rate: Decimal, currency: str) -> ConvertedVat:
    """The VAT rows converted with ``exchange_rate`` (units of ``currency`` per one unit of the
    invoice's currency), each rounded half-up to ``currency``'s minor unit; the total is the sum
    of the rounded rows. Negative amounts (a credit note) round the same way, away from zero
    at the half."""
    if exchange_rate <= 0:
        raise ValueError(f"An exchange rate must be above zero, not {exchange_rate}.")
    converted = tuple(
        VatRow(
            category=row.category,
            rate=row.rate,
            amount=round_money(row.amount * exchange_rate, currency),
        )
        for row in rows
    )
    total = sum((row.amount for row in converted), start=ZERO)
    return ConvertedVat(currency=currency, rows=converted, total=round_money(total, currency))


def exchange_rate_text(rate: Decimal) -> str:
    """A rate as frozen text: at least six decimals (``11.234500``), all of them when it has
    more (``1.4712345``), never an exponent."""
    rate = Decimal(rate)
    six = rate.quantize(Decimal(1).scaleb(-RATE_DECIMALS))
    return format(six if six == rate else rate.normalize(), "f")
