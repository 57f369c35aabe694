"""Posted invoices with OCR references, and BgMax files paying them."""

import datetime

import pytest

from invoicing.receivables.bank_files.bgmax import BgMaxDepositOut, bgmax_write
from tests.factories import LegalEntityFactory
from tests.invoicing.receivables.test_payments import post

FEB_3 = datetime.date(2026, 2, 3)
STAMP = datetime.datetime(2026, 2, 4, 6, 30)


def ocr(invoice) -> str:
    """The OCR reference frozen on the posted invoice."""
    return invoice.snapshot["payment_reference"]["reference"]


def bgmax_of(*payments_out, day=FEB_3) -> bytes:
    return bgmax_write(
        [BgMaxDepositOut(bankgiro="50501055", payment_date=day, payments=tuple(payments_out))],
        created_at=STAMP,
    )


@pytest.fixture
def invoices(people):
    """Three E1 invoices (27,500.00 each) of one customer, with OCR references, and one of
    another customer."""
    entity = LegalEntityFactory(swedish_details=True, invoice_number_prefix="SE-")
    first = post(people, legal_entity=entity)
    second = post(people, legal_entity=entity, customer=first.customer)
    third = post(people, legal_entity=entity, customer=first.customer)
    other = post(people, legal_entity=entity)
    return [first, second, third, other]
