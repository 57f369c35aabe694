"""Two people acting on one proposal at the same moment: exactly one wins (PostgreSQL row locks).

Transactional tests with real threads, each on its own database connection (django-oscar style).
The order is forced, not hoped for: the first action stops inside its transaction, after it has
read (and, with the lock, locked) the proposal; the second action starts and runs until it
either waits for that row lock or finishes; only then does the first action go on. With the row
lock of ``state.proposal_locked`` the second action always sees the first one's result; without it
the second reads the proposal before the first has written it, and the assertions fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from invoicing.proposals import drafts, generation, workflow
from invoicing.proposals.models import InvoiceProposal, ProposalStatus
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]

WAIT_SECONDS = 30  # only reached when something is broken; the tests never sleep on purpose
HOLDER = "holder"


def pause_in(monkeypatch, owner, name: str, paused: threading.Event, release: threading.Event):
    """Make ``owner.name`` stop the holder's thread the first time it is called there: it sets
    ``paused`` and waits for ``release``. Other threads, and later calls, go straight through."""
    original = getattr(owner, name)

    def pausing(*args, **kwargs):
        if threading.current_thread().name == HOLDER and not paused.is_set():
            paused.set()
            if not release.wait(WAIT_SECONDS):
                raise AssertionError("the holder was never released")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, pausing)


def waits_for_a_lock(backend_pid: int) -> bool:
    """True while the PostgreSQL backend ``backend_pid`` is blocked by another one's lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [backend_pid])
        return cursor.fetchone()[0]


def hold_while_the_other_tries(
    holder: Callable[[], object],
    contender: Callable[[], object],
    *,
    paused: threading.Event,
    release: threading.Event,
) -> tuple[object, object]:
    """Run ``holder`` until it pauses (see ``pause_in``), then ``contender`` until it waits for a
    lock or finishes, then let ``holder`` go on. Return what each did: "ok" or what it raised."""
    outcomes: dict[str, object] = {}
    contender_pid: list[int] = []
    contender_started = threading.Event()
    contender_done = threading.Event()

    def run(name: str, action, started=None, done=None):
        try:
            if started is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    contender_pid.append(cursor.fetchone()[0])
                started.set()
            action()
            outcomes[name] = "ok"
        except (ValidationError, PermissionDenied) as refused:
            outcomes[name] = refused
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            outcomes[name] = error
        finally:
            connections.close_all()
            if done is not None:
                done.set()

    holding = threading.Thread(target=run, args=(HOLDER, holder), name=HOLDER)
    holding.start()
    assert paused.wait(WAIT_SECONDS), f"the holder never reached its pause: {outcomes}"
    trying = threading.Thread(
        target=run, args=("contender", contender, contender_started, contender_done)
    )
    trying.start()
    assert contender_started.wait(WAIT_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while not contender_done.is_set() and not waits_for_a_lock(contender_pid[0]):
        assert time.monotonic() < deadline, "the contender neither finished nor waited"
        contender_done.wait(0.005)
    release.set()
    for thread in (holding, trying):
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive(), "a thread is still running"
    return outcomes[HOLDER], outcomes["contender"]


class Gate:
    """Forces the order of two actions: ``gate.pause_in(owner, name)`` places the holder's
    pause, ``gate.run(holder, contender)`` runs them (see ``hold_while_the_other_tries``)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.paused = threading.Event()
        self.release = threading.Event()

    def pause_in(self, owner, name: str) -> None:
        pause_in(self.monkeypatch, owner, name, self.paused, self.release)

    def run(self, holder, contender) -> tuple[object, object]:
        return hold_while_the_other_tries(
            holder, contender, paused=self.paused, release=self.release
        )


@pytest.fixture
def gate(monkeypatch):
    return Gate(monkeypatch)


def draft_proposal():
    """A draft of 10 hours at 100.00 (one line) made by the clerk."""
    clerk = UserFactory(username="karin", role="finance_clerk")
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "10")
    [proposal] = generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
    return proposal, clerk


@pytest.fixture
def submitted():
    proposal, clerk = draft_proposal()
    workflow.proposal_submit(proposal=proposal, actor=clerk)
    return proposal, clerk


def test_two_approvers_at_once_approve_exactly_once(submitted, gate):
    # Given a submitted proposal, and a first approver who has read and locked it
    proposal, _clerk = submitted
    first = UserFactory(username="lars", role="approver")
    second = UserFactory(username="eva", role="approver")
    gate.pause_in(workflow, "has_transition_perm")

    # When a second approver approves it before the first one has finished
    first_outcome, second_outcome = gate.run(
        lambda: workflow.proposal_approve(proposal=proposal, actor=first),
        lambda: workflow.proposal_approve(proposal=proposal, actor=second),
    )

    # Then the first approval stands and the second is refused: it is approved already
    assert first_outcome == "ok"
    assert isinstance(second_outcome, ValidationError), second_outcome
    assert "approved" in str(second_outcome)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.approved_by) == (ProposalStatus.APPROVED, first)


@pytest.mark.parametrize("first_action", ["approve", "reject"])
def test_approve_and_reject_at_once_cannot_both_win(submitted, gate, first_action):
    # Given a submitted proposal, and an approver and another approver about to decide on it
    proposal, _clerk = submitted
    approver = UserFactory(username="lars", role="approver")
    other = UserFactory(username="eva", role="approver")
    actions = {
        "approve": lambda: workflow.proposal_approve(proposal=proposal, actor=approver),
        "reject": lambda: workflow.proposal_reject(
            proposal=proposal, actor=other, reason="Wrong period"
        ),
    }
    second_action = "reject" if first_action == "approve" else "approve"
    gate.pause_in(workflow, "has_transition_perm")

    # When one holds the proposal while the other decides too
    first_outcome, second_outcome = gate.run(actions[first_action], actions[second_action])

    # Then only the first decision counts; the second finds the proposal no longer submitted
    assert first_outcome == "ok"
    assert isinstance(second_outcome, ValidationError), second_outcome
    proposal.refresh_from_db()
    if first_action == "approve":
        assert (proposal.status, proposal.approved_by) == (ProposalStatus.APPROVED, approver)
    else:
        assert (proposal.status, proposal.approved_by) == (ProposalStatus.DRAFT, None)
        assert proposal.rejection_reason == "Wrong period"


def test_an_edit_in_progress_is_in_what_is_then_submitted_and_approved(gate):
    # Given a draft, and the clerk adding a fee to it (she has read and locked it)
    proposal, clerk = draft_proposal()
    approver = UserFactory(username="lars", role="approver")
    gate.pause_in(drafts, "draft_required")

    def submit_and_approve():
        workflow.proposal_submit(proposal=proposal, actor=clerk)
        workflow.proposal_approve(proposal=proposal, actor=approver)

    # When the proposal is submitted and approved while her edit is under way
    edit_outcome, approval_outcome = gate.run(
        lambda: drafts.proposal_fee_add(
            proposal=proposal, description="Travel fee", amount=Decimal("500"), actor=clerk
        ),
        submit_and_approve,
    )

    # Then her edit went first, and what was approved is exactly what was submitted: with the fee
    assert (edit_outcome, approval_outcome) == ("ok", "ok")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.approved_by == approver
    assert proposal.unchanged_since_submission()
    assert sorted(proposal.lines.values_list("amount", flat=True)) == [
        Decimal("500.00"),
        Decimal("1000.00"),
    ]


def test_an_edit_while_the_proposal_is_being_submitted_is_refused(gate):
    # Given a draft that the clerk is submitting (the submission has read and locked it)
    proposal, clerk = draft_proposal()
    approver = UserFactory(username="lars", role="approver")
    gate.pause_in(InvoiceProposal, "has_lines")

    # When she (in another tab) removes its line before the submission has finished
    line = proposal.lines.get()
    submit_outcome, edit_outcome = gate.run(
        lambda: workflow.proposal_submit(proposal=proposal, actor=clerk),
        lambda: drafts.proposal_line_remove(proposal=proposal, line=line, actor=clerk),
    )

    # Then the edit is refused (the proposal is not a draft any more) and nothing changed,
    # so the approver approves exactly the submitted line
    assert submit_outcome == "ok"
    assert isinstance(edit_outcome, ValidationError), edit_outcome
    assert "Only a draft proposal can be changed" in str(edit_outcome)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED
    assert proposal.unchanged_since_submission()
    assert list(proposal.lines.values_list("amount", flat=True)) == [Decimal("1000.00")]
    workflow.proposal_approve(proposal=proposal, actor=approver)
    assert InvoiceProposal.objects.count() == 1
