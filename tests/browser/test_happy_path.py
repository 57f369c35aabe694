"""Worked example E1 from contract set-up to the PDF, done through the finance UI only.

Reference data (legal entity, customer, tax group, payment terms, worker, category) is the
admins' set-up and comes from factories; everything a finance clerk and an approver do after
that goes through the pages: the contract and its project, the funding source and rule, the two
billing rules (time and material, and a 10 % management fee), the timesheet import, the proposal,
its approval by a second person, posting, and the invoice PDF.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from contracts.models import BillingRule, Project, ProjectContract
from funding.models import FundingRule, FundingSource
from invoicing.invoices.models import Invoice
from invoicing.proposals.models import InvoiceProposal
from invoicing.transactions.models import ImportBatch, ProjectTransaction
from tests.factories import (
    CategoryFactory,
    CustomerFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    TaxGroupFactory,
    UserFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = 25  # 25 days of 8 hours: the 200 hours of example E1 (an hour line holds at most 24)


def timesheet_csv(path):
    """The timesheet system's export: 25 lines of 8 hours of consulting, decimal comma."""
    lines = ["Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"]
    for day in range(1, DAYS + 1):
        lines.append(f"E1-{day:04d};2026-03-{day:02d};E1-P1;W100;CONS;8,0;Support, day {day};SEK")
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_example_e1_from_contract_setup_to_the_posted_invoice_pdf(
    new_session, live_server, settings, tmp_path
):
    # Given the admins' set-up: who invoices whom, VAT 25 %, terms, a worker at 100.00 an hour
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = UserFactory(username="karin", first_name="Karin", role="finance_clerk")
    approver = UserFactory(username="lars", first_name="Lars", role="approver")
    entity = LegalEntityFactory(name="Nordic Projects AB", invoice_number_prefix="NP-")
    customer = CustomerFactory(name="Göteborgs Stad")
    tax_group = TaxGroupFactory(code="SE25", rate=Decimal("25.00"))
    terms = PaymentTermsFactory(code="NET30", net_days=30)
    WorkerFactory(code="W100", name="Anna Berg", cost_rate=Decimal("60"), sales_rate=Decimal("100"))
    CategoryFactory(code="CONS", name="Consulting", kind="hour")
    clerk_context, page = new_session(clerk)

    # When the clerk creates the contract and its time-and-material project
    page.click("#main-nav >> text=Contracts")
    page.wait_for_url("**/contracts/")
    page.click("text=New contract")
    page.wait_for_url("**/contracts/new/")
    page.fill("#id_code", "E1")
    page.fill("#id_name", "Support with a management fee")
    page.select_option("#id_status", "active")
    page.select_option("#id_legal_entity", str(entity.pk))
    page.select_option("#id_customer", str(customer.pk))
    page.fill("#id_start_date", "2026-01-01")
    page.select_option("#id_currency", "SEK")
    page.fill("#id_contract_value", "100000")
    page.fill("#id_retention_percent", "0")
    page.select_option("#id_default_tax_group", str(tax_group.pk))
    page.select_option("#id_payment_terms", str(terms.pk))
    page.click("text=Save contract")
    page.wait_for_selector("text=The contract was created.")
    page.click("text=Add project")
    page.fill("#id_code", "E1-P1")
    page.fill("#id_name", "Support")
    page.select_option("#id_project_type", "time_material")
    page.click("text=Save project")
    page.wait_for_selector("text=The project was created.")
    contract = ProjectContract.objects.get(code="E1")
    project = Project.objects.get(code="E1-P1")

    # and says who pays: the customer, 100 % of every transaction
    page.click("#main-nav >> text=Contracts")
    page.wait_for_url("**/contracts/")
    page.click("#contract-table a:text-is('E1')")
    page.wait_for_url(f"**{contract.get_absolute_url()}")
    page.click("a.nav-link:has-text('Funding')")
    page.click("text=Add source")
    page.fill("#id_name", "Göteborgs Stad")
    page.select_option("#id_source_type", "customer")
    page.select_option("#id_customer", str(customer.pk))
    page.check("#id_is_rounding_source")
    page.click("main button[type=submit]:has-text('Save')")
    page.wait_for_selector("text=Funding was saved.")
    source = FundingSource.objects.get(contract=contract)
    page.click("text=Add rule")
    page.fill("#id_name", "Customer pays all")
    page.fill("#id_priority", "1")
    page.select_option("select[name='lines-0-source']", str(source.pk))
    page.fill("input[name='lines-0-percentage']", "120")
    expect(page.locator("#percentage-warning")).to_be_visible()
    page.fill("input[name='lines-0-percentage']", "100")
    expect(page.locator("#percentage-total")).to_have_text("100")
    # the warning shows over 100 % only (Bootstrap's d-block once beat the hidden attribute)
    expect(page.locator("#percentage-warning")).to_be_hidden()
    page.click("text=Save rule")
    page.wait_for_selector("text=The funding rule was saved.")
    expect(page.locator("#rules")).to_contain_text("Customer pays all")

    # and how much to invoice: hours at their rates, and a 10 % management fee on top
    page.click("a.nav-link:has-text('Billing rules and milestones')")
    for name, rule_type, fee_percent in (
        ("Hours at sales rates", "time_material", None),
        ("Management fee", "fee", "10"),
    ):
        page.click("text=Add billing rule")
        page.fill("#id_name", name)
        page.select_option("#id_rule_type", rule_type)
        # only the terms of the chosen type show (the unit price is a unit-of-delivery term)
        expect(page.locator("#id_unit_price")).to_be_hidden()
        expect(page.locator("#id_fee_percent")).to_be_visible(visible=bool(fee_percent))
        expect(page.locator("#id_chargeable_categories")).to_be_visible(visible=not fee_percent)
        page.check(f"input[name=projects][value='{project.pk}']")
        if fee_percent:
            page.fill("#id_fee_percent", fee_percent)
        page.click("main button[type=submit]:has-text('Save')")
        page.wait_for_selector("text=The billing rule was saved.")
    rules_table = page.locator("#billing-rules")
    expect(rules_table).to_contain_text("Hours at sales rates")
    expect(rules_table).to_contain_text("Management fee")

    # When she imports the month's timesheet: upload, check, confirm
    page.locator("#main-nav").get_by_role("link", name="Imports").click()
    page.click("text=Import timesheet")
    page.set_input_files("#id_file", str(timesheet_csv(tmp_path / "timesheet-2026-03.csv")))
    page.click("text=Upload and check")
    page.wait_for_selector("text=Every row is valid. Confirm to create 25 transactions.")
    page.click("text=Confirm import")
    page.wait_for_selector("text=25 transactions were imported.")
    assert ProjectTransaction.objects.filter(project=project).count() == DAYS

    # and creates the proposal from "billable now"
    page.click("#main-nav >> text=Proposals")
    page.wait_for_url("**/billing/proposals/")
    page.click("main >> text=Billable now")
    page.wait_for_url("**/billing/billable/")
    row = page.locator("tbody tr", has_text="E1")
    expect(row).to_contain_text("20,000.00")
    row.locator("input[name=up_to_date]").fill("2026-03-31")
    row.locator("text=Create proposals").click()
    page.wait_for_selector("text=1 proposal was created.")
    proposal = InvoiceProposal.objects.get(contract=contract)
    listed = page.locator("tbody tr", has_text="E1")
    expect(listed).to_contain_text("22,000.00")
    listed.locator(f"a:text-is('{proposal.pk}')").click()
    page.wait_for_url(f"**{proposal.get_absolute_url()}")
    totals = page.locator("main .col-xl-4 .card", has_text="Totals")
    expect(totals).to_contain_text("22,000.00")
    expect(totals).to_contain_text("5,500.00")
    expect(totals).to_contain_text("27,500.00")
    expect(page.locator("main")).to_contain_text("2,000.00")  # the fee line
    page.click("text=Submit for approval")
    page.wait_for_selector("text=The proposal was submitted for approval.")
    clerk_context.close()

    # Then a second person, the approver, approves it in a session of his own
    approver_context, approver_page = new_session(approver)
    approver_page.click(f"text=#{proposal.pk} E1")
    approver_page.wait_for_url(f"**{proposal.get_absolute_url()}")
    expect(approver_page.locator("main")).to_contain_text("27,500.00")
    approver_page.click("button:has-text('Approve')")
    approver_page.wait_for_selector("text=The proposal was approved.")
    approver_context.close()

    # and the clerk posts it and downloads its PDF
    clerk_context, page = new_session(clerk)
    page.click("#main-nav >> text=Proposals")
    page.wait_for_url("**/billing/proposals/")
    page.select_option("#id_status", "approved")
    page.click("main button:has-text('Filter')")
    page.wait_for_url(re.compile(r"/billing/proposals/\?(.*&)?status=approved(&|$)"))
    page.click(f"tbody a:text-is('{proposal.pk}')")
    page.wait_for_url(f"**{proposal.get_absolute_url()}")
    page.fill("input[name=invoice_date]", "2026-04-01")
    page.click("text=Post invoice")
    page.wait_for_selector("text=Invoice NP-1 was posted.")
    expect(page.locator("h1")).to_contain_text("NP-1")
    invoice_totals = page.locator("main .col-xl-4 .card", has_text="Totals")
    expect(invoice_totals).to_contain_text("22,000.00")
    expect(invoice_totals).to_contain_text("5,500.00")
    expect(invoice_totals).to_contain_text("27,500.00")
    pdf_link = page.locator("main a", has_text="PDF")
    expect(pdf_link).to_have_attribute("href", re.compile(r"^/billing/invoices/\d+/pdf/$"))
    pdf = page.request.get(f"{live_server.url}{pdf_link.get_attribute('href')}")
    assert pdf.ok
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    clerk_context.close()

    # And the database holds exactly that
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.sequence_number) == ("NP-1", 1)
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("22000.00"),
        Decimal("5500.00"),
        Decimal("27500.00"),
    )
    assert (invoice.customer, invoice.legal_entity, invoice.currency) == (customer, entity, "SEK")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.submitted_by, proposal.approved_by) == (
        "posted",
        clerk,
        approver,
    )
    assert set(
        ProjectTransaction.objects.filter(project=project).values_list("billing_status", flat=True)
    ) == {"invoiced"}
    assert ImportBatch.objects.get().status == "imported"
    assert FundingRule.objects.filter(contract=contract).count() == 1
    assert BillingRule.objects.filter(contract=contract).count() == 2
