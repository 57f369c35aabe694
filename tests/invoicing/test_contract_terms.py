"""Contract terms that posted documents depend on (currency, retention percent, the project's
contract) cannot change once there are transactions or invoices: the service, the forms and the
API refuse it and say what to do instead. Invoicing tells contracts through a registered check."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contracts import services as contract_services
from contracts.forms import ContractForm, ProjectForm
from contracts.models import Project, ProjectContract
from invoicing.invoices import posting
from tests.factories import ProjectContractFactory, ProjectFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import contract_with_customer, hours
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal

CURRENCY_AFTER_INVOICES = (
    "This contract already has invoices, so its currency cannot change. Credit the invoices and "
    "set up a new contract in the new currency."
)
CURRENCY_AFTER_TRANSACTIONS = (
    "This contract already has transactions, so its currency cannot change. Set up a new "
    "contract in the new currency for the work still to come."
)
RETENTION_AFTER_INVOICES = (
    "This contract already has invoices, so its retention percent cannot change. Credit the "
    "invoices and set up a new contract with the new percent."
)
PROJECT_MOVE = (
    "This project already has transactions, so it cannot move to another contract. Create a new "
    "project under the other contract for the work still to come."
)


def with_transactions():
    contract, project, _source = contract_with_customer(currency="SEK")
    hours(project, WorkerFactory(), "8")
    return contract, project


def invoiced(people):
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    return invoice.contract


def form_data(instance, form_class, **overrides):
    data = model_to_dict(instance, fields=form_class._meta.fields)
    return {
        **{name: "" if value is None else value for name, value in data.items()},
        **overrides,
    }


def api() -> APIClient:
    user = UserFactory(username="api-clerk", role="finance_clerk")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# ---- the service ----------------------------------------------------------------------------


def test_currency_of_a_contract_with_transactions_cannot_change():
    contract, _project = with_transactions()
    contract.currency = "EUR"
    with pytest.raises(ValidationError) as refused:
        contract_services.contract_save(contract=contract, actor=None)
    assert refused.value.message_dict == {"currency": [CURRENCY_AFTER_TRANSACTIONS]}
    assert ProjectContract.objects.get(pk=contract.pk).currency == "SEK"


def test_currency_and_retention_of_an_invoiced_contract_cannot_change(people):
    contract = invoiced(people)
    contract.currency, contract.retention_percent = "EUR", D("10")
    with pytest.raises(ValidationError) as refused:
        contract_services.contract_save(contract=contract, actor=None)
    assert refused.value.message_dict == {
        "currency": [CURRENCY_AFTER_INVOICES],
        "retention_percent": [RETENTION_AFTER_INVOICES],
    }
    stored = ProjectContract.objects.get(pk=contract.pk)
    assert (stored.currency, stored.retention_percent) == ("SEK", D("0"))


def test_a_contract_without_transactions_can_still_change_currency_and_retention():
    contract, _project, _source = contract_with_customer(currency="SEK")
    contract.currency, contract.retention_percent = "EUR", D("10")
    contract_services.contract_save(contract=contract, actor=None)
    stored = ProjectContract.objects.get(pk=contract.pk)
    assert (stored.currency, stored.retention_percent) == ("EUR", D("10.00"))


def test_other_terms_of_an_invoiced_contract_still_change(people):
    contract = invoiced(people)
    contract.name, contract.contract_value = "Renamed", D("500000")
    contract.retention_percent = D("0.00")  # the same percent, written differently
    contract_services.contract_save(contract=contract, actor=None)
    assert ProjectContract.objects.get(pk=contract.pk).name == "Renamed"


def test_a_project_with_transactions_cannot_move_to_another_contract():
    _contract, project = with_transactions()
    project.contract = ProjectContractFactory()
    with pytest.raises(ValidationError) as refused:
        contract_services.project_save(project=project, actor=None)
    assert refused.value.message_dict == {"contract": [PROJECT_MOVE]}


def test_a_project_without_transactions_can_still_move():
    project = ProjectFactory()
    other = ProjectContractFactory()
    project.contract = other
    contract_services.project_save(project=project, actor=None)
    assert Project.objects.get(pk=project.pk).contract == other


# ---- the forms ------------------------------------------------------------------------------


def test_contract_form_shows_why_the_currency_cannot_change_and_saves_nothing(clerk_client):
    contract, _project = with_transactions()
    url = reverse("contracts:contract_update", args=[contract.pk])
    response = clerk_client.post(
        url, form_data(contract, ContractForm, currency="EUR", name="Renamed")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"currency": [CURRENCY_AFTER_TRANSACTIONS]}
    assert CURRENCY_AFTER_TRANSACTIONS in response.content.decode()
    stored = ProjectContract.objects.get(pk=contract.pk)
    assert (stored.currency, stored.name) == ("SEK", contract.name)


def test_contract_form_still_saves_other_fields_of_a_used_contract(clerk_client):
    contract, _project = with_transactions()
    url = reverse("contracts:contract_update", args=[contract.pk])
    response = clerk_client.post(url, form_data(contract, ContractForm, name="Renamed"))
    assert response.status_code == 302
    assert ProjectContract.objects.get(pk=contract.pk).name == "Renamed"


def test_project_form_shows_why_the_project_cannot_move_and_saves_nothing(clerk_client):
    contract, project = with_transactions()
    other = ProjectContractFactory()
    url = reverse("contracts:project_update", args=[project.pk])
    response = clerk_client.post(url, form_data(project, ProjectForm, contract=other.pk))
    assert response.status_code == 200
    assert response.context["form"].errors == {"contract": [PROJECT_MOVE]}
    assert Project.objects.get(pk=project.pk).contract_id == contract.pk


# ---- the API --------------------------------------------------------------------------------


def test_api_refuses_a_new_currency_with_a_400_naming_the_field(people):
    contract = invoiced(people)
    client = api()
    response = client.patch(f"/api/v1/contracts/{contract.pk}/", {"currency": "EUR"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"currency": [CURRENCY_AFTER_INVOICES]}
    assert ProjectContract.objects.get(pk=contract.pk).currency == "SEK"
    renamed = client.patch(f"/api/v1/contracts/{contract.pk}/", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200, renamed.json()


def test_api_refuses_moving_a_project_with_transactions(people):
    _contract, project = with_transactions()
    other = ProjectContractFactory()
    response = api().patch(f"/api/v1/projects/{project.pk}/", {"contract": other.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"contract": [PROJECT_MOVE]}
