"""A finance clerk creates a contract with a project and finds it in the list."""

import re

import pytest
from playwright.sync_api import expect

from contracts.models import Project, ProjectContract
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    ProjectContractFactory,
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

    # and another contract that a search for "bridge" does not find
    ProjectContractFactory(code="HARBOUR-1", name="Harbour survey")
    log_in(clerk)

    # When she creates a contract (from the contract list)
    page.click("#main-nav >> text=Contracts")
    page.wait_for_url("**/contracts/")
    page.click("text=New contract")
    page.wait_for_url("**/contracts/new/")
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
    expect(page.get_by_text("The contract was created.")).to_be_visible()
    contract = ProjectContract.objects.get(code="BRIDGE-1")
    page.wait_for_url(f"**{contract.get_absolute_url()}")

    # and adds a project to it
    page.click("text=Add project")
    page.fill("#id_code", "BRIDGE-1-A")
    page.fill("#id_name", "Inspection work")
    page.select_option("#id_project_type", "time_material")
    page.click("text=Save project")
    expect(page.get_by_text("The project was created.")).to_be_visible()

    # Then the contract list shows both contracts, and a search finds hers only
    page.click("nav >> text=Contracts")
    page.wait_for_url("**/contracts/")
    rows = page.locator("#contract-table tbody tr")
    expect(rows).to_have_count(2)
    with page.expect_response(lambda response: "q=bridge" in response.url):
        page.fill("#id_q", "bridge")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]q=bridge"))
    # with her customer, its value and its project counted
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text("BRIDGE-1")
    expect(cells.nth(2)).to_have_text("Göteborgs Stad")
    expect(cells.nth(4)).to_contain_text("250,000.00")
    expect(cells.nth(6)).to_have_text("1")
    assert Project.objects.get(code="BRIDGE-1-A").contract == contract


def test_form_errors_are_shown_next_to_the_field(page, live_server, log_in):
    log_in(UserFactory(username="karin", role="finance_clerk"))
    page.goto(f"{live_server.url}/contracts/new/")
    page.fill("#id_retention_percent", "150")
    page.click("text=Save contract")
    # The error is under the retention field itself, and it is the only error of that kind
    retention_error = page.locator("#id_retention_percent ~ .invalid-feedback")
    expect(retention_error).to_contain_text("less than or equal to 100")
    expect(page.locator(".invalid-feedback", has_text="less than or equal to 100")).to_have_count(1)
    expect(page.locator("#id_retention_percent")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert not ProjectContract.objects.exists()
