"""The dashboard at / (the landing page after log-in): what waits for whom, and its charts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from invoicing.invoices import posting
from invoicing.proposals import generation, workflow
from tests.factories import BillingRuleFactory, MilestoneFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS = ("revenue-chart", "plan-chart", "wip-chart")

# True when Chart.js has drawn on the canvas and finished animating it: the canvas is laid out,
# Chart.js owns it, and some pixel is not transparent any more.
CANVAS_IS_DRAWN = """(id) => {
    const canvas = document.getElementById(id);
    if (!canvas || canvas.width === 0 || canvas.height === 0 || !window.Chart) return false;
    const chart = Chart.getChart(canvas);
    if (!chart || (Chart.animator && Chart.animator.running(chart))) return false;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let alpha = 3; alpha < pixels.length; alpha += 4) if (pixels[alpha] !== 0) return true;
    return false;
}"""

# What each chart shows: its labels, and per label the values of its datasets.
CHART_DATA = """(ids) => Object.fromEntries(ids.map((id) => {
    const chart = Chart.getChart(document.getElementById(id));
    const labels = chart.data.labels;
    const values = labels.map((_, i) => chart.data.datasets.map((set) => set.data[i]));
    return [id, {labels, values}];
}))"""


@pytest.fixture
def people(transactional_db):
    return {
        "clerk": UserFactory(username="karin", first_name="Karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", first_name="Lars", role="approver"),
    }


def submitted_proposal(people, code):
    """Ten hours at 100.00 on a new contract, proposed and submitted by the clerk."""
    contract, project, _source = contract_with_customer(code=code)
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "10")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    return workflow.proposal_submit(proposal=proposal, actor=people["clerk"])


def stat(page, label):
    """The figure of the dashboard card with this label."""
    return page.locator("a.card", has=page.locator(".stat-label", has_text=label))


def test_approver_reaches_a_waiting_proposal_in_two_clicks_and_the_charts_render(
    people, page, live_server, log_in
):
    # Given a proposal waiting for approval, an invoice of 22,000.00 net posted today, a milestone
    waiting = submitted_proposal(people, "WAIT-1")
    invoiced = approved_e1(people, code="E1")
    posting.invoice_post(
        proposal=invoiced,
        actor=people["clerk"],
        invoice_date=timezone.localdate(),
    )
    MilestoneFactory(
        contract=invoiced.contract, description="Acceptance test", amount=Decimal("10000")
    )
    # and 12.5 hours at 100.00 on another contract, not proposed yet
    wip, wip_project, _source = contract_with_customer(code="WIP-1")
    BillingRuleFactory(contract=wip, rule_type="time_material", projects=[wip_project])
    hours(wip_project, WorkerFactory(sales_rate=Decimal("100")), "12.5")

    # When the approver logs in, he lands on the dashboard, which counts it
    log_in(people["approver"])
    waiting_card = stat(page, "Waiting for my approval")
    expect(waiting_card.locator(".stat")).to_have_text("1")
    expect(page.locator("main")).to_contain_text(f"#{waiting.pk} WAIT-1")

    # Then every chart is drawn by the vendored Chart.js, with the figures behind it
    for chart in CHARTS:
        page.wait_for_function(CANVAS_IS_DRAWN, arg=chart)
    page.screenshot(path="/tmp/dashboard-browser.png", full_page=True)
    data = page.evaluate(CHART_DATA, list(CHARTS))
    assert data["revenue-chart"]["labels"][-1] == timezone.localdate().strftime("%Y-%m")
    assert data["revenue-chart"]["values"][-1] == [22000]
    assert data["plan-chart"] == {"labels": ["E1"], "values": [[10000, 0]]}
    assert data["wip-chart"] == {"labels": ["WIP-1"], "values": [[1250]]}

    # and two clicks take him to the proposal: the figure, then the proposal in the list
    waiting_card.click()
    page.wait_for_url("**/billing/proposals/?mine=to_approve")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator(f"a:text-is('{waiting.pk}')").click()
    page.wait_for_url(f"**{waiting.get_absolute_url()}")
    expect(page.locator("button:has-text('Approve')")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1,000.00")

    # and so does one click on the proposal in the "Waiting for my approval" list
    page.click("#main-nav >> text=Today")
    page.wait_for_url(f"{live_server.url}/")
    page.locator("main").get_by_text(f"#{waiting.pk} WAIT-1").click()
    page.wait_for_url(f"**{waiting.get_absolute_url()}")
    expect(page.locator("button:has-text('Approve')")).to_be_visible()


def test_clerk_sees_her_rejected_proposal_and_an_overdue_invoice(people, page, live_server, log_in):
    # Given a proposal of the clerk's that the approver rejected
    rejected = submitted_proposal(people, "REJ-1")
    workflow.proposal_reject(
        proposal=rejected, actor=people["approver"], reason="Wrong customer reference"
    )
    # and an invoice of 27,500.00 whose 30 days ran out a month ago
    invoice = posting.invoice_post(
        proposal=approved_e1(people, code="E1"),
        actor=people["clerk"],
        invoice_date=timezone.localdate() - datetime.timedelta(days=60),
    )

    # When she logs in
    log_in(people["clerk"])

    # Then the dashboard shows the rejection in red and the overdue amount
    rejected_card = stat(page, "My rejected proposals")
    expect(rejected_card.locator(".stat")).to_have_text("1")
    expect(rejected_card.locator(".stat")).to_have_class(re.compile(r"\btext-danger\b"))
    unpaid_card = stat(page, "Unpaid SEK")
    expect(unpaid_card.locator(".stat")).to_have_text("27,500.00")
    expect(unpaid_card).to_contain_text("1 overdue · 27,500.00")
    rejected_item = page.locator(".card", has_text="My rejected proposals").locator(
        "li", has_text=f"#{rejected.pk} REJ-1"
    )
    expect(rejected_item).to_contain_text("Wrong customer reference")

    # and one click opens the proposal with the reason, ready to submit again
    rejected_item.locator("a").click()
    page.wait_for_url(f"**{rejected.get_absolute_url()}")
    expect(page.locator("main")).to_contain_text("Rejected: Wrong customer reference")
    expect(page.locator("button:has-text('Submit for approval')")).to_be_visible()

    # and the unpaid figure leads to the receivables, where the invoice is overdue
    page.click("#main-nav >> text=Today")
    page.wait_for_url(f"{live_server.url}/")
    unpaid_card.click()
    page.wait_for_url("**/billing/receivables/")
    row = page.locator("tr", has_text=invoice.number)
    expect(row).to_contain_text("27,500.00")
    expect(row).to_contain_text("Overdue")
