"""A billing run's foreign-key checks are planned for the tables as they are, not as they were when
the connection first ran them (issue 17: each proposal line's check read every proposal with a
plan cached while the table was empty, so 3,000 contracts took 4.7 times 1,000)."""

from __future__ import annotations

import pytest
from django.db import connection

from invoicing.proposals import billable, runs, shares
from invoicing.proposals.models import BillingRun, InvoiceProposal, ProposalLine
from invoicing.proposals.statistics import narrow_plans, query_plans_renew
from invoicing.transactions import bulk
from tests.factories import UserFactory
from tests.invoicing.builders import DAY, billable_contracts, contract_with_customer

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def postgres_only(test):
    return pytest.mark.postgres(
        pytest.mark.skipif(not ON_POSTGRES, reason="query plans are PostgreSQL's")(test)
    )


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone() if cursor.description else None


def seq_scans(model=InvoiceProposal) -> int:
    """Sequential scans of a model's table in this transaction so far."""
    sql("SELECT pg_stat_clear_snapshot()")
    (count,) = sql(
        "SELECT coalesce(seq_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = %s",
        [model._meta.db_table],
    )
    return count


def fee_lines(proposal_ids) -> None:
    """One fee line per proposal, by COPY as a billing run writes its lines."""
    rows = [(pk, "fee", "", "Fee", "", {}, "", 1, 10, True) for pk in proposal_ids]
    fields = (
        "proposal_id", "line_type", "kind", "description", "description_kind",
        "description_params", "original_description", "quantity", "amount", "is_open",
    )  # fmt: skip
    bulk.rows_insert(ProposalLine, fields, rows, ids=False)


@postgres_only
def test_renewed_plans_check_a_line_s_proposal_by_its_key_once_the_table_has_grown():
    # given a connection that checked lines' proposals while the table held one proposal, with
    # statistics saying the table is empty (ANALYZE then, as after a VACUUM ANALYZE of a new
    # database): its cached check is a sequential scan
    contract, _project, source = contract_with_customer()
    user = UserFactory()
    sql("ANALYZE invoicing_invoiceproposal")
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # the checks run now, not at a commit the test never has
    first = InvoiceProposal.objects.create(
        contract=contract, funding_source=source, up_to_date=DAY, created_by=user
    )
    fee_lines([first.pk] * 20)
    # when the table grows to thousands of proposals (as during a billing run)
    grown = InvoiceProposal.objects.bulk_create(
        InvoiceProposal(contract=contract, funding_source=source, up_to_date=DAY, created_by=user)
        for _ in range(3000)
    )
    ids = [proposal.pk for proposal in grown[:200]]
    before = seq_scans()
    fee_lines(ids)
    stale = seq_scans() - before
    query_plans_renew()
    before = seq_scans()
    fee_lines(ids)
    renewed = seq_scans() - before
    # then the old plan reads the whole table for every line, the renewed one never does
    assert stale >= len(ids)
    assert renewed == 0


def test_renewing_plans_is_harmless_anywhere():
    query_plans_renew()
    query_plans_renew()  # and may run as often as asked, inside a transaction too


@postgres_only
def test_narrowed_plans_read_shares_lines_by_index_when_statistics_say_the_table_is_empty():
    # given a planner that prefers to read the whole proposal lines' table (as it did with
    # statistics taken while the table was empty; here made certain, whatever earlier tests
    # left in the statistics, by pricing index reads high) and a table of thousands of lines
    contract, _project, source = contract_with_customer()
    proposal = InvoiceProposal.objects.create(
        contract=contract, funding_source=source, up_to_date=DAY, created_by=UserFactory()
    )
    fee_lines([proposal.pk] * 20_000)
    sql("SET LOCAL random_page_cost = 100000")
    sql("SET LOCAL cpu_index_tuple_cost = 100")
    transaction_ids = list(range(1, 101))  # one contract's transactions, as a run asks
    # when a contract's share figures are read as planned that way
    before = seq_scans(ProposalLine)
    shares.transactions_share_figures(transaction_ids)
    stale = seq_scans(ProposalLine) - before
    # and as a billing run's chunk plans them
    narrow_plans()
    before = seq_scans(ProposalLine)
    shares.transactions_share_figures(transaction_ids)
    narrowed = seq_scans(ProposalLine) - before
    # then the first reads every line of the table, the narrowed plan only the shares' lines
    assert stale >= 1
    assert narrowed == 0


def test_narrowing_plans_is_harmless_anywhere():
    narrow_plans()
    narrow_plans()


@pytest.mark.parametrize("step", ["query_plans_renew", "narrow_plans"])
def test_a_billing_run_renews_and_narrows_the_plans_at_every_chunk(monkeypatch, settings, step):
    billable_contracts(5)
    settings.BILLING_RUN_CHUNK_CONTRACTS = 2
    calls = []
    monkeypatch.setattr(runs, step, lambda: calls.append(1))
    run = BillingRun.objects.create(created_by=UserFactory(role="finance_clerk"), up_to_date=DAY)
    runs.billing_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.proposals_created) == ("done", 5)
    assert len(calls) == 3  # chunks of 2, 2 and 1 contracts


@postgres_only
@pytest.mark.parametrize(
    ("query", "index"),
    [
        (lambda ids: billable.prepaid_contract_ids(ids), "transaction_prepayment_idx"),
        (lambda ids: billable.held_or_unfunded(ids, DAY), "allocation_held_unfunded_idx"),
    ],
)
def test_billable_now_reads_the_few_prepayments_and_held_shares_from_their_partial_index(
    query, index
):
    """Prepayments and shares on hold or unfunded are few; planned as a sequential scan of
    every transaction or share, these two queries took 27 ms and 16 ms a page of "billable
    now" at 100,000 transactions (bench_pages_0_1), 0.1 ms each from the partial indexes."""
    contracts = billable_contracts(3)
    ids = [contract.pk for contract in contracts]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # what the planner does at scale
        plan = query(ids).explain()
    assert index in plan, plan
