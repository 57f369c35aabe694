"""The books' pages: journal (bounded queries), voucher, reversal, chart-of-accounts editing
with its checks, and the export page with its overlap warning. Plus the API's vouchers and
SIE export, with the same permissions."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invoicing.ledger.models import AccountRule, LedgerExport, Voucher
from tests.factories import UserFactory
from tests.invoicing.ledger.sie_parser import parse
from tests.invoicing.ledger.test_services import pay, post_e1

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def clerk_client(client, people):
    client.force_login(people["clerk"])
    return client


@pytest.fixture
def booked(people):
    invoice = post_e1(people)
    pay(invoice, people, "27500.00")
    return invoice


def test_journal_runs_a_bounded_number_of_queries(
    clerk_client, people, booked, django_assert_max_num_queries
):
    for _n in range(6):
        other = post_e1(people, legal_entity=booked.legal_entity)
        pay(other, people, "1000.00")
    with django_assert_max_num_queries(12):
        response = clerk_client.get(
            reverse("invoicing:journal"), {"legal_entity": booked.legal_entity_id}
        )
    assert response.status_code == 200
    assert response.content.decode().count("/billing/books/vouchers/") == 14


def test_journal_filters_by_period_and_refuses_a_backwards_one(clerk_client, booked):
    url = reverse("invoicing:journal")
    response = clerk_client.get(url, {"date_from": "2026-01-15", "date_to": "2026-12-31"})
    assert "B1" in response.content.decode() and ">A1<" not in response.content.decode()
    response = clerk_client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "The period ends before it starts." in response.content.decode()


def test_voucher_page_shows_lines_and_links_the_invoice_and_the_invoice_links_back(
    clerk_client, booked
):
    voucher = booked.voucher
    page = clerk_client.get(voucher.get_absolute_url()).content.decode()
    assert "Kundfordringar" in page and booked.get_absolute_url() in page
    assert "27,500.00" in page
    invoice_page = clerk_client.get(booked.get_absolute_url()).content.decode()
    assert voucher.get_absolute_url() in invoice_page


def test_reversing_a_voucher_from_its_page(clerk_client, booked):
    url = reverse("invoicing:voucher_reverse", args=[booked.voucher.pk])
    response = clerk_client.post(url, {"reason": "Wrong account", "reversed_on": "2026-03-01"})
    reversal = Voucher.objects.get(kind="reversal")
    assert response.url == reversal.get_absolute_url()
    page = clerk_client.get(booked.voucher.get_absolute_url()).content.decode()
    assert "Reversed by" in page
    response = clerk_client.post(url, {"reason": "Again", "reversed_on": "2026-03-01"}, follow=True)
    assert "already reversed" in response.content.decode()


def test_readers_cannot_reverse_or_edit_the_chart_or_export(client, booked):
    client.force_login(UserFactory(username="audit", role="read_only"))
    assert client.get(booked.voucher.get_absolute_url()).status_code == 200
    url = reverse("invoicing:voucher_reverse", args=[booked.voucher.pk])
    assert client.post(url, {"reason": "x", "reversed_on": "2026-03-01"}).status_code == 403
    chart = reverse("invoicing:chart_edit", args=[booked.legal_entity_id])
    assert client.get(chart).status_code == 200
    assert client.post(chart, {}).status_code == 403
    assert client.post(reverse("invoicing:ledger_export"), {}).status_code == 403


def _chart_post(entity, clerk_client, *, accounts, rules):
    data = {
        "accounts-TOTAL_FORMS": len(accounts), "accounts-INITIAL_FORMS": 0,
        "rules-TOTAL_FORMS": len(rules), "rules-INITIAL_FORMS": 0,
    }  # fmt: skip
    for index, (number, name) in enumerate(accounts):
        data[f"accounts-{index}-number"], data[f"accounts-{index}-name"] = number, name
    for index, rule in enumerate(rules):
        for key, value in rule.items():
            data[f"rules-{index}-{key}"] = value
    return clerk_client.post(reverse("invoicing:chart_edit", args=[entity.pk]), data)


SINGLE = {
    "receivables": "1510", "bank": "1930", "retention": "1518", "prepayment": "2450",
    "customer_credit": "2420", "rounding": "3740", "exchange_gain": "3960",
    "exchange_loss": "7960", "internal_debit": "7990", "internal_credit": "3990",
}  # fmt: skip


def test_chart_of_accounts_is_edited_as_a_whole_and_used_by_the_next_posting(
    clerk_client, people, booked
):
    entity = booked.legal_entity
    accounts = [(number, f"Account {number}") for number in sorted(set(SINGLE.values()))]
    accounts += [("3041", "Försäljning tjänster 25 %"), ("2610", "Utgående moms")]
    rules = [{"purpose": purpose, "account": number} for purpose, number in SINGLE.items()]
    rules += [
        {"purpose": "revenue", "account": "3041"},
        {"purpose": "output_vat", "account": "2610"},
    ]
    response = _chart_post(entity, clerk_client, accounts=accounts, rules=rules)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AccountRule.objects.filter(legal_entity=entity).count() == 12
    # The written voucher keeps its accounts; the next posting uses the new ones.
    assert {line.account for line in booked.voucher.lines.all()} == {"1510", "3001", "2611"}
    later = post_e1(people, legal_entity=entity)
    assert {line.account for line in later.voucher.lines.all()} == {"1510", "3041", "2610"}


def test_chart_with_problems_is_refused_row_by_row_and_nothing_changes(clerk_client, booked):
    entity = booked.legal_entity
    before = list(AccountRule.objects.filter(legal_entity=entity).values_list("pk", flat=True))
    rules = [
        {"purpose": purpose, "account": number}
        for purpose, number in SINGLE.items()
        if purpose != "bank"
    ]
    rules.append({"purpose": "revenue", "account": "9999"})
    response = _chart_post(
        entity, clerk_client, accounts=[("1510", "Kundfordringar"), ("15x0", "Fel")], rules=rules
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "is not an account number" in page or "1 to 10 digits" in page
    response = _chart_post(
        entity, clerk_client, accounts=[("1510", "Kundfordringar"), ("1510", "Twice")], rules=rules
    )
    page = response.content.decode()
    assert "listed twice" in page
    assert "No account is given for bank" in page
    assert "is not in the list of accounts" in page
    assert "Add an output VAT rule without criteria" in page
    assert (
        list(AccountRule.objects.filter(legal_entity=entity).values_list("pk", flat=True)) == before
    )


def test_export_page_downloads_sie_and_warns_before_exporting_a_period_again(clerk_client, booked):
    url = reverse("invoicing:ledger_export")
    data = {
        "legal_entity": booked.legal_entity_id,
        "date_from": "2026-01-01",
        "date_to": "2026-12-31",
        "export_format": "sie",
    }
    response = clerk_client.post(url, data)
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.se"')
    assert len(parse(response.content).vouchers) == 2
    response = clerk_client.post(url, data)
    assert response.status_code == 409 and "overlaps 1 earlier export" in response.content.decode()
    assert LedgerExport.objects.count() == 1
    response = clerk_client.post(url, {**data, "confirm_overlap": "on"})
    assert response.status_code == 200 and LedgerExport.objects.count() == 2
    page = clerk_client.get(url).content.decode()
    assert page.count(booked.legal_entity.name) >= 2


# ------------------------------------------------------------------------------------------
# API
# ------------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_api_lists_vouchers_of_an_entity_and_period_with_their_lines(people, booked):
    client = api(UserFactory(username="reader", role="read_only"))
    response = client.get(
        "/api/v1/vouchers/",
        {
            "legal_entity": booked.legal_entity_id,
            "date_from": "2026-01-01",
            "date_to": "2026-01-31",
        },
    )
    assert response.status_code == 200
    [voucher] = response.json()["results"]
    assert (voucher["label"], voucher["invoice"]) == ("A1", booked.pk)
    assert {line["account"]: line["amount"] for line in voucher["lines"]} == {
        "1510": "27500.00", "3001": "-22000.00", "2611": "-5500.00",
    }  # fmt: skip
    assert client.get("/api/v1/vouchers/", {"date_from": "1 Jan"}).status_code == 400


def test_api_sie_export_records_it_and_needs_the_export_permission(people, booked):
    body = {
        "legal_entity": booked.legal_entity_id,
        "date_from": "2026-01-01",
        "date_to": "2026-12-31",
    }
    assert (
        api(UserFactory(username="reader", role="read_only"))
        .post("/api/v1/ledger/sie/", body, format="json")
        .status_code
        == 403
    )
    client = api(people["clerk"])
    response = client.post("/api/v1/ledger/sie/", body, format="json")
    assert response.status_code == 200
    assert len(parse(response.content).vouchers) == 2
    assert client.post("/api/v1/ledger/sie/", body, format="json").status_code == 409
    assert (
        client.post(
            "/api/v1/ledger/sie/", {**body, "confirm_overlap": True}, format="json"
        ).status_code
        == 200
    )
    log = client.get("/api/v1/ledger/exports/").json()["results"]
    assert [row["voucher_count"] for row in log] == [2, 2]
    bad = client.post("/api/v1/ledger/sie/", {**body, "date_from": "2025-06-01"}, format="json")
    assert bad.status_code == 400 and "one financial year" in bad.json()["non_field_errors"][0]
