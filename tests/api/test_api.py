"""The JSON API: token auth, the UI's permissions, JSON errors, and the billing cycle."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invoicing.invoices import posting
from invoicing.invoices.models import Invoice
from invoicing.proposals import generation
from invoicing.proposals.models import InvoiceProposal
from invoicing.transactions.models import ProjectTransaction
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    CustomerFactory,
    ExchangeRateFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    TaxGroupFactory,
    UserFactory,
    WorkerFactory,
)
from tests.invoicing.builders import contract_with_customer
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal


def api(role: str, username: str | None = None) -> APIClient:
    user = UserFactory(username=username or role, role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.user = user
    return client


def test_token_is_obtained_with_username_and_password():
    UserFactory(username="karin", role="finance_clerk")
    response = APIClient().post(
        "/api/v1/token/", {"username": "karin", "password": "secret-password-1"}, format="json"
    )
    assert response.status_code == 200 and response.json()["token"]


def test_anonymous_gets_401_json_not_a_login_page():
    response = APIClient().get("/api/v1/contracts/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_schema_is_public_openapi():
    response = APIClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/proposals/{id}/approve/" in response.json()["paths"]


def test_read_only_reads_but_cannot_write():
    client = api("read_only")
    assert client.get("/api/v1/contracts/").status_code == 200
    assert client.post("/api/v1/contracts/", {}, format="json").status_code == 403


def contract_payload(**overrides):
    return {
        "code": "API-1",
        "name": "Bridge",
        "legal_entity": LegalEntityFactory().pk,
        "customer": CustomerFactory().pk,
        "status": "active",
        "currency": "SEK",
        "contract_value": "100000.00",
        "retention_percent": "5",
        "default_tax_group": TaxGroupFactory().pk,
        "payment_terms": PaymentTermsFactory().pk,
        "invoicing_scope": "contract",
        "start_date": "2026-01-01",
        **overrides,
    }


def test_contract_created_through_the_service_with_field_errors_as_json():
    client = api("finance_clerk")
    assert client.post("/api/v1/contracts/", contract_payload(), format="json").status_code == 201
    duplicate = client.post("/api/v1/contracts/", contract_payload(), format="json")
    assert duplicate.status_code == 400
    assert "already in use" in str(duplicate.json())
    bad = client.post(
        "/api/v1/contracts/", contract_payload(code="API-2", end_date="2025-01-01"), format="json"
    )
    assert bad.status_code == 400 and "end date cannot be before" in str(bad.json())


def test_bulk_transactions_all_or_nothing_with_row_and_field():
    contract, project, _source = contract_with_customer()
    worker = WorkerFactory(code="W1")
    CategoryFactory(code="DEV", kind="hour")
    client = api("finance_clerk")
    row = {
        "entry_id": "A-1",
        "date": "2026-03-02",
        "project": project.code,
        "worker": "W1",
        "category": "DEV",
        "hours": "7,5",
    }
    bad = client.post(
        "/api/v1/transactions/bulk/",
        {"rows": [row, {**row, "entry_id": "A-2", "hours": "x"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"row": 2, "field": "hours", "message": "'x' is not a number."}]
    assert not ProjectTransaction.objects.exists()
    good = client.post("/api/v1/transactions/bulk/", {"rows": [row]}, format="json")
    assert good.json() == {"created": 1, "already_imported": 0}
    again = client.post("/api/v1/transactions/bulk/", {"rows": [row]}, format="json")
    assert again.json() == {"created": 0, "already_imported": 1}
    assert ProjectTransaction.objects.get().sales_amount == D("7.5") * worker.sales_rate


def test_the_whole_billing_cycle_through_the_api():
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    clerk, approver = api("finance_clerk", "karin"), api("approver", "lars")
    category = CategoryFactory(kind="hour")
    worker = WorkerFactory(sales_rate=D("100"))
    created = clerk.post(
        "/api/v1/transactions/",
        {
            "kind": "hour",
            "date": "2026-03-02",
            "project": project.pk,
            "category": category.pk,
            "worker": worker.pk,
            "quantity": "10",
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["sales_amount"] == "1000.00"
    generated = clerk.post(
        "/api/v1/proposals/generate/",
        {"contract": contract.pk, "up_to_date": "2026-03-31"},
        format="json",
    )
    assert generated.status_code == 201
    proposal_id = generated.json()[0]["id"]
    assert clerk.post(f"/api/v1/proposals/{proposal_id}/submit/").json()["status"] == "submitted"
    approved = approver.post(f"/api/v1/proposals/{proposal_id}/approve/")
    assert approved.json().get("status") == "approved", approved.json()
    posted = clerk.post(
        f"/api/v1/proposals/{proposal_id}/post/", {"invoice_date": "2026-04-01"}, format="json"
    )
    assert posted.status_code == 201 and posted.json()["gross_total"] == "1250.00"
    invoice_id = posted.json()["id"]
    pdf = clerk.get(f"/api/v1/invoices/{invoice_id}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    line_id = posted.json()["lines"][0]["id"]
    credit = clerk.post(
        f"/api/v1/invoices/{invoice_id}/credit/",
        {"lines": [{"line": line_id, "amount": "100.00"}], "reason": "Discount"},
        format="json",
    )
    assert credit.status_code == 201, credit.json()
    assert credit.json()["lines"][0]["amount"] == "-100.00"
    assert Invoice.objects.count() == 1 and InvoiceProposal.objects.count() == 2


def test_approving_your_own_submission_is_a_403_with_the_reason():
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    both = api("approver", "both")
    both.user.groups.add(*UserFactory(role="finance_clerk").groups.all())
    from tests.invoicing.builders import DAY, hours

    hours(project, WorkerFactory(sales_rate=D("100")), "1")
    [proposal] = generation.proposals_generate(contract=contract, up_to_date=DAY, actor=both.user)
    both.post(f"/api/v1/proposals/{proposal.pk}/submit/")
    response = both.post(f"/api/v1/proposals/{proposal.pk}/approve/")
    assert response.status_code == 403
    assert "someone else must approve" in response.json()["detail"]


@pytest.fixture
def world():
    """A posted E1 invoice (20,000.00 of hours, 2,000.00 fee) and a contract to record work on."""
    people = {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
    }
    invoice = posting.invoice_post(
        proposal=approved_e1(people), actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )
    contract, project, _source = contract_with_customer(code="API-BAD")
    return {
        "invoice": invoice,
        "hours_line": invoice.lines.get(line_type="transaction"),
        "contract": contract,
        "transaction": {
            "kind": "hour",
            "date": "2026-03-02",
            "project": project.pk,
            "category": CategoryFactory(kind="hour").pk,
            "worker": WorkerFactory().pk,
            "quantity": "1",
        },
    }


def credit_url(world):
    return f"/api/v1/invoices/{world['invoice'].pk}/credit/"


BAD_INPUT = {
    "generate_for_a_contract_that_does_not_exist": (
        lambda w: "/api/v1/proposals/generate/",
        lambda w: {"contract": 999999, "up_to_date": "2026-03-31"},
        {"contract": ['Invalid pk "999999" - object does not exist.']},
    ),
    "generate_with_a_date_that_is_not_a_date": (
        lambda w: "/api/v1/proposals/generate/",
        lambda w: {"contract": w["contract"].pk, "up_to_date": "yesterday"},
        {"up_to_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
    ),
    "transaction_of_an_unknown_kind": (
        lambda w: "/api/v1/transactions/",
        lambda w: {**w["transaction"], "kind": "nonsense"},
        {"kind": ['"nonsense" is not a valid choice.']},
    ),
    "transaction_with_negative_hours": (
        lambda w: "/api/v1/transactions/",
        lambda w: {**w["transaction"], "quantity": "-1"},
        {"quantity": ["Ensure this value is greater than or equal to 0."]},
    ),
    "bulk_without_rows": (
        lambda w: "/api/v1/transactions/bulk/",
        lambda w: {"rows": []},
        {"rows": {"non_field_errors": ["This list may not be empty."]}},
    ),
    "credit_with_lines_that_are_not_a_list": (
        credit_url,
        lambda w: {"lines": "x", "reason": "Discount"},
        {"lines": {"non_field_errors": ['Expected a list of items but got type "str".']}},
    ),
    "credit_without_a_reason": (
        credit_url,
        lambda w: {"lines": [{"line": w["hours_line"].pk}], "reason": "  "},
        {"reason": ["This field may not be blank."]},
    ),
    "credit_of_more_than_is_left_on_the_line": (
        credit_url,
        lambda w: {"lines": [{"line": w["hours_line"].pk, "amount": "20000.01"}], "reason": "x"},
        lambda w: {
            "non_field_errors": [
                f"“{w['hours_line'].description}” has 20,000.00 left to credit; "
                "20,000.01 is more than that."
            ]
        },
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_a_400_naming_the_field_and_the_reason(world, case):
    url, payload, errors = BAD_INPUT[case]
    response = api("admin").post(url(world), payload(world), format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == (errors(world) if callable(errors) else errors)
    # and nothing was written
    assert InvoiceProposal.objects.filter(status="draft").count() == 0
    assert ProjectTransaction.objects.filter(project__contract=world["contract"]).count() == 0


def test_credit_of_an_invoice_that_does_not_exist_is_a_404():
    response = api("admin").post(
        "/api/v1/invoices/999999/credit/", {"lines": [{"line": 1}], "reason": "x"}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No Invoice matches the given query."}


def test_post_on_the_proposal_list_is_method_not_allowed_not_a_server_error():
    # Regression: the "post" action was a method named post, which DRF also used for POST
    # on the list route, where it failed without a pk (found by the schema fuzz test).
    response = api("finance_clerk").post("/api/v1/proposals/", {}, format="json")
    assert response.status_code == 405


LISTS = [
    "contracts",
    "projects",
    "funding-sources",
    "funding-limits",
    "funding-rules",
    "transactions",
    "milestones",
    "proposals",
    "invoices",
]


def queries_per_list(client) -> dict[str, int]:
    counts = {}
    for name in LISTS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{name}/").status_code == 200
        counts[name] = len(queries)
    return counts


def listed(client, name: str) -> list[dict]:
    body = client.get(f"/api/v1/{name}/").json()
    return body["results"] if isinstance(body, dict) else body


def test_every_list_runs_the_same_queries_for_one_or_four_posted_contracts():
    people = {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
    }
    reader = api("read_only")

    def post_one():
        posting.invoice_post(
            proposal=approved_e1(people),
            actor=people["clerk"],
            invoice_date=datetime.date(2026, 4, 1),
        )

    post_one()
    small = queries_per_list(reader)
    assert [row["gross_total"] for row in listed(reader, "invoices")] == ["27500.00"]
    for _ in range(3):
        post_one()
    assert queries_per_list(reader) == small
    assert [row["gross_total"] for row in listed(reader, "invoices")] == ["27500.00"] * 4
    assert len(listed(reader, "contracts")) == 4
    assert len(listed(reader, "proposals")) == 4


def test_an_invoice_shows_its_frozen_vat_in_the_entitys_currency():
    clerk = api("finance_clerk", "karin")
    ExchangeRateFactory(currency="EUR", rate_date=datetime.date(2026, 12, 2), rate=D("11.2345"))
    people = {"clerk": clerk.user, "approver": UserFactory(role="approver")}
    eur = posting.invoice_post(
        proposal=approved_e1(people, currency="EUR"),
        actor=clerk.user,
        invoice_date=datetime.date(2026, 12, 3),
    )
    sek = posting.invoice_post(proposal=approved_e1(people), actor=clerk.user)
    assert clerk.get(f"/api/v1/invoices/{eur.pk}/").json()["tax_currency"] == {
        "currency": "SEK",
        "rate": "11.234500",
        "rate_date": "2026-12-02",
        "source": "Riksbanken",
        "vat_total": "61789.75",
        "taxes": [{"category": "S", "rate": "25.00", "amount": "61789.75"}],
    }
    assert clerk.get(f"/api/v1/invoices/{sek.pk}/").json()["tax_currency"] is None
    listed = {row["id"]: row for row in clerk.get("/api/v1/invoices/").json()["results"]}
    assert listed[eur.pk]["tax_currency"]["vat_total"] == "61789.75"
