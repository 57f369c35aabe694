"""The transaction list at scale: paging by the row before (keyset), type-ahead filters, totals
only over a bounded number of lines, and a number of queries that does not grow with the data."""

import datetime

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.keyset import cursor_of, cursor_parse, keyset_page_by_date
from invoicing.transactions import selectors
from invoicing.transactions.models import ProjectTransaction
from tests.factories import (
    ProjectContractFactory,
    ProjectFactory,
    ProjectTransactionFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def thirty_transactions(billing_setup):
    """Thirty transactions on five dates (ties on a date are ordered by id)."""
    for number in range(30):
        ProjectTransactionFactory(
            project=billing_setup["project"],
            date=DAY + datetime.timedelta(days=number % 5),
            description=f"Line {number}",
        )
    return list(ProjectTransaction.objects.order_by("-date", "-pk").values_list("pk", flat=True))


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(size=st.integers(min_value=1, max_value=31))
def test_walking_older_then_newer_sees_every_row_once_in_order(thirty_transactions, size):
    rows = ProjectTransaction.objects.all()
    seen, pages = [], []
    page = keyset_page_by_date(rows, size=size)
    assert page.is_first
    while True:
        pages.append([row.pk for row in page.object_list])
        seen += pages[-1]
        if page.older is None:
            break
        page = keyset_page_by_date(rows, size=size, after=page.older)
    assert seen == thirty_transactions
    assert all(len(found) == size for found in pages[:-1])
    # Back from the last page to the first, page by page, the same pages in reverse.
    for expected in reversed(pages[:-1]):
        page = keyset_page_by_date(rows, size=size, before=page.newer)
        assert [row.pk for row in page.object_list] == expected
    assert page.newer is None


def test_a_newer_page_short_of_rows_starts_at_the_newest(thirty_transactions):
    rows = ProjectTransaction.objects.all()
    third = ProjectTransaction.objects.get(pk=thirty_transactions[2])
    page = keyset_page_by_date(rows, size=10, before=cursor_of(third))
    assert [row.pk for row in page.object_list] == thirty_transactions[:10]
    assert page.newer is None and page.older == cursor_of(page.object_list[-1])


@pytest.mark.parametrize("cursor", ["", "yesterday", "2026-13-01.5", "2026-03-02.x", "2026-03-02"])
def test_a_mangled_cursor_starts_from_the_newest(thirty_transactions, cursor):
    assert cursor_parse(cursor) is None
    page = keyset_page_by_date(ProjectTransaction.objects.all(), size=5, after=cursor)
    assert [row.pk for row in page.object_list] == thirty_transactions[:5]


def test_the_list_pages_older_and_newer_with_the_filters_kept(
    clerk_client, thirty_transactions, billing_setup, settings
):
    settings.PAGE_SIZE = 12
    url = reverse("invoicing:transaction_list")
    contract = billing_setup["contract"].pk
    first = clerk_client.get(url, {"contract": contract})
    page = first.context["page"]
    assert [row.pk for row in page.object_list] == thirty_transactions[:12]
    html = first.content.decode()
    assert f"after={page.older}" in html and f"contract={contract}" in html
    assert "Newer" not in html and "Older" in html
    second = clerk_client.get(url, {"contract": contract, "after": page.older})
    assert [row.pk for row in second.context["page"].object_list] == thirty_transactions[12:24]
    html = second.content.decode()
    assert "Newest" in html and "Newer" in html and "Older" in html
    back = clerk_client.get(url, {"contract": contract, "before": second.context["page"].newer})
    assert [row.pk for row in back.context["page"].object_list] == thirty_transactions[:12]


def test_totals_are_added_up_only_over_a_bounded_number_of_lines(
    clerk_client, thirty_transactions, billing_setup, monkeypatch
):
    url = reverse("invoicing:transaction_list")
    monkeypatch.setattr(selectors, "TOTALS_LINES_LIMIT", 29)
    html = clerk_client.get(url).content.decode()
    assert "Total, 30 lines" not in html
    assert "Totals are added up for at most 29 lines: narrow the filters to see them" in html
    narrowed = clerk_client.get(url, {"date_from": "2026-03-04"}).content.decode()
    assert "Total, 18 lines in SEK" in narrowed  # three of the five dates
    monkeypatch.setattr(selectors, "TOTALS_LINES_LIMIT", 30)
    assert "Total, 30 lines in SEK" in clerk_client.get(url).content.decode()


def test_totals_say_none_beyond_the_limit_and_count_within_it(thirty_transactions):
    rows = ProjectTransaction.objects.all()
    assert selectors.transaction_totals(rows, limit=29) is None
    [totals] = selectors.transaction_totals(rows, limit=30)
    assert totals["count"] == 30


def test_the_filters_render_no_list_of_every_contract_project_or_worker(
    clerk_client, billing_setup
):
    for number in range(5):
        contract = ProjectContractFactory(code=f"K-MANY-{number}")
        ProjectFactory(code=f"P-MANY-{number}", contract=contract)
        WorkerFactory(code=f"W-MANY-{number}")
    html = clerk_client.get(reverse("invoicing:transaction_list")).content.decode()
    assert "K-MANY-" not in html and "P-MANY-" not in html and "W-MANY-" not in html
    # The chosen one is shown by its label, its id travels in the hidden input.
    chosen = clerk_client.get(
        reverse("invoicing:transaction_list"), {"project": billing_setup["project"].pk}
    ).content.decode()
    assert f'name="project" value="{billing_setup["project"].pk}"' in chosen
    assert str(billing_setup["project"]) in chosen


def test_the_type_ahead_offers_what_matches_the_typed_text(clerk_client, billing_setup):
    ProjectContractFactory(code="K-HARBOUR", name="Harbour crane")
    ProjectContractFactory(code="K-BRIDGE", name="Bridge")
    url = reverse("invoicing:transaction_filter_choices", args=["contract"])
    html = clerk_client.get(url, {"q": "harb"}).content.decode()
    assert "K-HARBOUR Harbour crane" in html and "K-BRIDGE" not in html
    assert "All" in html  # the way back to no contract
    assert "Nothing matches." in clerk_client.get(url, {"q": "zzz"}).content.decode()
    everything = clerk_client.get(url).content.decode()
    assert "K-HARBOUR" in everything and "K-BRIDGE" in everything
    worker_url = reverse("invoicing:transaction_filter_choices", args=["worker"])
    assert (
        billing_setup["worker"].code in clerk_client.get(worker_url, {"q": "w1"}).content.decode()
    )


def test_the_type_ahead_offers_at_most_twenty_in_one_query(
    clerk_client, billing_setup, django_assert_num_queries
):
    for number in range(25):
        ProjectFactory(code=f"P-X{number:02d}", contract=billing_setup["contract"])
    url = reverse("invoicing:transaction_filter_choices", args=["project"])
    clerk_client.get(url, {"q": "P-X"})  # warm the session and permission caches
    # session, user, the user's permissions (two), the matching projects
    with django_assert_num_queries(5):
        html = clerk_client.get(url, {"q": "p-x"}).content.decode()
    assert html.count("data-typeahead-choice=") == 21  # "All" and twenty projects
    assert "P-X19" in html and "P-X20" not in html


def test_the_type_ahead_knows_only_the_lists_filters(clerk_client):
    url = reverse("invoicing:transaction_filter_choices", args=["category"])
    assert clerk_client.get(url).status_code == 404


def test_an_unfiltered_list_runs_the_same_queries_however_many_transactions(
    clerk_client, billing_setup, django_assert_max_num_queries, monkeypatch, settings
):
    """The first page and a deep page, before and after the data grows past a page and past
    the totals limit, run no more queries than the first page of a small list."""
    settings.PAGE_SIZE = 5
    monkeypatch.setattr(selectors, "TOTALS_LINES_LIMIT", 20)
    url = reverse("invoicing:transaction_list")
    ProjectTransactionFactory.create_batch(6, project=billing_setup["project"])
    clerk_client.get(url)  # warm the process caches
    with django_assert_max_num_queries(30) as few:
        clerk_client.get(url)
    ProjectTransactionFactory.create_batch(40, project=billing_setup["project"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = clerk_client.get(url)
    older = first.context["page"].older
    for _ in range(4):
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = clerk_client.get(url, {"after": older})
        older = response.context["page"].older
    assert len(response.context["page"].object_list) == 5
