"""The VAT of a foreign-currency invoice in the legal entity's currency: one pure function,
rounded per VAT row, the total the sum of the rounded rows."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.currency_conversion import VatRow, exchange_rate_text, vat_converted

D = Decimal


def test_each_row_is_rounded_half_up_and_the_total_is_their_sum():
    rows = [VatRow("S", D("25.00"), D("2500.00")), VatRow("S", D("12.00"), D("10.10"))]
    converted = vat_converted(rows, exchange_rate=D("11.2345"), currency="SEK")
    # 2,500.00 x 11.2345 = 28,086.25; 10.10 x 11.2345 = 113.46845 -> 113.47 (half-up)
    assert [row.amount for row in converted.rows] == [D("28086.25"), D("113.47")]
    assert converted.total == D("28199.72")
    assert (converted.rows[1].category, converted.rows[1].rate) == ("S", D("12.00"))


def test_half_a_cent_rounds_up_and_a_credit_note_rounds_away_from_zero():
    rows = [VatRow("S", D("25.00"), D("0.05")), VatRow("S", D("25.00"), D("-0.05"))]
    converted = vat_converted(rows, exchange_rate=D("0.5"), currency="SEK")  # 0.025 each
    assert [row.amount for row in converted.rows] == [D("0.03"), D("-0.03")]
    assert converted.total == D("0.00")


def test_a_currency_without_decimals_rounds_to_whole_units():
    converted = vat_converted(
        [VatRow("S", D("10.00"), D("100.00"))], exchange_rate=D("156.789"), currency="JPY"
    )
    assert converted.total == D("15679")


def test_zero_rated_rows_stay_zero():
    converted = vat_converted(
        [VatRow("AE", D("0.00"), D("0.00"))], exchange_rate=D("7.46"), currency="DKK"
    )
    assert converted.total == D("0.00")


def test_a_rate_must_be_above_zero():
    with pytest.raises(ValueError, match="above zero"):
        vat_converted([], exchange_rate=D("0"), currency="SEK")


def test_a_rate_is_written_with_six_decimals_at_least():
    assert exchange_rate_text(D("11.2345")) == "11.234500"
    assert exchange_rate_text(D("11.23450000")) == "11.234500"
    assert exchange_rate_text(D("1.4712345")) == "1.4712345"
    assert exchange_rate_text(D("0.00051100")) == "0.000511"
    assert exchange_rate_text(D("1E+1")) == "10.000000"


amounts = st.decimals(min_value=D("-1000000"), max_value=D("1000000"), places=2)
rates = st.decimals(min_value=D("0.00000001"), max_value=D("10000"), places=8)


@given(
    vat=st.lists(amounts, min_size=1, max_size=7),
    rate=rates,
    currency=st.sampled_from(["SEK", "DKK", "EUR", "JPY", "KWD"]),
)
def test_the_rounded_rows_add_up_to_the_total_within_half_a_unit_per_row(vat, rate, currency):
    rows = [VatRow("S", D("25.00"), amount) for amount in vat]
    converted = vat_converted(rows, exchange_rate=rate, currency=currency)
    assert converted.total == sum(row.amount for row in converted.rows)
    unit = {"JPY": D("1"), "KWD": D("0.001")}.get(currency, D("0.01"))
    exact = sum(amount * rate for amount in vat)
    assert abs(converted.total - exact) <= unit / 2 * len(rows)
    for row, amount in zip(converted.rows, vat, strict=True):
        assert abs(row.amount - amount * rate) <= unit / 2
