"""A new contract starts from the customer's terms; the contract page says what is missing
before its work can be billed; funders listed across contracts are named with their contract."""

import json

import pytest
from django.urls import reverse

from contracts import selectors
from contracts.models import ContractStatus, ProjectType
from contracts.setup_checklist import contract_setup_checklist
from tests.factories import (
    BillingRuleFactory,
    CustomerFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    ProjectContractFactory,
    ProjectFactory,
    TaxGroupFactory,
)

pytestmark = pytest.mark.django_db


def test_a_customers_next_contract_takes_its_latest_contracts_terms():
    # Given a customer with an older DKK and a newer EUR contract and its own payment terms
    terms = PaymentTermsFactory()
    customer = CustomerFactory(payment_terms=terms)
    entity = LegalEntityFactory()
    ProjectContractFactory(customer=customer, legal_entity=entity, currency="DKK",
                           start_date="2025-01-01")  # fmt: skip
    latest = ProjectContractFactory(customer=customer, legal_entity=entity, currency="EUR",
                                    start_date="2026-01-01")  # fmt: skip

    # When the defaults of a new contract are read
    defaults = selectors.contract_defaults(customer=customer)

    # Then they are the only entity, the customer's terms and the latest contract's currency
    assert defaults == {
        "legal_entity": entity.pk,
        "payment_terms": terms.pk,
        "currency": "EUR",
        "default_tax_group": latest.default_tax_group_id,
    }


def test_a_first_contract_takes_the_countrys_currency_and_its_customers_tax_group():
    entity = LegalEntityFactory()
    reverse_charge = TaxGroupFactory(code="EU-RC")
    ProjectContractFactory(legal_entity=entity, customer=CustomerFactory(country="DE"),
                           default_tax_group=reverse_charge)  # fmt: skip
    newcomer = CustomerFactory(country="DE")

    defaults = selectors.contract_defaults(customer=newcomer)

    assert defaults["currency"] == "EUR"
    assert defaults["default_tax_group"] == reverse_charge.pk


def test_with_two_legal_entities_none_is_chosen():
    LegalEntityFactory()
    LegalEntityFactory()
    assert "legal_entity" not in selectors.contract_defaults(customer=None)


def test_the_new_contract_form_starts_from_the_customer_named_in_the_address(clerk_client):
    terms = PaymentTermsFactory()
    customer = CustomerFactory(payment_terms=terms)
    entity = LegalEntityFactory()
    earlier = ProjectContractFactory(customer=customer, legal_entity=entity, currency="NOK")

    response = clerk_client.get(reverse("contracts:contract_create") + f"?customer={customer.pk}")

    form = response.context["form"]
    assert form["customer"].value() == customer.pk
    assert form["legal_entity"].value() == entity.pk
    assert form["currency"].value() == "NOK"
    assert form["default_tax_group"].value() == earlier.default_tax_group_id
    assert form["payment_terms"].value() == terms.pk
    assert b"data-contract-defaults" in response.content


def test_the_defaults_follow_the_customer_picked_on_the_form(clerk_client):
    customer = CustomerFactory()
    ProjectContractFactory(customer=customer, currency="GBP")

    response = clerk_client.get(reverse("contracts:contract_defaults"), {"customer": customer.pk})

    assert json.loads(response.content)["currency"] == "GBP"
    assert json.loads(response.content)["payment_terms"] == customer.payment_terms_id


def _steps(contract):
    return {step.title: step.is_done for step in contract_setup_checklist(contract=contract)}


def test_a_bare_contract_lists_every_missing_step_with_a_link(clerk_client):
    contract = ProjectContractFactory(status=ContractStatus.DRAFT)
    ProjectFactory(contract=contract, project_type=ProjectType.INTERNAL)

    assert set(_steps(contract).values()) == {False}
    response = clerk_client.get(contract.get_absolute_url())
    text = response.content.decode()
    assert "Something is missing" in text
    assert reverse("funding:rule_create", kwargs={"contract_pk": contract.pk}) in text
    assert reverse("contracts:billing_rule_create", kwargs={"contract_pk": contract.pk}) in text
    assert f"?contract={contract.pk}" in text


def test_a_set_up_contract_is_ready_to_bill(clerk_client, django_assert_max_num_queries):
    contract = ProjectContractFactory(status=ContractStatus.ACTIVE)
    project = ProjectFactory(contract=contract)
    source = FundingSourceFactory(contract=contract, customer=contract.customer)
    FundingRuleLineFactory(rule__contract=contract, source=source)
    BillingRuleFactory(contract=contract, projects=[project])

    assert set(_steps(contract).values()) == {True}
    response = clerk_client.get(contract.get_absolute_url())
    assert "Ready to bill" in response.content.decode()


def test_an_internal_funder_alone_leaves_nobody_to_invoice():
    contract = ProjectContractFactory()
    FundingSourceFactory(contract=contract, source_type="organization", customer=None)
    assert _steps(contract)["A funder who is invoiced"] is False


def test_a_reader_sees_the_checklist_without_the_links(client, user_with_role):
    contract = ProjectContractFactory(status=ContractStatus.DRAFT)
    client.force_login(user_with_role("read_only"))
    text = client.get(contract.get_absolute_url()).content.decode()
    assert "Something is missing" in text
    assert reverse("funding:rule_create", kwargs={"contract_pk": contract.pk}) not in text


def test_the_customer_page_starts_a_contract_for_that_customer(clerk_client):
    customer = CustomerFactory()
    page = clerk_client.get(reverse("invoicing:customer_detail", args=[customer.pk]))
    assert f"/contracts/new/?customer={customer.pk}" in page.content.decode()
