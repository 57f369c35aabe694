"""A finance clerk creates a contract with a project and finds it in the list."""

import pytest

from contracts.models import Project, ProjectContract
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    TaxGroupFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_creates_a_contract_with_a_project_and_sees_it_in_the_list(page, live_server, log_in):
    # Given a clerk and the set-up data a contract needs
    clerk = UserFactory(username="karin", role="finance_clerk")
    entity = LegalEntityFactory(name="Nordic Projects AB")
    customer = CustomerFactory(name="Göteborgs Stad")
    tax_group = TaxGroupFactory(code="SE25")
    terms = PaymentTermsFactory(code="NET30")
    log_in(clerk)

    # When she creates a contract (from the contract list)
    page.click("#main-nav >> text=Contracts")
    page.click("text=New contract")
    page.fill("#id_code", "BRIDGE-1")
    page.fill("#id_name", "Bridge inspection")
    page.select_option("#id_status", "active")
    page.select_option("#id_legal_entity", str(entity.pk))
    page.select_option("#id_customer", str(customer.pk))
    page.fill("#id_start_date", "2026-03-01")
    page.select_option("#id_currency", "SEK")
    page.fill("#id_contract_value", "250000")
    page.fill("#id_retention_percent", "5")
    page.select_option("#id_default_tax_group", str(tax_group.pk))
    page.select_option("#id_payment_terms", str(terms.pk))
    page.click("text=Save contract")
    page.wait_for_selector("text=The contract was created.")

    # and adds a project to it
    page.click("text=Add project")
    page.fill("#id_code", "BRIDGE-1-A")
    page.fill("#id_name", "Inspection work")
    page.select_option("#id_project_type", "time_material")
    page.click("text=Save project")
    page.wait_for_selector("text=The project was created.")

    # Then the contract is in the list, found by search, with its project counted
    page.click("nav >> text=Contracts")
    page.fill("#id_q", "bridge")
    row = page.locator("#contract-table tbody tr", has_text="BRIDGE-1")
    row.wait_for()
    assert "Göteborgs Stad" in row.inner_text()
    assert "250,000.00" in row.inner_text()
    contract = ProjectContract.objects.get(code="BRIDGE-1")
    assert Project.objects.get(code="BRIDGE-1-A").contract == contract


def test_form_errors_are_shown_next_to_the_field(page, live_server, log_in):
    log_in(UserFactory(username="karin", role="finance_clerk"))
    page.goto(f"{live_server.url}/contracts/new/")
    page.fill("#id_retention_percent", "150")
    page.click("text=Save contract")
    assert page.locator(".invalid-feedback", has_text="less than or equal to 100").count() == 1
    assert not ProjectContract.objects.exists()
