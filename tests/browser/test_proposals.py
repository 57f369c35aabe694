"""Worked example E1 in the browser: billable now -> proposal -> submitted -> approved by another."""

from decimal import Decimal

import pytest

from invoicing.proposals.models import InvoiceProposal
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours

pytestmark = pytest.mark.django_db(transaction=True)


def test_example_e1_from_billable_now_to_a_posted_invoice_and_its_pdf(new_session, live_server):
    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", role="approver")
    contract, project, _source = contract_with_customer(code="E1")
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(
        contract=contract, rule_type="fee", fee_percent=Decimal("10"), projects=[project]
    )
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "200")

    clerk_context, page = new_session(clerk)
    page.goto(f"{live_server.url}/billing/billable/{contract.pk}/")
    page.fill("input[name=up_to_date]", DAY.isoformat())
    page.click("text=Create proposals")
    page.wait_for_selector("text=1 proposal was created.")
    proposal = InvoiceProposal.objects.get()
    page.goto(f"{live_server.url}/billing/proposals/{proposal.pk}/")
    assert "22,000.00" in page.inner_text("main")
    page.click("text=Submit for approval")
    page.wait_for_selector("text=The proposal was submitted for approval.")
    clerk_context.close()

    approver_context, page = new_session(approver)
    page.goto(f"{live_server.url}/billing/proposals/{proposal.pk}/")
    page.click("button:has-text('Approve')")
    page.wait_for_selector("text=The proposal was approved.")
    approver_context.close()
    proposal.refresh_from_db()
    assert (proposal.status, proposal.approved_by, proposal.submitted_by) == (
        "approved",
        approver,
        clerk,
    )
