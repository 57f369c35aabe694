"""Numbers in a timesheet must fit their columns: a value too big is a row error on its column,
never a database overflow at insert."""

from decimal import Decimal

import pytest

from contracts.models import Worker
from invoicing.transactions import timesheets
from invoicing.transactions.models import ProjectTransaction

D = Decimal


def test_the_checked_sizes_are_the_models_column_sizes():
    def size(model, name):
        field = model._meta.get_field(name)
        return (field.max_digits, field.decimal_places)

    assert size(ProjectTransaction, "quantity") == timesheets.QUANTITY_DIGITS
    assert size(ProjectTransaction, "sales_price") == timesheets.PRICE_DIGITS
    assert size(ProjectTransaction, "cost_price") == timesheets.PRICE_DIGITS
    assert size(Worker, "sales_rate") == timesheets.PRICE_DIGITS
    assert size(ProjectTransaction, "sales_amount") == timesheets.AMOUNT_DIGITS
    assert size(ProjectTransaction, "cost_amount") == timesheets.AMOUNT_DIGITS


@pytest.mark.parametrize(
    ("value", "fits"),
    [
        (D("9999999999.9999"), True),
        (D("10000000000"), False),
        (D("1E+30"), False),
        (D("0"), True),
        (D("0.0001"), True),
    ],
)
def test_number_fits_a_quantity_column(value, fits):
    assert timesheets.number_fits(value, timesheets.QUANTITY_DIGITS) is fits


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("TS-1;2026-03-02;P-1;;OFFICE;1000000000000;x;SEK;expense;10", "Hours", "too large"),
        ("TS-1;2026-03-02;P-1;;OFFICE;1;x;SEK;expense;123456789012", "Cost price", "too large"),
        ("TS-1;2026-03-02;P-1;;OFFICE;1;x;SEK;expense;1,00001", "Cost price", "4 decimals"),
        (
            "TS-1;2026-03-02;P-1;;OFFICE;9999999999;x;SEK;expense;99999999",
            "Cost price",
            "amount 9999999999 x 99999999 is too large",
        ),
    ],
)
def test_a_file_with_a_number_too_big_for_its_column_names_row_and_column(line, column, message):
    from tests.invoicing.transactions.test_timesheets import HEADER, check

    outcome = check(line, header=HEADER + ";Kind;Cost price")
    assert [(error.row, error.column) for error in outcome.errors] == [(2, column)]
    assert message in outcome.errors[0].message
    assert outcome.drafts == []
