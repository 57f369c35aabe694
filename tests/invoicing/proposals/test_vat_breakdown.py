"""The VAT breakdown of an invoice (``totals.invoice_totals``) is grouped by EN 16931 VAT
category and rate, never by tax group: the preview and posting share it. Pure: no database."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from invoicing.proposals.totals import TaxableLine, VatTreatment, invoice_totals

D = Decimal


def line(amount: str, rate: str, label: str, category: str, code: str = "", text: str = ""):
    return TaxableLine(
        D(amount),
        D(rate),
        label,
        vat_category=category,
        exemption_reason_code=code,
        exemption_reason=text,
    )


RETENTION_TAX = VatTreatment(D("25"), "SE25", "S")


def totals(lines, retention_percent="0"):
    return invoice_totals(
        lines=lines,
        retention_percent=D(retention_percent),
        retention_tax=RETENTION_TAX,
        currency="SEK",
    )


def test_two_tax_groups_of_one_category_and_rate_are_one_vat_row():
    result = totals(
        [line("100.02", "25", "SE25 Sweden 25 %", "S"), line("100.02", "25", "B Other", "S")]
    )
    [tax] = result.taxes
    assert (tax.category, tax.rate, tax.base, tax.tax) == ("S", D("25"), D("200.04"), D("50.01"))
    assert tax.label == "B Other"  # the first label in order, whatever the order of the lines
    assert result.vat == D("50.01")  # one rounding: per line it would be 25.01 + 25.01


def test_categories_at_the_same_rate_are_separate_rows_with_their_reason():
    result = totals(
        [
            line("1000", "0", "EURC", "AE", "VATEX-EU-AE", "Reverse charge"),
            line("500", "0", "EXEMPT", "E", "", "Exempt from VAT"),
            line("200", "25", "SE25", "S"),
        ]
    )
    rows = [(tax.category, tax.rate, tax.base, tax.exemption_reason_code) for tax in result.taxes]
    assert rows == [
        ("S", D("25"), D("200.00"), ""),
        ("AE", D("0"), D("1000.00"), "VATEX-EU-AE"),
        ("E", D("0"), D("500.00"), ""),
    ]
    assert result.taxes[2].exemption_reason == "Exempt from VAT"


def test_retention_is_taxed_in_the_row_of_its_category_and_rate():
    result = totals([line("1000", "25", "SE25", "S")], retention_percent="10")
    [tax] = result.taxes
    assert (tax.base, tax.tax) == (D("900.00"), D("225.00"))


amounts = st.decimals(min_value=-1000, max_value=10000, places=2)
treatments = st.sampled_from(
    [("25", "SE25", "S"), ("25", "DK25", "S"), ("12", "SE12", "S"), ("0", "EURC", "AE")]
)


@given(st.lists(st.tuples(amounts, treatments), min_size=1, max_size=8), st.randoms())
def test_the_breakdown_does_not_depend_on_the_order_of_the_lines(entries, random):
    lines = [
        line(str(amount), rate, label, category) for amount, (rate, label, category) in entries
    ]
    shuffled = list(lines)
    random.shuffle(shuffled)
    assert totals(lines) == totals(shuffled)
    keys = [(tax.category, tax.rate) for tax in totals(lines).taxes]
    assert len(keys) == len(set(keys))


def test_a_line_posted_before_categories_joins_the_standard_rated_row_of_its_rate():
    """Crediting an invoice posted before lines recorded their category: its 25 % lines (no
    category) and the credit note's retention (S, 25 %) are one base and one rounding."""
    result = totals(
        [line("100.02", "25", "SE25", ""), line("100.02", "25", "SE25", "S")],
    )
    [tax] = result.taxes
    assert (tax.category, tax.base, tax.tax) == ("S", D("200.04"), D("50.01"))
