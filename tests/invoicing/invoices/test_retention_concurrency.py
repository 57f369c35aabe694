"""A retention release and a credit note giving retention back, for the same funder at the same
moment, on PostgreSQL: the funder's row lock serializes them, so what is outstanding never goes
below zero (see ``tests/invoicing/proposals/test_concurrency.py`` for how the order is forced)."""

from decimal import Decimal

import pytest
from django.db import connection

from invoicing.invoices import credits, retention
from tests.invoicing.invoices.test_retention import credit_the_fee, given_back_lines, withheld
from tests.invoicing.proposals.test_concurrency import Gate

__all__ = ["withheld"]  # the fixture, shared with the single-threaded retention tests

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]


def test_a_credit_note_waits_for_a_release_of_the_same_funders_retention(withheld, monkeypatch):
    # Given E1 posted (2,200.00 withheld) and a clerk releasing it on a later draft, who has
    # locked the funder and read the ledger
    invoice, later, clerk = withheld
    gate = Gate(monkeypatch)
    gate.pause_in(retention, "retention_release_line")

    # When a credit proposal for the fee (10 % of 2,000.00 retained on it) comes at that moment
    made = []
    release, credit = gate.run(
        lambda: retention.proposal_retention_release_add(proposal=later, actor=clerk),
        lambda: made.append(credit_the_fee(invoice, clerk)),
    )

    # Then the release takes all 2,200.00 and the credit, which waited, gives nothing back
    assert (release, credit) == ("ok", "ok")
    assert later.lines.get().amount == Decimal("2200.00")
    assert not given_back_lines(made[0]).exists()
    ledger = retention.retention_ledger(
        contract=invoice.contract, funding_source_id=invoice.funding_source_id
    )
    assert ledger.outstanding == 0


def test_a_release_waits_for_a_credit_note_giving_the_same_funders_retention_back(
    withheld, monkeypatch
):
    # Given E1 posted (2,200.00 withheld) and a clerk crediting its fee, who has locked the
    # funder and read the ledger to give 10 % of the 2,000.00 back
    invoice, later, clerk = withheld
    gate = Gate(monkeypatch)
    gate.pause_in(credits, "retention_given_back")

    # When a release on a later draft comes at that moment
    made = []
    credit, release = gate.run(
        lambda: made.append(credit_the_fee(invoice, clerk)),
        lambda: retention.proposal_retention_release_add(proposal=later, actor=clerk),
    )

    # Then the credit gives 200.00 back and the release, which waited, releases the 2,000.00 left
    assert (credit, release) == ("ok", "ok")
    assert [line.amount for line in given_back_lines(made[0])] == [Decimal("200.00")]
    assert later.lines.get().amount == Decimal("2000.00")
    ledger = retention.retention_ledger(
        contract=invoice.contract, funding_source_id=invoice.funding_source_id
    )
    assert ledger.outstanding == 0
