"""The customer statement: running balance to the cent, ageing at fixed dates, the page and the
PDF, and pages whose query count does not grow with the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.receivables import payments, selectors, statements
from tests.invoicing.receivables.test_payments import credit_note, pay, post

D = Decimal
day = datetime.date


# ---- the pure arithmetic ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-1, statements.NOT_DUE),
        (0, statements.DAYS_0_30),
        (30, statements.DAYS_0_30),
        (31, statements.DAYS_31_60),
        (60, statements.DAYS_31_60),
        (61, statements.DAYS_61_90),
        (90, statements.DAYS_61_90),
        (91, statements.OVER_90),
    ],
)
def test_ageing_buckets_by_days_past_due(days, bucket):
    assert statements.bucket_for(days) == bucket


def test_statement_balance_and_ageing_without_a_database():
    entries = [
        statements.Entry(day(2026, 1, 1), "invoice", "1", "", D("100.00"), order=1),
        statements.Entry(day(2026, 1, 20), "payment", "", "", D("-30.00"), order=4),
        statements.Entry(day(2026, 2, 1), "invoice", "2", "", D("50.00"), order=1),
    ]
    items = [
        statements.OpenItem("1", day(2026, 1, 31), D("100.00"), ((day(2026, 1, 20), D("30")),)),
        statements.OpenItem("2", day(2026, 3, 3), D("50.00")),
    ]
    result = statements.statement_build(
        entries=entries, items=items, date_from=day(2026, 1, 15), date_to=day(2026, 3, 2)
    )
    assert result.opening_balance == D("100.00")
    assert [line.balance for line in result.lines] == [D("70.00"), D("120.00")]
    assert result.closing_balance == D("120.00")
    assert result.ageing.buckets[statements.DAYS_0_30] == D("70.00")  # 30 days past due
    assert result.ageing.buckets[statements.NOT_DUE] == D("50.00")
    assert result.ageing.total == result.closing_balance
    assert result.credit_available == 0


# ---- from the ledger ----------------------------------------------------------------------


@pytest.fixture
def history(people):
    """Two invoices of 27,500 (due 2026-01-31 and 2026-03-31), 10,000 paid on the first, a
    credit note of -4,512.50 on it (2026-04-15), 2,500 paid on 2026-05-01 of which 500 is kept
    as credit and refunded on 2026-05-05."""
    first = post(people)
    second = post(
        people,
        customer=first.customer,
        legal_entity=first.legal_entity,
        on=day(2026, 3, 1),
    )
    pay(first, people, "10000", on=day(2026, 2, 1))
    note = credit_note(first, people)
    pay(
        second,
        people,
        "2500",
        on=day(2026, 5, 1),
        allocations=[(second, D("2000"))],
        keep_surplus_as_credit=True,
    )
    payments.customer_credit_refund(
        customer=first.customer,
        currency="SEK",
        amount=D("500"),
        refunded_on=day(2026, 5, 5),
        reference="Refund 1",
        actor=people["clerk"],
    )
    return first, second, note


@pytest.mark.django_db
def test_statement_balance_is_invoices_less_credit_notes_and_payments_plus_refunds(history):
    first, second, note = history
    statement = selectors.customer_statement(first.customer, "SEK", date_to=day(2026, 5, 10))
    # 27,500 + 27,500 - 4,512.50 - 10,000 - 2,500 + 500
    assert statement.closing_balance == D("38487.50")
    assert statement.closing_balance == selectors.customer_balance(first.customer, "SEK")
    assert [line.entry.kind for line in statement.lines] == [
        "invoice",
        "payment",
        "invoice",
        "credit_note",
        "credit_applied",
        "payment",
        "refund",
    ]
    assert [line.balance for line in statement.lines] == [
        D("27500.00"),
        D("17500.00"),
        D("45000.00"),
        D("40487.50"),
        D("40487.50"),
        D("37987.50"),
        D("38487.50"),
    ]
    buckets = statement.ageing.buckets
    assert buckets[statements.OVER_90] == D("12987.50")  # first: 99 days past due
    assert buckets[statements.DAYS_31_60] == D("25500.00")  # second: 40 days
    assert statement.ageing.total == statement.closing_balance
    assert statement.credit_available == 0


@pytest.mark.django_db
def test_statement_for_a_period_and_at_an_earlier_date(history):
    first, _second, _note = history
    customer = first.customer
    period = selectors.customer_statement(
        customer, "SEK", date_from=day(2026, 3, 1), date_to=day(2026, 5, 10)
    )
    assert period.opening_balance == D("17500.00")
    assert period.lines[0].entry.kind == "invoice"
    earlier = selectors.customer_statement(customer, "SEK", date_to=day(2026, 2, 15))
    assert earlier.closing_balance == D("17500.00")
    assert earlier.ageing.buckets[statements.DAYS_0_30] == D("17500.00")  # 15 days past due
    assert earlier.ageing.total == D("17500.00")


@pytest.mark.django_db
def test_statement_page_and_pdf(history, client, people):
    first, _second, note = history
    client.force_login(people["clerk"])
    url = reverse("invoicing:customer_statement", args=[first.customer.pk])
    html = client.get(url, {"currency": "SEK", "date_to": "2026-05-10"}).content.decode()
    assert "38,487.50" in html and "Refund 1" in html and note.number in html
    response = client.get(url + "pdf/", {"currency": "SEK", "date_to": "2026-05-10"})
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_receivables_and_statement_pages_run_a_bounded_number_of_queries(people, client):
    first = post(people)
    customer = first.customer
    client.force_login(people["clerk"])
    receivables = reverse("invoicing:receivables")
    statement = reverse("invoicing:customer_statement", args=[customer.pk])
    pay(first, people, "100")
    few = (_queries(client, receivables), _queries(client, statement))
    for _ in range(3):
        more = post(people, customer=customer, legal_entity=first.legal_entity)
        pay(more, people, "100")
    assert (_queries(client, receivables), _queries(client, statement)) == few
    assert max(few) <= 15
