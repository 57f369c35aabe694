"""The approval workflow: submit, approve by someone else, reject with a reason, cancel."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from contracts.roles import ROLE_GROUP_NAMES
from invoicing.proposals import drafts, generation, workflow
from invoicing.proposals.models import InvoiceProposal, ProposalLine, ProposalStatus
from invoicing.transactions.models import BillingStatus
from tests.invoicing.builders import DAY, D, generated_e1, total

pytestmark = pytest.mark.django_db


def test_submit_approve_by_someone_else(people):
    proposal, record = generated_e1(people)
    record.refresh_from_db()
    assert record.billing_status == BillingStatus.IN_PROPOSAL
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    approved = workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    assert approved.status == ProposalStatus.APPROVED
    assert approved.approved_by == people["approver"]


def test_nobody_approves_their_own_submission(people):
    """A finance manager who is both clerk and approver still needs a second pair of eyes."""
    both = people["approver"]
    both.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES["finance_clerk"]))
    both = type(both).objects.get(pk=both.pk)  # permissions are cached per instance
    proposal, _record = generated_e1(people)
    workflow.proposal_submit(proposal=proposal, actor=both)
    with pytest.raises(PermissionDenied, match="someone else must approve"):
        workflow.proposal_approve(proposal=proposal, actor=both)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED


def test_database_refuses_approver_equal_to_submitter(people):
    proposal, _record = generated_e1(people)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceProposal.objects.filter(pk=proposal.pk).update(
            submitted_by=people["clerk"], approved_by=people["clerk"], status="approved"
        )


def test_only_approvers_approve(people):
    proposal, _record = generated_e1(people)
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    with pytest.raises(PermissionDenied, match="Only approvers"):
        workflow.proposal_approve(proposal=proposal, actor=people["manager"])


def test_rejection_needs_a_reason_and_returns_to_draft(people):
    proposal, _record = generated_e1(people)
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    with pytest.raises(ValidationError, match="reason"):
        workflow.proposal_reject(proposal=proposal, actor=people["approver"], reason="  ")
    rejected = workflow.proposal_reject(
        proposal=proposal, actor=people["approver"], reason="Wrong rate for March"
    )
    assert (rejected.status, rejected.rejection_reason) == (
        ProposalStatus.DRAFT,
        "Wrong rate for March",
    )


def test_approving_a_proposal_changed_after_submission_is_refused(people):
    proposal, _record = generated_e1(people)
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    InvoiceProposal.objects.filter(pk=proposal.pk).update(revision=proposal.revision + 1)
    with pytest.raises(ValidationError, match="changed after the proposal was submitted"):
        workflow.proposal_approve(proposal=proposal, actor=people["approver"])


def test_a_submitted_proposal_cannot_be_edited(people):
    proposal, _record = generated_e1(people)
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    line = proposal.lines.first()
    with pytest.raises(ValidationError, match="Only a draft proposal"):
        drafts.proposal_line_remove(proposal=proposal, line=line, actor=people["clerk"])
    with pytest.raises(ValidationError, match="Only a draft proposal"):
        drafts.proposal_fee_add(
            proposal=proposal, description="Fee", amount=D("10"), actor=people["clerk"]
        )
    assert proposal.lines.count() == 1


def test_cancel_frees_every_line(people):
    proposal, record = generated_e1(people)
    workflow.proposal_cancel(proposal=proposal, actor=people["clerk"])
    record.refresh_from_db()
    assert record.billing_status == BillingStatus.UNINVOICED
    assert not ProposalLine.objects.filter(is_open=True).exists()
    # The freed line can be billed again.
    [again] = generation.proposals_generate(
        contract=proposal.contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(again) == D("1000.00")


def test_empty_proposal_cannot_be_submitted(people):
    proposal, _record = generated_e1(people)
    proposal.lines.all().delete()
    with pytest.raises(ValidationError, match="at least one line"):
        workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
