"""Worked example E1 in the browser: billable now -> proposal -> submitted -> approved by another
-> posted as an invoice -> its PDF."""

import re
import subprocess
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from invoicing.invoices.models import Invoice
from invoicing.proposals.models import InvoiceProposal
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as pdftotext reads it, with no-break spaces as plain spaces."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_example_e1_from_billable_now_to_a_posted_invoice_and_its_pdf(new_session, live_server):
    # Given E1: 200 hours at 100.00 and a 10 % management fee, for a Swedish customer
    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", role="approver")
    contract, project, _source = contract_with_customer(code="E1")
    entity = contract.legal_entity
    entity.invoice_number_prefix = "E1-"
    entity.save()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(
        contract=contract, rule_type="fee", fee_percent=Decimal("10"), projects=[project]
    )
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "200")

    # When the clerk creates the proposal from "billable now" and submits it
    clerk_context, page = new_session(clerk)
    page.goto(f"{live_server.url}/billing/billable/{contract.pk}/")
    page.fill("input[name=up_to_date]", DAY.isoformat())
    page.click("text=Create proposals")
    expect(page.get_by_text("1 proposal was created.")).to_be_visible()
    proposal = InvoiceProposal.objects.get()
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    expect(page.locator("main")).to_contain_text("22,000.00")
    page.click("text=Submit for approval")
    expect(page.get_by_text("The proposal was submitted for approval.")).to_be_visible()
    clerk_context.close()

    # and a second person, the approver, approves it
    approver_context, page = new_session(approver)
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    page.click("button:has-text('Approve')")
    expect(page.get_by_text("The proposal was approved.")).to_be_visible()
    approver_context.close()
    proposal.refresh_from_db()
    assert (proposal.status, proposal.approved_by, proposal.submitted_by) == (
        "approved",
        approver,
        clerk,
    )

    # and the clerk posts it as an invoice dated 1 April
    clerk_context, page = new_session(clerk)
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    page.fill("input[name=invoice_date]", "2026-04-01")
    page.click("button:has-text('Post invoice')")
    expect(page.get_by_text("Invoice E1-1 was posted.")).to_be_visible()
    invoice = Invoice.objects.get()
    page.wait_for_url(f"**{invoice.get_absolute_url()}")
    expect(page.locator("h1")).to_contain_text("E1-1")
    totals = page.locator("main .col-xl-4 .card", has_text="Totals")
    expect(totals).to_contain_text("22,000.00")
    expect(totals).to_contain_text("5,500.00")
    expect(totals).to_contain_text("27,500.00")

    # Then its PDF link answers with the invoice as a PDF (fetched by the page, in the clerk's
    # session: a navigation would show Chromium's PDF viewer, not the document's bytes)
    pdf_link = page.locator("main a", has_text="PDF")
    expect(pdf_link).to_have_attribute("href", f"/billing/invoices/{invoice.pk}/pdf/")
    with page.expect_response(re.compile(rf"/billing/invoices/{invoice.pk}/pdf/$")) as answer:
        page.evaluate("(link) => { fetch(link.href); }", pdf_link.element_handle())
    pdf = answer.value
    assert pdf.ok
    assert pdf.headers["content-type"] == "application/pdf"
    body = pdf.body()
    assert body.startswith(b"%PDF")
    # in the Swedish customer's language and number format
    text = pdf_text(body)
    assert "E1-1" in text
    assert "Moms 25 % på 22 000,00" in text  # the net total of E1, 22,000.00
    assert "27 500,00" in text
    assert "22,000.00" not in text
    clerk_context.close()

    # And the database holds exactly that invoice
    assert (invoice.number, invoice.sequence_number, invoice.proposal) == ("E1-1", 1, proposal)
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("22000.00"),
        Decimal("5500.00"),
        Decimal("27500.00"),
    )
    proposal.refresh_from_db()
    assert proposal.status == "posted"
