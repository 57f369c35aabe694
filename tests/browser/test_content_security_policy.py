"""Under the Content-Security-Policy the pages' scripts still run and the browser reports no
violation: the charts draw, a confirmation is asked before a destructive form is sent, a select
submits its form."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from invoicing.invoices import posting
from invoicing.proposals import generation
from invoicing.proposals.models import InvoiceProposal
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db(transaction=True)

# Every violation, whatever the directive, as the page's own event reports it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def people(transactional_db):
    return {
        "clerk": UserFactory(username="karin", first_name="Karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", first_name="Lars", role="approver"),
    }


def draft_proposal(people):
    contract, project, _source = contract_with_customer(code="DRAFT-1")
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "10")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    return proposal


def test_main_pages_run_their_scripts_with_no_policy_violation(people, page, live_server, log_in):
    invoice = posting.invoice_post(proposal=approved_e1(people, code="E1"), actor=people["clerk"])
    proposal = draft_proposal(people)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(people["clerk"])

    # Dashboard: Chart.js and the chart script run from static files.
    page.goto(f"{live_server.url}/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('revenue-chart'))"
    )
    pages = [
        invoice.contract.get_absolute_url(),
        proposal.get_absolute_url(),
        invoice.get_absolute_url(),
        "/billing/imports/new/",
        "/billing/transactions/",
    ]
    violations = {"/": page.evaluate("window.__cspViolations")}
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        violations[path] = page.evaluate("window.__cspViolations")

    # A destructive form asks first (data-confirm, static/js/app.js): dismissed, nothing happens;
    # accepted, the proposal is cancelled.
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Cancel proposal").click()
    assert InvoiceProposal.objects.get(pk=proposal.pk).status == "draft"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel proposal").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("button", name="Cancel proposal")).to_have_count(0)
    assert InvoiceProposal.objects.get(pk=proposal.pk).status == "cancelled"

    # A select that submits its form (data-autosubmit): the language switch.
    page.select_option("#language-select", "sv")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    violations["after clicks"] = page.evaluate("window.__cspViolations")

    assert {path: found for path, found in violations.items() if found} == {}
    assert console == []
    assert missing == []
