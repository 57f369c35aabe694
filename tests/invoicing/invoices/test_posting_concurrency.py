"""Posting under load on PostgreSQL: gapless, unique numbers whatever happens at the same moment."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from invoicing.invoices import posting
from invoicing.invoices.models import Invoice
from invoicing.proposals.models import InvoiceProposal, ProposalLine
from tests.factories import FundingSourceFactory, ProjectContractFactory, UserFactory
from tests.invoicing.proposals.test_concurrency import Gate

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="posting concurrency is tested on PostgreSQL"
    ),
]


def approved_proposals(count: int):
    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", role="approver")
    contract = ProjectContractFactory()
    source = FundingSourceFactory(contract=contract, customer=contract.customer)
    made = InvoiceProposal.objects.bulk_create(
        [
            InvoiceProposal(
                contract=contract,
                funding_source=source,
                up_to_date="2026-03-31",
                created_by=clerk,
                status="approved",
                submitted_by=clerk,
                approved_by=approver,
            )  # fmt: skip
            for _ in range(count)
        ]
    )
    ProposalLine.objects.bulk_create(
        [
            ProposalLine(
                proposal=proposal,
                line_type="fee",
                kind="fee",
                description="Fee",
                amount=Decimal("100.00"),
            )
            for proposal in made
        ]
    )
    return made, clerk


def in_threads(workers: int, work):
    errors = []

    def run(index):
        try:
            work(index)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.slow
def test_eight_threads_posting_200_proposals_number_them_1_to_200():
    """Load, not a forced order: 8 threads keep posting at once, so without the row lock that
    django-sequences takes on the number series two of them read the same last number, and
    the unique constraint on the number refuses one of them (an error below)."""
    made, clerk = approved_proposals(200)
    queue = list(made)
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(_index):
        start.wait()
        while True:
            with lock:
                if not queue:
                    return
                proposal = queue.pop()
            posting.invoice_post(proposal=proposal, actor=clerk)

    errors = in_threads(8, work)
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("sequence_number", flat=True))
    assert numbers == list(range(1, 201))
    assert Invoice.objects.values("proposal").distinct().count() == 200


def test_two_threads_posting_the_same_proposal_make_one_invoice(monkeypatch):
    # Given an approved proposal that a first clerk is posting (she has read and locked it)
    [proposal], clerk = approved_proposals(1)
    gate = Gate(monkeypatch)
    gate.pause_in(posting, "_invoice_create")

    # When a second post of the same proposal comes before the first one has finished
    first, second = gate.run(
        lambda: posting.invoice_post(proposal=proposal, actor=clerk),
        lambda: posting.invoice_post(proposal=proposal, actor=clerk),
    )

    # Then the first makes invoice 1 and the second is refused: the proposal is posted already
    assert first == "ok", first
    assert isinstance(second, ValidationError), second
    assert "posted" in str(second).lower()
    invoice = Invoice.objects.get()
    assert (invoice.proposal_id, invoice.sequence_number) == (proposal.pk, 1)
    proposal.refresh_from_db()
    assert proposal.status == "posted"
