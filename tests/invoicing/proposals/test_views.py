"""Proposal pages: permissions, the workflow through the browser's forms, billable now, runs."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.roles import ROLE_GROUP_NAMES
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import BillingRun, InvoiceProposal, ProposalStatus
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours

pytestmark = pytest.mark.django_db
ROLES = list(ROLE_GROUP_NAMES)


@pytest.fixture
def draft():
    clerk = UserFactory(username="karin", role="finance_clerk")
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(
        contract=contract, rule_type="fee", fee_percent=Decimal("10"), projects=[project]
    )
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "200")
    [proposal] = generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
    return proposal, clerk


@pytest.mark.parametrize("role", ROLES)
def test_proposal_pages_by_role(client, user_with_role, draft, role):
    proposal, _clerk = draft
    client.force_login(user_with_role(role))
    for url in (
        reverse("invoicing:proposal_list"),
        reverse("invoicing:proposal_detail", args=[proposal.pk]),
        reverse("invoicing:billable_now"),
    ):
        assert client.get(url).status_code == 200
    submit = client.post(reverse("invoicing:proposal_action", args=[proposal.pk, "submit"]))
    assert submit.status_code == (302 if role in {"finance_clerk", "admin"} else 403)


def test_detail_shows_e1_total_with_fee_and_vat(client, draft):
    proposal, clerk = draft
    client.force_login(clerk)
    html = client.get(reverse("invoicing:proposal_detail", args=[proposal.pk])).content.decode()
    assert "22,000.00" in html  # 20,000.00 hours + 2,000.00 fee (E1)
    assert "5,500.00" in html  # VAT 25 % preview
    assert "10 % of 20,000.00" in html
    assert "Submit for approval" in html


def test_full_workflow_through_the_pages(client, draft):
    proposal, clerk = draft
    approver = UserFactory(username="lars", role="approver")
    client.force_login(clerk)
    client.post(reverse("invoicing:proposal_action", args=[proposal.pk, "submit"]))
    client.force_login(approver)
    html = client.get(reverse("invoicing:proposal_detail", args=[proposal.pk])).content.decode()
    assert "Approve" in html and "Reject to draft" in html
    response = client.post(
        reverse("invoicing:proposal_action", args=[proposal.pk, "reject"]), {"reason": ""}
    )
    assert "Give the reason" in client.get(response["Location"]).content.decode()
    client.post(reverse("invoicing:proposal_action", args=[proposal.pk, "approve"]))
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED


def test_approver_sees_no_approve_button_on_own_submission(client, draft):
    proposal, _clerk = draft
    approver_clerk = UserFactory(username="both", role="approver")
    approver_clerk.groups.add(*UserFactory(role="finance_clerk").groups.all())
    client.force_login(approver_clerk)
    client.post(reverse("invoicing:proposal_action", args=[proposal.pk, "submit"]))
    html = client.get(reverse("invoicing:proposal_detail", args=[proposal.pk])).content.decode()
    assert "another approver must approve it" in html
    response = client.post(
        reverse("invoicing:proposal_action", args=[proposal.pk, "approve"]), follow=True
    )
    assert "someone else must approve" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED


def test_clerk_removes_a_line_and_adds_a_fee(client, draft):
    proposal, clerk = draft
    client.force_login(clerk)
    line = proposal.lines.get(line_type="fee")
    url = reverse("invoicing:proposal_lines", args=[proposal.pk])
    # The rule's fee follows its hours (issue 12, item 1): it is not removed by hand.
    refused = client.post(url, {"operation": "remove", "line": line.pk}, follow=True)
    assert "This fee is made by its billing rule" in refused.content.decode()
    client.post(url, {"operation": "fee", "description": "Travel time", "amount": "450"})
    assert sorted(proposal.lines.values_list("amount", flat=True)) == [
        Decimal("450.00"),
        Decimal("2000.00"),
        Decimal("20000.00"),
    ]
    response = client.post(
        url,
        {
            "operation": "price",
            "line": proposal.lines.get(line_type="transaction").pk,
            "sales_price": "abc",
        },
        follow=True,
    )
    assert (
        "Enter the new sales price as a number, for example 1,234.50" in response.content.decode()
    )


def test_unknown_action_is_not_found(client, draft):
    proposal, clerk = draft
    client.force_login(clerk)
    assert (
        client.post(reverse("invoicing:proposal_action", args=[proposal.pk, "explode"])).status_code
        == 404
    )


def test_generate_from_the_billable_page(client, draft):
    proposal, clerk = draft
    client.force_login(clerk)
    workflow.proposal_cancel(proposal=proposal, actor=clerk)
    response = client.post(
        reverse("invoicing:proposals_generate", args=[proposal.contract_id]),
        {"up_to_date": "2026-03-31"},
    )
    assert response.status_code == 302
    assert InvoiceProposal.objects.filter(status="draft").count() == 1


def test_billing_run_for_all_contracts(client, draft, django_capture_on_commit_callbacks):
    proposal, clerk = draft
    workflow.proposal_cancel(proposal=proposal, actor=clerk)
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("invoicing:billing_run_start"), {"up_to_date": "2026-03-31"})
    run = BillingRun.objects.get()
    assert response["Location"] == reverse("invoicing:billing_run", args=[run.pk])
    assert (run.status, run.total_contracts, run.processed_contracts, run.proposals_created) == (
        "done",
        1,
        1,
        1,
    )
    assert "1 proposals created" in client.get(response["Location"]).content.decode()


def test_proposal_list_runs_a_bounded_number_of_queries(
    client, draft, django_assert_max_num_queries
):
    proposal, clerk = draft
    client.force_login(clerk)
    url = reverse("invoicing:proposal_list")
    with django_assert_max_num_queries(20) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert reverse("invoicing:proposal_detail", args=[proposal.pk]) in response.content.decode()
    assert proposal.contract.code in response.content.decode()
    created = []
    for number in range(5):
        contract, project, _source = contract_with_customer(code=f"LIST-{number}")
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        hours(project, WorkerFactory(sales_rate=Decimal("100")), "1")
        created += generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "LIST-0" in html and "LIST-4" in html
    for shown in (proposal, *created):
        assert reverse("invoicing:proposal_detail", args=[shown.pk]) in html


def test_proposal_detail_runs_a_bounded_number_of_queries(
    client, draft, django_assert_max_num_queries
):
    proposal, clerk = draft
    client.force_login(clerk)
    url = reverse("invoicing:proposal_detail", args=[proposal.pk])
    with django_assert_max_num_queries(30) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert "22,000.00" in response.content.decode()  # E1: 20,000.00 hours + 2,000.00 fee
    project = proposal.contract.projects.get()
    for day in range(1, 11):
        hours(
            project, WorkerFactory(sales_rate=Decimal("100")), "1", date=datetime.date(2026, 3, day)
        )
    workflow.proposal_cancel(proposal=proposal, actor=clerk)
    [bigger] = generation.proposals_generate(
        contract=proposal.contract, up_to_date=DAY, actor=clerk
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("invoicing:proposal_detail", args=[bigger.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "23,100.00" in html  # 21,000.00 of hours + 2,100.00 fee
    assert "10 % of 21,000.00" in html


def test_pick_lines_by_hand(client, draft):
    proposal, clerk = draft
    workflow.proposal_cancel(proposal=proposal, actor=clerk)
    client.force_login(clerk)
    page = client.get(reverse("invoicing:billable_contract", args=[proposal.contract_id]))
    shares = page.context["shares"]
    assert len(shares) == 1
    response = client.post(
        reverse("invoicing:proposals_manual", args=[proposal.contract_id]),
        {"share": [shares[0].pk]},
    )
    assert response.status_code == 302
    manual = InvoiceProposal.objects.get(status="draft")
    assert manual.lines.get(line_type="transaction").amount == Decimal("20000.00")
    # The contract's fee rule charges its fee on hand-picked hours too (issue 12, item 1).
    assert manual.lines.get(line_type="fee").amount == Decimal("2000.00")
    # The same line cannot be picked twice.
    again = client.post(
        reverse("invoicing:proposals_manual", args=[proposal.contract_id]),
        {"share": [shares[0].pk]},
        follow=True,
    )
    assert "already in an open proposal" in again.content.decode()


def test_nothing_picked_is_explained(client, draft):
    proposal, clerk = draft
    client.force_login(clerk)
    response = client.post(
        reverse("invoicing:proposals_manual", args=[proposal.contract_id]), {}, follow=True
    )
    assert "Pick at least one line" in response.content.decode()


def test_line_changes_are_explained_in_the_history(client, draft):
    proposal, clerk = draft
    client.force_login(clerk)
    client.post(
        reverse("invoicing:proposal_lines", args=[proposal.pk]),
        {"operation": "fee", "description": "Travel time", "amount": "450"},
    )
    html = client.get(reverse("invoicing:proposal_detail", args=[proposal.pk])).content.decode()
    assert "Fee added: Travel time" in html
