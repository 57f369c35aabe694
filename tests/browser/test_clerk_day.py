"""The clerk's day in the browser: bulk actions with a result per row, the top bar's search,
and numbers typed the Swedish way."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from invoicing.proposals import workflow
from invoicing.proposals.models import InvoiceProposal, ProposalStatus
from tests.factories import UserFactory
from tests.invoicing.builders import generated_e1

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    return {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
    }


def test_the_clerk_submits_three_from_the_list_and_reads_which_one_was_refused(
    page, live_server, log_in, people
):
    # Given two drafts and one proposal already submitted
    first, _record = generated_e1(people)
    second, _record = generated_e1(people)
    submitted, _record = generated_e1(people)
    workflow.proposal_submit(proposal=submitted, actor=people["clerk"])

    # When the clerk ticks every proposal on the list and submits them
    log_in(people["clerk"])
    page.goto(f"{live_server.url}/billing/proposals/")
    page.check("input[data-check-all=proposal]")
    expect(page.locator("input[name=proposal]:checked")).to_have_count(3)
    page.click("button[name=action][value=submit]")

    # Then the result page says two were submitted and why the third was refused
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("2 done")
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("1 refused")
    expect(page.locator("tr.bulk-done")).to_have_count(2)
    refused = page.locator("tr.bulk-refused")
    expect(refused).to_contain_text(f"#{submitted.pk}")
    statuses = set(
        InvoiceProposal.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {ProposalStatus.SUBMITTED}

    # And reloading the result page shows the same result without submitting anything again
    page.reload()
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("2 done")
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("1 refused")


def test_the_top_bar_finds_a_contract_by_name_and_opens_it(page, live_server, log_in, people):
    proposal, _record = generated_e1(people)
    contract = proposal.contract
    contract.name = "Harbour bridge renovation"
    contract.save()

    # On a wide screen the box is in the bar (from 1400 to 1600 px an icon opens the page).
    page.set_viewport_size({"width": 1700, "height": 900})
    log_in(people["clerk"])
    page.fill("[data-testid=top-search]", "harbour bridge")
    page.press("[data-testid=top-search]", "Enter")

    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text(contract.code)
    results.get_by_role("link", name=contract.code).click()
    expect(page.locator("h1")).to_contain_text(contract.name)


def test_a_swedish_clerk_types_1_234_50_and_the_fee_is_1234_50(page, live_server, log_in, people):
    proposal, _record = generated_e1(people)

    log_in(people["clerk"])
    page.context.add_cookies([{"name": "django_language", "value": "sv", "url": live_server.url}])
    page.goto(f"{live_server.url}{proposal.get_absolute_url()}")
    fee_form = page.locator("form:has(input[name=operation][value=fee])")
    fee_form.locator("input[name=description]").fill("Resekostnad")
    fee_form.locator("input[name=amount]").fill("1 234,50")
    fee_form.locator("button").click()

    expect(page.locator("main")).to_contain_text("Resekostnad")
    assert proposal.lines.get(description="Resekostnad").amount == Decimal("1234.50")
    # and it is shown back the Swedish way
    expect(page.locator("main")).to_contain_text("1\u00a0234,50")
