"""/api/v1/customers/: the same checks and messages as the finance UI's form (one service),
the UI's permissions, and what the customer owes per currency from the receivables selectors."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.forms import CustomerForm
from contracts.models import Customer
from invoicing.receivables import selectors
from tests.api.test_api import api
from tests.factories import CustomerFactory, PaymentTermsFactory
from tests.invoicing.conftest import people  # noqa: F401
from tests.invoicing.receivables.test_customers import customer, customer_data  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def test_a_clerk_creates_a_customer_stored_as_the_form_stores_it():
    client = api("finance_clerk")
    response = client.post(URL, customer_data(), format="json")
    assert response.status_code == 201, response.json()
    created = Customer.objects.get(pk=response.json()["id"])
    assert (created.vat_number, created.peppol_identifier, created.buyer_reference) == (
        "SE556677889901", "5566778899", "PO-77",
    )  # fmt: skip
    assert created.history.get().history_user == client.user


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"vat_number": "SE556677889801"}, "vat_number"),
        ({"vat_number": "DK32712452"}, "vat_number"),
        ({"peppol_identifier": ""}, "peppol_identifier"),
        ({"peppol_identifier": "556677-8898"}, "peppol_identifier"),
        ({"email": "faktura@"}, "email"),
    ],
)
def test_a_wrong_value_is_refused_with_the_forms_message_and_nothing_saved(overrides, field):
    data = customer_data(**overrides)
    form = CustomerForm(data)
    assert not form.is_valid()
    response = api("finance_clerk").post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json()[field] == form.errors[field]
    assert not Customer.objects.filter(code="C-MAL").exists()


def test_a_code_already_in_use_is_refused():
    CustomerFactory(code="C-MAL")
    response = api("finance_clerk").post(URL, customer_data(), format="json")
    assert response.status_code == 400
    assert "This code is already in use." in str(response.json())


def test_update_changes_the_customer_through_the_service():
    existing = CustomerFactory()
    data = customer_data(code=existing.code, payment_terms=existing.payment_terms_id)
    response = api("finance_clerk").put(f"{URL}{existing.pk}/", data, format="json")
    assert response.status_code == 200, response.json()
    existing.refresh_from_db()
    assert existing.name == "Malmö Hamn AB" and existing.vat_number == "SE556677889901"


def test_retrieve_carries_the_balance_per_currency_from_the_selector(customer):  # noqa: F811
    response = api("read_only").get(f"{URL}{customer.pk}/")
    assert response.status_code == 200
    balances = {row["currency"]: row for row in response.json()["balances"]}
    positions = {
        row.currency: row for row in selectors.customers_receivable([customer.pk])[customer.pk]
    }
    assert set(balances) == {"EUR", "SEK"}
    assert Decimal(balances["SEK"]["balance"]) == positions["SEK"].balance == Decimal("20000.00")
    assert Decimal(balances["EUR"]["overdue_amount"]) == Decimal("27500.00")
    assert balances["SEK"]["open_invoices"] == 1


def test_balances_are_read_only():
    existing = CustomerFactory()
    data = {**customer_data(code=existing.code), "balances": [{"currency": "SEK"}]}
    response = api("finance_clerk").put(f"{URL}{existing.pk}/", data, format="json")
    assert response.status_code == 200


def test_the_list_reads_every_customer_in_a_fixed_number_of_queries():
    client = api("read_only")
    CustomerFactory.create_batch(3, payment_terms=PaymentTermsFactory())
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    CustomerFactory.create_batch(20, payment_terms=PaymentTermsFactory())
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == 23
    assert len(many) == len(few)


@pytest.mark.parametrize("role", ["read_only", "approver", "project_manager"])
def test_only_those_who_may_change_customers_in_the_ui_write_them(role):
    existing = CustomerFactory()
    client = api(role)
    assert client.get(URL).status_code == 200
    assert client.post(URL, customer_data(), format="json").status_code == 403
    assert client.put(f"{URL}{existing.pk}/", customer_data(), format="json").status_code == 403
    assert not Customer.objects.filter(code="C-MAL").exists()
