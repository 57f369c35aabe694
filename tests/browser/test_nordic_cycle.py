"""The month's cycle in Swedish and in Danish, through the pages only: a clerk imports the
timesheet, creates the proposal from "billable now", submits it; an approver approves it; the
clerk posts it and opens the invoice and its PDF. Every button is found by its text in the
page's language (taken from our catalogues), every date is typed in the language's format, and
every amount is read in the language's format: the clerk meets no English on the way, and the
customer's invoice is in the customer's language.
"""

import datetime
import re
import subprocess
from decimal import Decimal

import pytest
from django.utils import formats, translation
from playwright.sync_api import expect

from contracts.templatetags.billing_format import money
from invoicing.invoices.models import Invoice
from invoicing.proposals.models import InvoiceProposal
from invoicing.transactions.models import ProjectTransaction
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    CustomerFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    TaxGroupFactory,
    UserFactory,
    WorkerFactory,
)
from tests.invoicing.builders import contract_with_customer

pytestmark = pytest.mark.django_db(transaction=True)

MONTH_END = datetime.date(2026, 3, 31)
INVOICE_DAY = datetime.date(2026, 4, 1)
# The seller and the customer of each language: a Swedish AB and a Danish ApS.
PARTIES = {
    "sv": ({"swedish_details": True}, {"country": "SE", "name": "Göteborgs Stad"}, "SEK"),
    "da": (
        {"danish": True},
        {"country": "DK", "name": "Aarhus Kommune", "vat_number": "DK29189498"},
        "DKK",
    ),
}


def in_language(language):
    """The catalogue's text, the language's number and date formats."""

    def text(message):
        with translation.override(language):
            return translation.gettext(message)

    def amount(value):
        with translation.override(language):
            return money(Decimal(value))

    def day(value):
        with translation.override(language):
            return formats.localize_input(value)

    return text, amount, day


def timesheet(path, days=25):
    lines = ["Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"]
    for number in range(1, days + 1):
        lines.append(f"N-{number:04d};2026-03-{number:02d};N-P1;W100;CONS;8,0;Dag {number};")
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def session(browser, live_server, user, language):
    """A user in a browser context of their own, reading the pages in ``language``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "secret-password-1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


@pytest.mark.parametrize("language", ["sv", "da"])
def test_the_month_in_the_clerks_and_the_customers_language(
    language, browser, live_server, settings, tmp_path
):
    # Given a seller and a customer of that language, a contract with hours at 100 an hour and
    # a 10 % management fee, the customer paying all of it
    settings.MEDIA_ROOT = tmp_path / "media"
    text, amount, day = in_language(language)
    seller, buyer, currency = PARTIES[language]
    entity = LegalEntityFactory(invoice_number_prefix="N-", base_currency=currency, **seller)
    customer = CustomerFactory(language=language, **buyer)
    contract, project, _source = contract_with_customer(
        code="N1",
        legal_entity=entity,
        customer=customer,
        currency=currency,
        default_tax_group=TaxGroupFactory(rate=Decimal("25.00")),
        payment_terms=PaymentTermsFactory(net_days=30),
        status="active",
    )
    project.code = "N-P1"
    project.save()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(
        contract=contract,
        rule_type="fee",
        name={"sv": "Förvaltningsavgift", "da": "Administrationsgebyr"}[language],
        fee_percent=Decimal("10"),
        projects=[project],
    )
    WorkerFactory(code="W100", cost_rate=Decimal("60"), sales_rate=Decimal("100"))
    CategoryFactory(code="CONS", name="Konsult", kind="hour")
    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", role="approver")

    # When the clerk imports the month's timesheet, in her language
    context, page = session(browser, live_server, clerk, language)
    page.goto(f"{live_server.url}/billing/imports/new/")
    page.set_input_files("#id_file", str(timesheet(tmp_path / "tid.csv")))
    page.click(f"main button:has-text('{text('Upload and check')}')")
    page.click(f"main button:has-text('{text('Confirm import')}')")
    expect(page.locator("main")).to_contain_text(re.compile(r"25"))
    for _ in range(100):
        if ProjectTransaction.objects.filter(project=project).count() == 25:
            break
        page.wait_for_timeout(100)
    assert ProjectTransaction.objects.filter(project=project).count() == 25

    # and creates the proposal from "billable now", the date typed the language's way
    page.goto(f"{live_server.url}/billing/billable/")
    row = page.locator("tbody tr", has_text="N1")
    expect(row).to_contain_text(amount("20000"))
    row.locator("input[name=up_to_date]").fill(day(MONTH_END))
    row.locator(f"button:has-text('{text('Create proposals')}')").click()
    page.wait_for_url(re.compile(r"/billing/proposals/"))
    proposal = InvoiceProposal.objects.get(contract=contract)
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    main = page.locator("main")
    for figure in ("20000", "2000", "22000", "5500", "27500"):
        expect(main).to_contain_text(amount(figure))
    page.click(f"main button:has-text('{text('Submit for approval')}')")
    expect(main).to_contain_text(text("The proposal was submitted for approval."))
    context.close()

    # Then the approver approves it, in the same language
    context, page = session(browser, live_server, approver, language)
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    page.click(f"main button:has-text('{text('Approve')}')")
    expect(page.locator("main")).to_contain_text(text("The proposal was approved."))
    context.close()

    # and the clerk posts it with the invoice date typed the language's way
    context, page = session(browser, live_server, clerk, language)
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    page.fill("input[name=invoice_date]", day(INVOICE_DAY))
    page.click(f"main button:has-text('{text('Post invoice')}')")
    invoice = Invoice.objects.get(proposal=proposal)
    page.wait_for_url(re.compile(rf"{invoice.get_absolute_url()}$"))
    main = page.locator("main")
    expect(page.locator("h1")).to_contain_text(invoice.number)
    for figure in ("22000", "5500", "27500"):
        expect(main).to_contain_text(amount(figure))
    assert invoice.invoice_date == INVOICE_DAY
    assert invoice.gross_total == Decimal("27500.00")

    # And the PDF the customer receives is in the customer's language, numbers included
    pdf = page.request.get(f"{live_server.url}/billing/invoices/{invoice.pk}/pdf/")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.body(), capture_output=True, check=True
    ).stdout.decode()
    flat = " ".join(pdf_text.split()).replace("\xa0", " ")
    assert amount("27500").replace("\xa0", " ") in flat
    assert "FAKTURA" in flat.upper()  # the document's title in Swedish and in Danish
    for english in ("Invoice date", "Due date", "Total", "Management fee", "VAT"):
        assert not re.search(rf"\b{english}\b", flat), english
    context.close()
