"""Editing a draft: removing a line, changing a price, one open proposal per line, locked
transactions."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from invoicing.invoices import posting
from invoicing.proposals import drafts, generation, workflow
from invoicing.proposals.models import InvoiceProposal, ProposalLine
from invoicing.transactions import services
from invoicing.transactions.models import BillingStatus, ProjectTransaction
from tests.factories import BillingRuleFactory
from tests.invoicing.builders import DAY, D, generated_e1

pytestmark = pytest.mark.django_db


def test_removed_line_returns_to_uninvoiced(people):
    proposal, record = generated_e1(people)
    line = proposal.lines.get()
    drafts.proposal_line_remove(proposal=proposal, line=line, actor=people["clerk"])
    record.refresh_from_db()
    assert record.billing_status == BillingStatus.UNINVOICED
    proposal.refresh_from_db()
    assert proposal.revision == 1


def test_price_change_reallocates_funding(people):
    proposal, record = generated_e1(people)
    line = proposal.lines.get()
    new_line = drafts.proposal_line_price_change(
        proposal=proposal, line=line, sales_price=D("120"), actor=people["clerk"]
    )
    assert new_line.amount == D("1200.00")
    record.refresh_from_db()
    assert (record.sales_amount, record.billing_status) == (D("1200.00"), BillingStatus.IN_PROPOSAL)
    assert sum(a.amount for a in record.allocations.all()) == D("1200.00")


def test_a_line_is_in_at_most_one_open_proposal(people):
    proposal, _record = generated_e1(people)
    line = proposal.lines.get()
    other = InvoiceProposal.objects.create(
        contract=proposal.contract,
        funding_source=proposal.funding_source,
        up_to_date=DAY,
        created_by=people["clerk"],
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalLine.objects.create(
            proposal=other, line_type="transaction", allocation=line.allocation, transaction=line.transaction,
            description="again", amount=line.amount,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="already in an open proposal"):
        generation.proposal_create_manual(
            contract=proposal.contract,
            allocation_ids=[line.allocation_id],
            up_to_date=DAY,
            actor=people["clerk"],
        )


def test_transaction_in_a_proposal_cannot_be_edited(people):

    _proposal, record = generated_e1(people)
    record.refresh_from_db()
    record.quantity = D("1")
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.transaction_update(record=record, actor=None)


def test_a_price_can_change_after_an_earlier_proposal_of_the_line_was_cancelled(people):
    """A cancelled proposal keeps its lines; when the transaction is later repriced and funded
    again, those closed lines lose their allocation instead of the database refusing the change
    (found by the cycle state machine: an IntegrityError on
    ``proposalline_transaction_line_has_allocation``)."""
    proposal, record = generated_e1(people)
    workflow.proposal_cancel(proposal=proposal, actor=people["clerk"])
    [again] = generation.proposals_generate(
        contract=proposal.contract, up_to_date=DAY, actor=people["clerk"]
    )
    new_line = drafts.proposal_line_price_change(
        proposal=again, line=again.lines.get(), sales_price=D("120"), actor=people["clerk"]
    )
    assert new_line.amount == D("1200.00")
    closed = proposal.lines.get()
    assert (closed.allocation_id, closed.transaction_id, closed.amount) == (
        None,
        record.pk,
        D("1000.00"),
    )


def test_an_uninvoiced_transaction_can_be_edited_after_its_proposal_was_cancelled(people):
    proposal, record = generated_e1(people)
    workflow.proposal_cancel(proposal=proposal, actor=people["clerk"])
    record.refresh_from_db()
    record.quantity = D("12")
    services.transaction_update(record=record, actor=people["clerk"])
    assert sum(a.amount for a in record.allocations.all()) == D("1200.00")


def test_no_price_change_once_another_funder_is_invoiced_for_the_transaction(billing_setup, people):
    """The grant's share of a transaction is posted; the customer's share is still on a draft.
    Changing the price on that draft would fund the transaction again at the new price while
    the grant's invoice keeps the old one (found by the cycle state machine: the grant was
    invoiced 500.00 of a share now recorded as 339.85). It is refused, and nothing moves."""
    record = ProjectTransaction(
        kind="hour", date=DAY, project=billing_setup["project"],
        category=billing_setup["category"], worker=billing_setup["worker"], quantity=D("2"),
        cost_price=None, sales_price=None, currency="",
    )  # fmt: skip
    services.transaction_record(record=record, actor=None)
    BillingRuleFactory(
        contract=billing_setup["contract"], rule_type="time_material",
        projects=[billing_setup["project"]],
    )  # fmt: skip
    proposals = generation.proposals_generate(
        contract=billing_setup["contract"], up_to_date=DAY, actor=people["clerk"]
    )
    by_source = {proposal.funding_source_id: proposal for proposal in proposals}
    grant_proposal = by_source[billing_setup["grant"].pk]
    workflow.proposal_submit(proposal=grant_proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=grant_proposal, actor=people["approver"])
    posting.invoice_post(proposal=grant_proposal, actor=people["clerk"])
    customer_proposal = by_source[billing_setup["customer"].pk]
    shares_before = sorted(record.allocations.values_list("source_id", "amount"))

    with pytest.raises(ValidationError):
        drafts.proposal_line_price_change(
            proposal=customer_proposal, line=customer_proposal.lines.get(),
            sales_price=D("10"), actor=people["clerk"],
        )  # fmt: skip

    record.refresh_from_db()
    # the grant's share invoiced, the customer's on its draft: partly invoiced, as it was
    assert (record.sales_price, record.billing_status) == (
        D("1000"),
        BillingStatus.PARTLY_INVOICED,
    )
    assert sorted(record.allocations.values_list("source_id", "amount")) == shares_before
