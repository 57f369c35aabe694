"""Posting: numbered, final invoices; VAT per rate; closed periods; nothing half-written."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from contracts import services as contract_services
from contracts.models import MilestoneStatus, ProjectType
from invoicing.invoices import posting, retention
from invoicing.invoices.models import InternalCharge, Invoice, InvoiceLine
from invoicing.ledger.services import chart_defaults_install
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import ProposalStatus
from invoicing.transactions.models import BillingStatus, ProjectTransaction
from tests.factories import (
    BillingRuleFactory,
    MilestoneFactory,
    UserFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, contract_with_customer, hours

pytestmark = pytest.mark.django_db
D = Decimal


def approved_e1(people, **contract_fields):
    contract, project, _source = contract_with_customer(**contract_fields)
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(contract=contract, rule_type="fee", fee_percent=D("10"), projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "200")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    return proposal


def test_example_e1_posted_as_invoice_one(people):
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = "INV-"
    entity.save()
    invoice = posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )
    assert (invoice.sequence_number, invoice.number) == (1, "INV-1")
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        D("22000.00"),
        D("5500.00"),
        D("27500.00"),
    )
    assert invoice.due_date == datetime.date(2026, 5, 1)  # 30 days net
    assert invoice.lines.count() == 2
    assert [(tax.rate, tax.base, tax.amount) for tax in invoice.taxes.all()] == [
        (D("25.00"), D("22000.00"), D("5500.00"))
    ]
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.POSTED
    assert set(ProjectTransaction.objects.values_list("billing_status", flat=True)) == {
        BillingStatus.INVOICED
    }
    assert not proposal.lines.filter(is_open=True).exists()


def test_numbers_follow_each_other_per_legal_entity(people):
    first = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    second_proposal = approved_e1(people, legal_entity=first.legal_entity)
    second = posting.invoice_post(proposal=second_proposal, actor=people["clerk"])
    assert (first.sequence_number, second.sequence_number) == (1, 2)


def test_retention_is_withheld_on_the_invoice(people):
    proposal = approved_e1(people, retention_percent=D("10"))
    invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    assert invoice.retention_total == D("-2200.00")
    assert invoice.lines.get(line_type="retention").amount == D("-2200.00")
    assert invoice.gross_total == D("24750.00")  # (22,000 - 2,200) x 1.25
    ledger = retention.retention_ledger(
        contract=proposal.contract, funding_source_id=proposal.funding_source_id
    )
    assert (ledger.withheld, ledger.released, ledger.given_back) == (D("2200.00"), 0, 0)


def test_only_an_approved_proposal_is_posted(people):
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "1")
    [draft] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    with pytest.raises(ValidationError, match="Only an approved proposal"):
        posting.invoice_post(proposal=draft, actor=people["clerk"])
    assert not Invoice.objects.exists()


def test_posting_into_a_closed_period_is_refused(people):
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    entity.locked_until = datetime.date(2026, 3, 31)
    entity.save()
    with pytest.raises(ValidationError, match="closed up to 2026-03-31"):
        posting.invoice_post(
            proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 3, 31)
        )
    assert not Invoice.objects.exists()
    posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )


def test_a_posting_that_fails_after_taking_a_number_leaves_no_gap(people, monkeypatch):
    proposal = approved_e1(people)
    original = InvoiceLine.objects.bulk_create

    def fail(*args, **kwargs):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(InvoiceLine.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        posting.invoice_post(proposal=proposal, actor=people["clerk"])
    monkeypatch.setattr(InvoiceLine.objects, "bulk_create", original)
    assert not Invoice.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    assert invoice.sequence_number == 1


def test_internal_organization_gets_an_internal_charge(people):
    contract, project, customer = contract_with_customer()
    customer.source_type, customer.customer = "organization", None
    customer.save()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "10")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    charge = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    assert isinstance(charge, InternalCharge) and charge.amount == D("1000.00")
    assert not Invoice.objects.exists()


def test_posting_marks_the_milestone_invoiced(people):
    contract, project, _source = contract_with_customer(project_type=ProjectType.FIXED_PRICE)
    BillingRuleFactory(contract=contract, rule_type="milestone", projects=[project])
    milestone = MilestoneFactory(contract=contract, amount=D("10000.00"))
    contract_services.milestone_complete(
        milestone=milestone, actor=UserFactory(username="pm", role="project_manager")
    )
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=datetime.date.today(), actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    posting.invoice_post(proposal=proposal, actor=people["clerk"])
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.INVOICED


def test_read_only_users_cannot_post(people):
    proposal = approved_e1(people)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        posting.invoice_post(
            proposal=proposal, actor=UserFactory(username="audit", role="read_only")
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_database_refuses_changes_to_a_posted_invoice(people):
    invoice = posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    for change in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(gross_total=D("1")),
        lambda: Invoice.objects.filter(pk=invoice.pk).update(number="X-1"),
        lambda: InvoiceLine.objects.filter(invoice=invoice).update(amount=D("1")),
        lambda: InvoiceLine.objects.filter(invoice=invoice).delete(),
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            change()
    Invoice.objects.filter(pk=invoice.pk).update(status="sent")  # the payment state may change


# One posting's queries, its savepoint (BEGIN in production) and release (COMMIT) included:
# lock the proposal with its contract and parties, read its lines, take the number, read the
# progress statement (one query over the earlier documents), insert the invoice with its
# snapshot, its lines, its VAT and its e-invoice, close the proposal's lines, lock the
# milestones, save the proposal and its history, and refresh the transactions' billing status
# (their shares in two queries, the stored status, one update). No UPDATE of the invoice.
# A proposal without transactions (fees only, as in the posting benchmark) skips the
# milestones and the billing status: 13 queries. On SQLite django-sequences takes a series'
# first number in four queries (read, savepoint, insert, release) instead of one upsert.
# The ledger then books the invoice: the entity's account map, the voucher series' number (four
# queries on SQLite for a series' first number, as above), the voucher and its lines in one
# insert each. (An entity's first booking also installs its default chart, once: measured here
# with the chart in place.)
POSTING_QUERIES = {"postgresql": 22, "sqlite": 28}[connection.vendor]


def approved_with_hours(people, transactions: int):
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    worker = WorkerFactory(sales_rate=D("100"))
    for number in range(transactions):
        hours(project, worker, str(number + 1))
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    return proposal


@pytest.mark.parametrize("transactions", [1, 12])
def test_posting_runs_the_same_few_queries_whatever_the_number_of_lines(
    people, transactions, django_assert_num_queries
):
    proposal = approved_with_hours(people, transactions)
    chart_defaults_install(legal_entity=proposal.contract.legal_entity)
    with django_assert_num_queries(POSTING_QUERIES) as captured:
        invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    assert invoice.lines.count() == transactions
    assert invoice.einvoices.count() == 1
    assert not any('UPDATE "invoicing_invoice"' in query["sql"] for query in captured)
