"""Pages that must stay fast at a million transactions (issue 17): the proposal list and the
receivables page paginate first and sum only what they show or count once, and the admin's
changelists of the big tables count once (by estimate on PostgreSQL) and read no dates. Each
page runs the same number of queries with more rows. The timings are in
``tests/benchmarks/bench_pages.py``."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts import paginators
from invoicing.proposals.models import InvoiceProposal
from invoicing.transactions.models import ProjectTransaction
from tests.invoicing.invoices.test_posting import approved_e1
from tests.invoicing.receivables.test_payments import pay, post

pytestmark = pytest.mark.django_db


def captured(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in queries]


def test_proposal_list_counts_proposals_without_reading_their_lines_and_pages(
    client, people, settings
):
    """The list summed the lines of every proposal before taking a page, and its paginator
    counted through the lines too (2.6 s at 21,000 proposals); it had no page links."""
    settings.PAGE_SIZE = 2
    oldest, middle, newest = (approved_e1(people, code=f"PL-{n}") for n in range(3))
    client.force_login(people["clerk"])
    url = reverse("invoicing:proposal_list")
    queries = captured(client, url)
    counts = [sql for sql in queries if "COUNT(*)" in sql.upper() and "__COUNT" in sql.upper()]
    assert counts and not any("proposalline" in sql for sql in counts), counts
    response = client.get(url)
    html = response.content.decode()
    assert [p.pk for p in response.context["page"].object_list] == [newest.pk, middle.pk]
    assert "Page 1 of 2" in html and "page=2" in html
    # Net 22,000.00 (20,000.00 of hours and a 10 % fee): two lines, summed for the page's rows.
    assert html.count("22,000.00") == 2
    page = client.get(url, {"page": 2}).context["page"]
    [shown] = page.object_list
    assert (shown.pk, shown.total, shown.line_count) == (oldest.pk, 22000, 2)
    before = len(queries)
    for number in range(3, 7):
        approved_e1(people, code=f"PL-{number}")
    assert len(captured(client, url)) == before


def test_proposal_list_shows_a_proposal_without_lines(client, people):
    proposal = approved_e1(people, code="EMPTY")
    proposal.lines.all().delete()
    client.force_login(people["clerk"])
    [shown] = client.get(reverse("invoicing:proposal_list")).context["page"].object_list
    assert (shown.pk, shown.total, shown.line_count) == (proposal.pk, None, 0)


def test_receivables_page_shows_a_page_with_totals_over_all_open_invoices(client, people, settings):
    """All 4,186 open invoices were rendered on one page (1 s, 2 MB)."""
    settings.PAGE_SIZE = 2
    first = post(people)
    invoices = [first, *(post(people, legal_entity=first.legal_entity) for _ in range(2))]
    pay(invoices[0], people, "7500")
    client.force_login(people["clerk"])
    url = reverse("invoicing:receivables")
    queries = captured(client, url)
    response = client.get(url)
    html = response.content.decode()
    page = response.context["page"]
    assert len(page.object_list) == 2 and page.paginator.num_pages == 2
    assert "Page 1 of 2" in html
    # 3 x 27,500.00 less the 7,500.00 paid, on the totals of every page.
    [totals] = response.context["totals"]
    assert (totals["count"], totals["open"]) == (3, 75000)
    assert "75,000.00" in client.get(url, {"page": 2}).content.decode()
    shown = [*page.object_list, *client.get(url, {"page": 2}).context["page"].object_list]
    assert sorted(invoice.pk for invoice in shown) == sorted(invoice.pk for invoice in invoices)
    for _ in range(3):
        post(people, legal_entity=first.legal_entity)
    assert len(captured(client, url)) == len(queries)


BIG_TABLES = [
    "invoicing_projecttransaction",
    "invoicing_transactionallocation",
    "invoicing_invoiceproposal",
    "invoicing_invoice",
    "invoicing_voucher",
    "invoicing_voucherline",
]


@pytest.fixture
def admin_client(client, user_with_role):
    client.force_login(user_with_role("admin", is_staff=True))
    return client


def test_admin_changelists_of_the_big_tables_count_once_read_no_dates_and_stay_flat(
    admin_client, people
):
    """The transactions' changelist read every distinct date of the table (date hierarchy) and
    counted the whole table twice; rows must not query one by one either."""
    first = post(people)
    before = {}
    for table in BIG_TABLES:
        url = reverse(f"admin:{table}_changelist")
        queries = captured(admin_client, url)
        counts = [sql for sql in queries if "COUNT(" in sql.upper()]
        assert len(counts) <= 1, (table, counts)
        assert not any("DISTINCT" in sql.upper() for sql in queries), table
        before[table] = len(queries)
    for _ in range(3):
        pay(post(people, legal_entity=first.legal_entity), people, "100")
    after = {
        table: len(captured(admin_client, reverse(f"admin:{table}_changelist")))
        for table in BIG_TABLES
    }
    assert after == before


def test_admin_changelist_filtered_is_counted_exactly(admin_client, people):
    post(people)
    url = reverse("admin:invoicing_projecttransaction_changelist")
    response = admin_client.get(url, {"billing_status__exact": "invoiced"})
    assert response.context["cl"].result_count == ProjectTransaction.objects.count() == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_an_unfiltered_large_table_is_counted_by_postgresqls_estimate(people, monkeypatch):
    for number in range(3):
        approved_e1(people, code=f"EST-{number}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE invoicing_invoiceproposal")
    estimate = paginators.estimated_rows(InvoiceProposal.objects.all())
    assert estimate == 3
    monkeypatch.setattr(paginators, "EXACT_COUNT_BELOW", 2)
    with CaptureQueriesContext(connection) as queries:
        count = paginators.EstimatedCountPaginator(InvoiceProposal.objects.order_by("pk"), 25).count
    assert count == 3
    assert not any("COUNT(" in query["sql"].upper() for query in queries)
    # A filter counts exactly, and so does a small table.
    filtered = InvoiceProposal.objects.filter(contract__code="EST-1")
    assert paginators.EstimatedCountPaginator(filtered, 25).count == 1
    monkeypatch.setattr(paginators, "EXACT_COUNT_BELOW", 10_000)
    with CaptureQueriesContext(connection) as queries:
        assert paginators.EstimatedCountPaginator(InvoiceProposal.objects.all(), 25).count == 3
    assert any("COUNT(" in query["sql"].upper() for query in queries)


def test_on_sqlite_or_without_statistics_the_count_is_exact(people):
    approved_e1(people, code="EXACT")
    assert paginators.EstimatedCountPaginator(InvoiceProposal.objects.all(), 25).count == 1


def test_proposal_and_invoice_lists_filter_by_typed_contract_and_funder_not_a_list_of_all(
    client, people
):
    """The filters offered every contract and every funder as options (3,000 at a thousand
    contracts, rendering them cost more than the rest of the page); they are typed now."""
    wanted = approved_e1(people, code="ALPHA-1", name="Harbour survey")
    other = approved_e1(people, code="BETA-2", name="Bridge study")
    invoice = post(people, code="GAMMA-3", name="Tunnel works")
    client.force_login(people["clerk"])
    proposals = reverse("invoicing:proposal_list")

    def shown(url, **query):
        response = client.get(url, query)
        assert response.status_code == 200
        options = re.findall(r"<option[^>]*>([^<]*)<", response.content.decode())
        assert not [o for o in options if o.startswith(("ALPHA", "BETA", "GAMMA"))]
        return {row.pk for row in response.context["page"].object_list}

    # the contract is picked by typing (type-ahead); the list filters by the one picked, so
    # links such as "the proposals just created" (?contract=<id>) keep working
    assert shown(proposals, contract=wanted.contract.pk) == {wanted.pk}
    assert shown(proposals, contract=other.contract.pk) == {other.pk}
    assert shown(proposals, funding_source=wanted.funding_source.name[:4]) >= {wanted.pk}
    assert shown(proposals, funding_source=wanted.contract.customer.name) == {wanted.pk}
    invoices = reverse("invoicing:invoice_list")
    assert shown(invoices, contract=invoice.contract_id) == {invoice.pk}
    assert shown(invoices, contract=wanted.contract.pk) == set()
    typed = client.get(
        reverse("invoicing:transaction_filter_choices", args=["contract"]), {"q": "tunnel"}
    ).content.decode()
    assert "GAMMA-3" in typed and "ALPHA-1" not in typed


def test_admin_change_pages_show_a_document_s_lines_in_one_table_with_flat_queries(
    admin_client, people
):
    """The lines were a read-only inline: a form and the admin's read-only field machinery per
    line, 0.9 s for a 93-line proposal at the benchmark's scale (issue 17)."""
    proposal = approved_e1(people, code="ADM-1")
    invoice = post(people)
    urls = [
        reverse("admin:invoicing_invoiceproposal_change", args=[proposal.pk]),
        reverse("admin:invoicing_invoice_change", args=[invoice.pk]),
    ]
    for url in urls:
        admin_client.get(url)  # the first request fills caches (content types, permissions)
    before = [len(captured(admin_client, url)) for url in urls]
    html = admin_client.get(urls[0]).content.decode()
    assert 'class="admin-lines"' in html and "20,000.00" in html and "2,000.00" in html
    assert "inline-group" not in html  # no formset any more
    invoice_html = admin_client.get(urls[1]).content.decode()
    assert invoice_html.count("<tr>") >= invoice.lines.count() + 1
    # more lines, the same queries
    line = proposal.lines.order_by("pk").first()
    for _ in range(5):
        line.pk = None
        line.allocation = None
        line.is_open = False
        line.save()
    assert [len(captured(admin_client, url)) for url in urls] == before


def test_books_count_vouchers_without_reading_their_lines(client, people):
    """The journal summed every voucher's lines (a join and GROUP BY over all of them) before
    taking a page, and counted through the same join: 453 ms at 8,000 vouchers."""
    post(people)
    client.force_login(people["clerk"])
    queries = captured(client, reverse("invoicing:journal"))
    counts = [sql for sql in queries if "COUNT(" in sql.upper()]
    assert counts and not any("voucherline" in sql for sql in counts), counts
    [page] = [sql for sql in queries if 'FROM "invoicing_voucher"' in sql and "LIMIT" in sql]
    assert "GROUP BY" not in page.split("(SELECT")[0]


def test_admin_transaction_page_lists_no_billing_rule_or_milestone_to_choose(admin_client, people):
    """Selects of every billing rule and milestone made the page 0.9 s at 1,000 contracts."""
    from tests.invoicing.builders import billable_contracts

    billable_contracts(1)
    transaction = ProjectTransaction.objects.filter(billing_status="uninvoiced").first()
    url = reverse("admin:invoicing_projecttransaction_change", args=[transaction.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="billing_rule"' in html and 'name="milestone"' in html
    assert '<select name="billing_rule"' not in html and '<select name="milestone"' not in html
