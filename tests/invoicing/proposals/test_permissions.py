"""Every service that creates, submits or cancels a proposal checks the acting user's role
(DOMAIN.md section 1: project managers, approvers and read-only users create no proposals)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from invoicing.invoices import credits, posting
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import InvoiceProposal, ProposalStatus
from invoicing.transactions.models import TransactionAllocation
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, generated_e1, hours
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
NOT_CREATORS = ["project_manager", "approver", "read_only"]


def billable_contract():
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "10")
    return contract


@pytest.mark.parametrize("role", NOT_CREATORS)
def test_generating_needs_the_right_to_create_proposals(role):
    contract = billable_contract()
    with pytest.raises(PermissionDenied, match="cannot create invoice proposals"):
        generation.proposals_generate(
            contract=contract, up_to_date=DAY, actor=UserFactory(role=role)
        )
    assert not InvoiceProposal.objects.exists()


@pytest.mark.parametrize("role", NOT_CREATORS)
def test_picking_lines_by_hand_needs_the_right_to_create_proposals(role):
    contract = billable_contract()
    with pytest.raises(PermissionDenied):
        generation.proposal_create_manual(
            contract=contract,
            allocation_ids=list(TransactionAllocation.objects.values_list("pk", flat=True)),
            up_to_date=DAY,
            actor=UserFactory(role=role),
        )
    assert not InvoiceProposal.objects.exists()


@pytest.mark.parametrize("role", NOT_CREATORS)
def test_crediting_needs_the_right_to_create_proposals(people, role):
    invoice = posting.invoice_post(
        proposal=approved_e1(people), actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )
    with pytest.raises(PermissionDenied):
        credits.credit_proposal_create(
            invoice=invoice,
            amounts={},
            reason="Wrong rate",
            rebill=False,
            actor=UserFactory(role=role),
        )
    assert InvoiceProposal.objects.filter(credited_invoice=invoice).count() == 0


@pytest.mark.parametrize("role", NOT_CREATORS)
def test_submitting_and_cancelling_need_the_right_to_change_proposals(people, role):
    proposal, _record = generated_e1(people)
    user = UserFactory(role=role)
    with pytest.raises(PermissionDenied, match="cannot submit or cancel"):
        workflow.proposal_submit(proposal=proposal, actor=user)
    with pytest.raises(PermissionDenied, match="cannot submit or cancel"):
        workflow.proposal_cancel(proposal=proposal, actor=user)
    assert InvoiceProposal.objects.get().status == ProposalStatus.DRAFT


def test_finance_creates_and_submits(people):
    proposal, _record = generated_e1(people)
    assert proposal.created_by == people["clerk"]
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    assert InvoiceProposal.objects.get().submitted_by == people["clerk"]
