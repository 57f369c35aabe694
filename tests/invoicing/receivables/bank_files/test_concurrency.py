"""Bank files under concurrency on PostgreSQL: two clerks confirming the same file at once book
it once; two files bringing the same payment at once keep it once."""

from decimal import Decimal

import pytest
from django.db import connection

from invoicing.receivables.bank_files import services
from invoicing.receivables.bank_files.bgmax import BgMaxPaymentOut
from invoicing.receivables.bank_files.models import BankFilePayment
from invoicing.receivables.models import Payment
from tests.invoicing.invoices.test_posting_concurrency import in_threads
from tests.invoicing.receivables.bank_files.conftest import bgmax_of, ocr

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]
D = Decimal


def test_two_clerks_confirming_one_file_book_it_once(invoices, people):
    content = bgmax_of(
        *(BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoice)) for invoice in invoices)
    )
    bank_file = services.bank_file_upload(
        content=content, file_name="a.txt", actor=people["clerk"]
    ).bank_file
    errors = in_threads(
        4, lambda _index: services.bank_file_confirm(bank_file=bank_file, actor=people["clerk"])
    )
    assert len(errors) == 3
    assert all(isinstance(error, services.BankFileRefused) for error in errors)
    assert Payment.objects.count() == 4
    assert set(bank_file.payments.values_list("state", flat=True)) == {"booked"}


def test_two_files_with_the_same_payment_uploaded_at_once_keep_it_once(invoices, people):
    payment = BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoices[0]), serial="9")
    files = [
        bgmax_of(payment, BgMaxPaymentOut(amount=D(f"{index}.00"), serial=str(10 + index)))
        for index in range(1, 5)
    ]
    errors = in_threads(
        4,
        lambda index: services.bank_file_upload(
            content=files[index], file_name=f"{index}.txt", actor=people["clerk"]
        ),
    )
    # A file that lost the race is refused with a message and can be sent again.
    assert all(isinstance(error, services.BankFileRefused) for error in errors)
    kept = BankFilePayment.objects.filter(bank_reference__endswith="-000000000009")
    assert kept.exclude(state="skipped").count() == 1
