"""The one rounding helper: half-up, to the currency's minor unit."""

from decimal import Decimal

import pytest

from contracts.money import currency_decimals, minor_unit, percent_of, round_money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.005", "SEK", "2.01"),
        ("2.004", "SEK", "2.00"),
        ("-2.005", "SEK", "-2.01"),
        ("2.5", "JPY", "3"),
        ("1.0005", "KWD", "1.001"),
        ("8666.6666", None, "8666.67"),
    ],
)
def test_round_money_is_half_up_to_the_minor_unit(amount, currency, expected):
    assert round_money(Decimal(amount), currency) == Decimal(expected)


def test_currency_decimals():
    assert (currency_decimals("SEK"), currency_decimals("JPY"), currency_decimals("KWD")) == (
        2,
        0,
        3,
    )
    assert minor_unit("JPY") == Decimal("1")


def test_percent_of_rounds_once():
    assert percent_of(Decimal("20000.00"), Decimal("10")) == Decimal("2000.00")
    assert percent_of(Decimal("0.05"), Decimal("50")) == Decimal("0.03")
