"""The top bar's search: invoice number, customer, contract, project and amount, bounded in
queries and rows; trigram similarity on PostgreSQL, substring matching elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from invoicing import search
from tests.factories import CustomerFactory, ProjectContractFactory, ProjectFactory
from tests.invoicing.receivables.test_sending import post

pytestmark = pytest.mark.django_db


def test_an_invoice_is_found_by_number_customer_and_amount_in_the_readers_format(people):
    invoice = post(people)  # E1: 27,500.00 gross, 22,000.00 net

    by_number = search.search(query=invoice.number, language="en")
    by_customer = search.search(query=invoice.customer.name[:6], language="en")
    by_swedish_amount = search.search(query="27 500,00", language="sv")
    by_english_amount = search.search(query="22,000.00", language="en")

    assert by_number.invoices == [invoice]
    assert invoice in by_customer.invoices
    assert by_swedish_amount.invoices == [invoice]
    assert by_english_amount.invoices == [invoice]


def test_contracts_projects_and_customers_by_code_and_name():
    customer = CustomerFactory(code="MALMO", name="Malmö stad")
    contract = ProjectContractFactory(code="C-2041", name="Harbour bridge", customer=customer)
    project = ProjectFactory(code="P-77", name="Bridge deck", contract=contract)

    results = search.search(query="bridge", language="en")

    assert results.contracts == [contract]
    assert results.projects == [project]
    assert search.search(query="malmö", language="en").customers == [customer]
    assert search.search(query="c-2041", language="en").contracts == [contract]


def test_one_letter_searches_nothing():
    CustomerFactory(name="Aarhus Kommune")
    assert search.search(query="a", language="en").is_empty


def test_results_are_bounded_in_rows_and_queries(django_assert_max_num_queries):
    customer = CustomerFactory(name="Bulk customer")
    for number in range(search.SEARCH_LIMIT + 5):
        ProjectContractFactory(name=f"Bulk contract {number}", customer=customer)
    search.trigram_available()  # asked once per process and database

    with django_assert_max_num_queries(4):
        results = search.search(query="bulk", language="en")

    assert len(results.contracts) == search.SEARCH_LIMIT


def test_names_with_a_typo_are_found_on_postgresql(is_postgres):
    if not is_postgres or not search.trigram_available():
        pytest.skip("trigram similarity needs PostgreSQL with pg_trgm")
    customer = CustomerFactory(name="Göteborgs Energi")
    assert customer in search.search(query="goteborgs energi", language="sv").customers


def test_the_search_page_in_swedish(client, people):
    invoice = post(people)
    client.force_login(people["clerk"])
    with translation.override("sv"):
        response = client.get(reverse("invoicing:search"), {"q": invoice.number})
    text = response.content.decode()
    assert invoice.get_absolute_url() in text
    assert 'data-testid="top-search"' in text


#: What ``search.search`` matches by substring or similarity (``invoicing`` migration 0030).
SEARCHED_COLUMNS = {
    ("invoicing_invoice", "number"),
    ("contracts_customer", "code"),
    ("contracts_customer", "name"),
    ("contracts_projectcontract", "code"),
    ("contracts_projectcontract", "name"),
    ("contracts_projectcontract", "customer_reference"),
    ("contracts_projectcontract", "order_reference"),
    ("contracts_project", "code"),
    ("contracts_project", "name"),
}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_every_searched_column_has_a_trigram_index_on_postgresql():
    if not search.trigram_available():
        pytest.skip("the server offers no pg_trgm: the search matches substrings without it")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes")
        definitions = cursor.fetchall()
    indexed = {
        (table, column)
        for table, column in SEARCHED_COLUMNS
        for index_table, definition in definitions
        if index_table == table and f"gin (upper(({column})::text) gin_trgm_ops)" in definition
    }
    assert indexed == SEARCHED_COLUMNS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
@pytest.mark.parametrize("query", ["malmo stad", "C-2041", "27 500,00"])
def test_every_search_query_can_be_answered_from_indexes(query):
    """With sequential scans priced out, a condition no index can answer (a function call
    ``word_similarity(...) >= 0.6``, a column of a joined table inside the ``OR``) still shows
    as a Seq Scan: none may."""
    if not search.trigram_available():
        pytest.skip("the server offers no pg_trgm: the search matches substrings without it")
    CustomerFactory(name="Malmö stad")
    with CaptureQueriesContext(connection) as captured:
        search.search(query=query, language="sv")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for captured_query in captured.captured_queries:
            cursor.execute("EXPLAIN " + captured_query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
