"""Per-contract automation: completing a milestone creates (and may submit) its proposal."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from collaboration.models import Notification
from collaboration.texts import notification_text
from contracts import services as contract_services
from contracts.models import Category, MilestoneStatus, ProjectType
from contracts.notification_kinds import MILESTONE_COMPLETED
from contracts.texts import text_of_stored
from invoicing.notification_kinds import (
    AUTOMATION_FAILED,
    PROPOSAL_CREATED,
    THRESHOLD_AUTOMATION_FAILED,
    THRESHOLD_PROPOSAL_CREATED,
)
from invoicing.proposals import workflow
from invoicing.proposals.models import InvoiceProposal, ProposalStatus
from invoicing.proposals.notification_kinds import PROPOSAL_SUBMITTED
from tests.factories import BillingRuleFactory, MilestoneFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import contract_with_customer, hours

pytestmark = pytest.mark.django_db
D = Decimal


def fixed_price(**automation):
    """Worked example M1's contract: 50,000.00 in three milestones, billed by milestone."""
    contract, project, _source = contract_with_customer(
        contract_value=D("50000.00"), project_type=ProjectType.FIXED_PRICE, **automation
    )
    BillingRuleFactory(contract=contract, rule_type="milestone", projects=[project])
    first = MilestoneFactory(
        contract=contract, amount=D("10000.00"), due_date=datetime.date(2026, 3, 31),
        description="Design",
    )  # fmt: skip
    MilestoneFactory(contract=contract, amount=D("20000.00"), due_date=datetime.date(2026, 4, 30))
    return contract, project, first


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_completing_a_milestone_creates_its_draft_proposal(people):
    contract, _project, first = fixed_price(propose_on_milestone_completion=True, code="M1")
    contract_services.milestone_complete(milestone=first, actor=people["manager"])
    [proposal] = InvoiceProposal.objects.filter(contract=contract)
    assert proposal.status == ProposalStatus.DRAFT
    assert sum(line.amount for line in proposal.lines.all()) == D("10000.00")
    assert kinds(people["clerk"]) == [
        MILESTONE_COMPLETED,
        PROPOSAL_CREATED,
    ]
    assert kinds(people["manager"]) == [PROPOSAL_CREATED]
    created = Notification.objects.get(recipient=people["clerk"], kind="proposal_created")
    assert created.url == proposal.get_absolute_url()
    text = notification_text(created.kind, created.params)
    assert text.title == "Proposal created for M1"
    assert text.body == (
        f"Milestone “Design” was completed, so proposal M1 · Customer · #{proposal.pk} of "
        "12,500.00 SEK was created."  # 10,000.00 + 25 % VAT
    )


def test_only_the_milestone_is_billed_not_other_uninvoiced_work(people):
    contract, project, first = fixed_price(propose_on_milestone_completion=True)
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "5")
    contract_services.milestone_complete(milestone=first, actor=people["manager"])
    [proposal] = InvoiceProposal.objects.all()
    assert [line.amount for line in proposal.lines.all()] == [D("10000.00")]


def test_the_proposal_can_go_straight_to_the_approvers(people):
    _contract, _project, first = fixed_price(
        propose_on_milestone_completion=True, submit_automatic_proposals=True
    )
    contract_services.milestone_complete(milestone=first, actor=people["manager"])
    proposal = InvoiceProposal.objects.get()
    # The automation submitted it, not the project manager (who may not submit proposals).
    assert (proposal.status, proposal.submitted_by) == (ProposalStatus.SUBMITTED, None)
    assert text_of_stored(proposal.history.first().history_change_reason) == (
        "The contract's automation (set off by sofie): milestone “Design” completed"
    )
    assert kinds(people["approver"]) == [PROPOSAL_SUBMITTED]
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    assert InvoiceProposal.objects.get().status == ProposalStatus.APPROVED


def test_the_automation_creates_what_the_project_manager_may_not(people):
    """Issue 13: the proposal was recorded as created by a user without add_invoiceproposal."""
    _contract, _project, first = fixed_price(propose_on_milestone_completion=True)
    manager = people["manager"]
    assert not manager.has_perm("invoicing.add_invoiceproposal")
    contract_services.milestone_complete(milestone=first, actor=manager)
    proposal = InvoiceProposal.objects.get()
    assert proposal.created_by is None
    created = proposal.history.earliest()
    assert (created.history_user, text_of_stored(created.history_change_reason)) == (
        None,
        "The contract's automation (set off by sofie): milestone “Design” completed",
    )
    # Each reader of the history reads it in their language (issue 16).
    with translation.override("da"):
        assert text_of_stored(created.history_change_reason) == (
            "Kontraktens automatik (udløst af sofie): milepælen »Design« gennemført"
        )


def progress_rule(**fields):
    """Worked example P1's contract: 100,000.00 billed by manual progress, at thresholds."""
    contract, project, _source = contract_with_customer(
        contract_value=D("100000.00"), project_type=ProjectType.FIXED_PRICE, code="P1"
    )
    return BillingRuleFactory(
        contract=contract,
        rule_type="progress_manual",
        name="Progress",
        propose_at_thresholds=True,
        projects=[project],
        **fields,
    )


def test_progress_past_a_threshold_creates_proposals_as_the_automation_and_tells_finance(
    people, django_capture_on_commit_callbacks
):
    rule = progress_rule()
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.billing_rule_progress_record(
            rule=rule, percent_complete=D("30"), actor=people["manager"]
        )
    proposal = InvoiceProposal.objects.get()
    assert proposal.created_by is None
    reason = proposal.history.earliest().history_change_reason
    assert text_of_stored(reason) == (
        "The contract's automation (set off by sofie): billing rule “Progress” reached 25 %"
    )
    with translation.override("sv"):
        assert text_of_stored(reason) == (
            "Avtalets automatik (utlöst av sofie): faktureringsregeln ”Progress” nådde 25 %"
        )
    assert kinds(people["clerk"]) == [THRESHOLD_PROPOSAL_CREATED]
    assert kinds(people["manager"]) == [THRESHOLD_PROPOSAL_CREATED]
    created = Notification.objects.get(recipient=people["clerk"])
    text = notification_text(created.kind, created.params)
    assert text.body == (
        f"Billing rule “Progress” reached 25 % complete, so proposal P1 · Customer · "
        f"#{proposal.pk} of 37,500.00 SEK was created."  # 30,000.00 + 25 % VAT
    )


def test_a_threshold_proposal_that_cannot_be_made_is_reported_not_raised(
    people, django_capture_on_commit_callbacks
):
    rule = progress_rule()
    Category.objects.filter(kind="on_account").delete()  # no category to bill progress in
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.billing_rule_progress_record(
            rule=rule, percent_complete=D("50"), actor=people["manager"]
        )
    assert not InvoiceProposal.objects.exists()
    rule.refresh_from_db()
    assert rule.percent_complete == D("50")
    assert kinds(people["clerk"]) == [THRESHOLD_AUTOMATION_FAILED]
    failed = Notification.objects.get(recipient=people["clerk"])
    assert failed.params["reason"] == (
        "Create a category of kind 'On-account' before billing milestones or progress."
    )


def test_without_the_automation_nothing_is_proposed(people):
    _contract, _project, first = fixed_price()
    contract_services.milestone_complete(milestone=first, actor=people["manager"])
    assert not InvoiceProposal.objects.exists()
    assert kinds(people["clerk"]) == [MILESTONE_COMPLETED]


def test_when_no_proposal_can_be_made_the_milestone_is_still_completed_and_finance_told(people):
    contract, _project, _source = contract_with_customer(propose_on_milestone_completion=True)
    milestone = MilestoneFactory(contract=contract, amount=D("500.00"))  # no milestone rule
    contract_services.milestone_complete(milestone=milestone, actor=people["manager"])
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.COMPLETED
    assert not InvoiceProposal.objects.exists()
    failed = Notification.objects.get(recipient=people["clerk"], kind="automation_failed")
    assert failed.params["reason"] == "The contract has no active milestone billing rule."
    assert kinds(people["manager"]) == [AUTOMATION_FAILED]


def test_submitting_automatically_needs_creating_automatically():
    contract, _project, _source = contract_with_customer()
    contract.submit_automatic_proposals = True
    with pytest.raises(ValidationError, match="only be submitted automatically when"):
        contract.full_clean()


def test_the_contract_form_offers_the_automations(client):
    contract, _project, _source = contract_with_customer()
    client.force_login(UserFactory(role="finance_clerk"))
    form = client.get(f"/contracts/{contract.pk}/edit/").content.decode()
    assert "Create the proposal when a milestone is completed" in form
    page = client.get(contract.get_absolute_url()).content.decode()
    assert 'id="automations"' in page
