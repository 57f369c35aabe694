"""Two people acting on one proposal at the same moment: exactly one wins (PostgreSQL row locks).

Transactional tests with real threads, each on its own database connection (django-oscar style).
"""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from invoicing import proposals
from invoicing.models import InvoiceProposal, ProposalStatus
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.test_proposals import DAY, contract_with_customer, hours

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]


def run_together(*actions):
    """Start every action at the same moment in its own thread; return what each raised."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def worker(index, action):
        try:
            barrier.wait()
            action()
            outcomes[index] = "ok"
        except (ValidationError, PermissionDenied) as refused:
            outcomes[index] = refused
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(n, action)) for n, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def submitted():
    clerk = UserFactory(username="karin", role="finance_clerk")
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "10")
    [proposal] = proposals.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
    proposals.proposal_submit(proposal=proposal, actor=clerk)
    return proposal, clerk


def test_two_approvers_at_once_approve_exactly_once(submitted):
    proposal, _clerk = submitted
    first = UserFactory(username="lars", role="approver")
    second = UserFactory(username="eva", role="approver")
    outcomes = run_together(
        lambda: proposals.proposal_approve(proposal=proposal, actor=first),
        lambda: proposals.proposal_approve(proposal=proposal, actor=second),
    )
    assert sorted(str(o) == "ok" for o in outcomes) == [False, True]
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.approved_by in (first, second)


def test_approve_and_reject_at_once_cannot_both_win(submitted):
    proposal, _clerk = submitted
    approver = UserFactory(username="lars", role="approver")
    other = UserFactory(username="eva", role="approver")
    outcomes = run_together(
        lambda: proposals.proposal_approve(proposal=proposal, actor=approver),
        lambda: proposals.proposal_reject(proposal=proposal, actor=other, reason="Wrong period"),
    )
    assert [o == "ok" for o in outcomes].count(True) == 1
    proposal.refresh_from_db()
    assert proposal.status in (ProposalStatus.APPROVED, ProposalStatus.DRAFT)
    assert (proposal.status == ProposalStatus.APPROVED) == (outcomes[0] == "ok")


def test_editing_while_someone_approves_cannot_both_win(submitted):
    proposal, clerk = submitted
    approver = UserFactory(username="lars", role="approver")
    # Reject first so that the clerk may edit; then resubmit and race an edit against approval.
    proposals.proposal_reject(proposal=proposal, actor=approver, reason="Add the fee")
    proposals.proposal_submit(proposal=proposal, actor=clerk)
    line = proposal.lines.get()
    outcomes = run_together(
        lambda: proposals.proposal_approve(proposal=proposal, actor=approver),
        lambda: proposals.proposal_line_remove(proposal=proposal, line=line, actor=clerk),
    )
    proposal.refresh_from_db()
    # The clerk's edit is refused (the proposal is not a draft), whoever came first.
    assert outcomes[1] != "ok"
    assert proposal.status == ProposalStatus.APPROVED and proposal.lines.count() == 1
    assert InvoiceProposal.objects.count() == 1
