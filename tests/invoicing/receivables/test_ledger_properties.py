"""Property: whatever sequence of payments, reversals, credit notes, credit applications and
refunds a clerk records, no invoice's open amount goes below zero, the customer credit never
goes below zero, "paid" matches nothing open, and the customer balance equals the open amounts
less the unused credit."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoicing.invoices import credits
from invoicing.invoices.models import Invoice, InvoiceStatus
from invoicing.receivables import payments, selectors
from invoicing.receivables.models import Payment
from tests.invoicing.invoices.test_credits import approve_and_post
from tests.invoicing.receivables.test_payments import FEB_1, post

pytestmark = pytest.mark.django_db
D = Decimal

AMOUNTS = st.decimals(min_value=1, max_value=30000, places=2, allow_nan=False)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 1), AMOUNTS, st.booleans()),
        st.tuples(st.just("reverse"), st.integers(0, 5)),
        st.tuples(st.just("credit_note"), st.integers(0, 1), st.integers(1, 3000)),
        st.tuples(st.just("apply"), st.integers(0, 1)),
        st.tuples(st.just("refund"), st.decimals(min_value=1, max_value=5000, places=2)),
    ),
    min_size=1,
    max_size=7,
)


@pytest.fixture
def two_invoices(people):
    first = post(people)
    second = post(people, customer=first.customer, legal_entity=first.legal_entity)
    return [first, second], people


def step(invoices, people, action) -> None:
    clerk = people["clerk"]
    customer = invoices[0].customer
    kind = action[0]
    if kind == "pay":
        invoice = invoices[action[1]]
        payments.payment_record(
            customer=customer,
            currency="SEK",
            amount=action[2],
            paid_on=FEB_1,
            allocations=[(invoice, None)],
            keep_surplus_as_credit=action[3],
            actor=clerk,
        )
    elif kind == "reverse":
        recorded = list(Payment.objects.filter(reverses__isnull=True).order_by("pk"))
        if recorded:
            payment = recorded[action[1] % len(recorded)]
            payments.payment_reverse(payment=payment, reason="Mistake", actor=clerk)
    elif kind == "credit_note":
        invoice = invoices[action[1]]
        hours_line = invoice.lines.get(line_type="transaction")
        proposal = credits.credit_proposal_create(
            invoice=invoice,
            amounts={hours_line.pk: D(action[2])},
            reason="Correction",
            rebill=False,
            actor=clerk,
        )
        approve_and_post(proposal, people)
    elif kind == "apply":
        payments.customer_credit_apply(
            customer=customer, currency="SEK", invoice=invoices[action[1]], actor=clerk
        )
    else:
        payments.customer_credit_refund(
            customer=customer, currency="SEK", amount=action[1], actor=clerk
        )


def check(invoices) -> None:
    customer = invoices[0].customer
    rows = list(selectors.invoices_with_open_amount(Invoice.objects.filter(customer=customer)))
    open_total = D("0")
    for row in rows:
        assert row.open_amount >= 0, row.number
        if row.document_type == "invoice":
            assert (row.status == InvoiceStatus.PAID) == (row.open_amount == 0), row.number
            open_total += row.open_amount
    credit = selectors.customer_credit_available(customer, "SEK")
    assert credit >= 0
    assert selectors.customer_balance(customer, "SEK") == open_total - credit
    statement = selectors.customer_statement(customer, "SEK")
    assert statement.closing_balance == open_total - credit
    assert statement.credit_available == credit
    # The customer pages' figures (one grouped read for many customers) say the same.
    [position] = selectors.customers_receivable([customer.pk])[customer.pk]
    assert (position.open_amount, position.credit_available) == (open_total, credit)
    assert position.balance == open_total - credit
    assert position.overdue_amount <= position.open_amount


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_open_amounts_never_negative_and_balance_is_open_less_credit(two_invoices, steps):
    invoices, people = two_invoices
    with transaction.atomic():  # each example starts from the two unpaid invoices
        for action in steps:
            try:
                with transaction.atomic():
                    step(invoices, people, action)
            except (payments.PaymentRefused, ValidationError):
                pass
            check(invoices)
        transaction.set_rollback(True)
