"""Property: for any open invoices and any BgMax file paying them by OCR (some payments with a
wrong check digit or no reference, for less, exactly or more than is open), confirming the file
books each bank payment at most once, never allocates more than is open on an invoice, and
what is allocated plus the customer credit kept equals the file's total; the same file again
books nothing."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoicing.invoices.models import Invoice
from invoicing.receivables import payments, selectors
from invoicing.receivables.bank_files import services
from invoicing.receivables.bank_files.bgmax import BgMaxPaymentOut
from invoicing.receivables.bank_files.models import BankFilePayment
from invoicing.receivables.models import Payment, PaymentAllocation
from tests.invoicing.receivables.bank_files.conftest import FEB_3, bgmax_of, ocr

pytestmark = pytest.mark.django_db
D = Decimal

PREPAID = st.lists(
    st.sampled_from([D("0"), D("0"), D("1000.00"), D("27499.99")]), min_size=4, max_size=4
)
PAYMENT = st.tuples(
    st.integers(0, 3),  # which invoice it means to pay
    st.sampled_from(["exact", "less", "more", "odd"]),
    st.sampled_from(["ocr", "ocr", "ocr", "bad_check_digit", "none"]),
)


def _amount(kind: str, open_amount: D, index: int) -> D:
    if kind == "exact":
        return max(open_amount, D("0.01"))
    if kind == "less":
        return max(open_amount - D("0.01"), D("0.01"))
    if kind == "more":
        return open_amount + D("100.00")
    return D("3.33") * (index + 1)


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(prepaid=PREPAID, planned=st.lists(PAYMENT, min_size=1, max_size=6))
def test_confirming_books_each_payment_once_within_what_is_open(invoices, people, prepaid, planned):
    clerk = people["clerk"]
    with transaction.atomic():
        for invoice, amount in zip(invoices, prepaid, strict=True):
            if amount:
                payments.payment_record(
                    customer=invoice.customer, currency="SEK", amount=amount, paid_on=FEB_3,
                    allocations=[(invoice, None)], actor=clerk,
                )  # fmt: skip
        open_before = {i.pk: selectors.invoice_open_amount(i) for i in invoices}
        customers = {invoice.customer for invoice in invoices}
        credit_before = sum(selectors.customer_credit_available(c, "SEK") for c in customers)
        payments_before = set(Payment.objects.values_list("pk", flat=True))
        written = []
        for index, (which, size, reference) in enumerate(planned):
            invoice = invoices[which]
            good = ocr(invoice)
            written.append(
                BgMaxPaymentOut(
                    amount=_amount(size, open_before[invoice.pk], index),
                    reference={
                        "ocr": good,
                        "bad_check_digit": good[:-1] + str((int(good[-1]) + 1) % 10),
                        "none": "",
                    }[reference],
                    serial=str(index + 1),
                )
            )
        content = bgmax_of(*written)
        total = sum((payment.amount for payment in written), D("0"))

        bank_file = services.bank_file_upload(
            content=content, file_name="p.txt", actor=clerk
        ).bank_file
        services.bank_file_confirm(bank_file=bank_file, actor=clerk)
        for row in BankFilePayment.objects.filter(bank_file=bank_file, state="unmatched"):
            services.bank_payment_keep_as_credit(
                bank_payment=row, customer=invoices[0].customer, actor=clerk
            )
        again = services.bank_file_upload(content=content, file_name="p2.txt", actor=clerk)
        assert not again.is_new

        created = Payment.objects.exclude(pk__in=payments_before)
        rows = BankFilePayment.objects.filter(bank_file=bank_file)
        # Each bank payment booked exactly once, by its own Payment.
        assert created.count() == rows.count() == len(written)
        assert sorted(rows.values_list("payment_id", flat=True)) == sorted(
            created.values_list("pk", flat=True)
        )
        # Never more than was open on an invoice.
        for invoice in Invoice.objects.filter(pk__in=open_before):
            allocated = sum(
                (
                    row.amount
                    for row in PaymentAllocation.objects.filter(
                        payment__in=created, invoice=invoice
                    )
                ),
                D("0"),
            )
            assert allocated <= open_before[invoice.pk]
            assert selectors.invoice_open_amount(invoice) == open_before[invoice.pk] - allocated
        # What is allocated plus the credit kept is the file's total.
        allocated_total = sum(
            (row.amount for row in PaymentAllocation.objects.filter(payment__in=created)), D("0")
        )
        credit_after = sum(selectors.customer_credit_available(c, "SEK") for c in customers)
        assert allocated_total + (credit_after - credit_before) == total
        transaction.set_rollback(True)
