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
