"""A finance clerk adds a customer, is told what is wrong with its numbers, fixes them, finds
the customer in the list and opens its page."""

import pytest
from playwright.sync_api import expect

from contracts.models import Customer
from tests.factories import CustomerFactory, PaymentTermsFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_adds_a_customer_fixes_its_vat_number_and_finds_it(page, live_server, log_in):
    # Given a clerk, payment terms and a customer that a search for "malmö" does not find
    clerk = UserFactory(username="karin", role="finance_clerk")
    terms = PaymentTermsFactory(code="NET30")
    CustomerFactory(code="C-GBG", name="Göteborgs Stad")
    log_in(clerk)

    # When she adds a customer with a VAT number whose check digit is wrong
    page.locator("#main-nav").get_by_role("link", name="Customers").click()
    page.wait_for_url("**/billing/customers/")
    page.click("text=New customer")
    page.fill("#id_code", "C-MAL")
    page.fill("#id_name", "Malmö Hamn AB")
    page.select_option("#id_country", "SE")
    page.fill("#id_vat_number", "SE556677889801")
    page.fill("#id_email", "faktura@malmohamn.example")
    page.select_option("#id_payment_terms", str(terms.pk))
    page.click("text=Save customer")

    # Then she reads why, and nothing is saved
    expect(page.get_by_text("the check digit is wrong")).to_be_visible()
    assert not Customer.objects.filter(code="C-MAL").exists()

    # When she corrects it and saves
    page.fill("#id_vat_number", "SE 556677-8899 01")
    page.click("text=Save customer")
    expect(page.get_by_text("The customer was created.")).to_be_visible()
    assert Customer.objects.get(code="C-MAL").vat_number == "SE556677889901"

    # Then the list finds it by its organisation number, and its page opens from there
    page.locator("#main-nav").get_by_role("link", name="Customers").click()
    page.fill("#id_q", "556677-8899")
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    page.locator("#customer-table").get_by_role("link", name="C-MAL").first.click()
    expect(page.get_by_role("heading", name="C-MAL · Malmö Hamn AB")).to_be_visible()
    expect(page.get_by_text("Nothing invoiced or paid yet.")).to_be_visible()
