"""Vouchers under load on PostgreSQL: four threads posting invoices and recording payments of
one legal entity at once number each series 1, 2, 3... without a gap or a duplicate, and the
first bookings of a new entity install its chart of accounts once."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from invoicing.invoices import posting
from invoicing.ledger.models import AccountRule, Voucher
from invoicing.receivables import payments
from tests.invoicing.invoices.test_posting_concurrency import approved_proposals, in_threads

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]


@pytest.mark.slow
def test_four_threads_posting_and_paying_number_both_series_without_gaps():
    made, clerk = approved_proposals(24)
    queue = list(made)
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work(_index):
        start.wait()
        while True:
            with lock:
                if not queue:
                    return
                proposal = queue.pop()
            invoice = posting.invoice_post(
                proposal=proposal, actor=clerk, invoice_date=datetime.date(2026, 3, 1)
            )
            payments.payment_record(
                customer=invoice.customer, currency=invoice.currency, amount=Decimal("50.00"),
                paid_on=datetime.date(2026, 3, 2), allocations=[(invoice, None)], actor=clerk,
            )  # fmt: skip

    assert in_threads(4, work) == []
    for series in ("A", "B"):
        numbers = sorted(Voucher.objects.filter(series=series).values_list("number", flat=True))
        assert numbers == list(range(1, 25)), series
    entity = made[0].contract.legal_entity
    assert AccountRule.objects.filter(legal_entity=entity, purpose="receivables").count() == 1
