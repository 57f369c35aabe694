"""Invoice proposals: generated from the worked examples' billing rules, edited as drafts, and
taken through the approval workflow."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from contracts import services as contract_services
from contracts.models import Category, ProjectType
from funding.models import FundingRule
from invoicing import proposals
from invoicing.models import (
    BillingStatus,
    InvoiceProposal,
    ProjectTransaction,
    ProposalLine,
    ProposalStatus,
)
from tests.factories import (
    BillingRuleFactory,
    BudgetFactory,
    CategoryFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    MilestoneFactory,
    ProjectContractFactory,
    ProjectFactory,
    ProjectTransactionFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 3, 31)


def contract_with_customer(project_type=ProjectType.TIME_AND_MATERIAL, **fields):
    """A contract whose customer funds 100 %, with one project and an on-account category."""
    contract = ProjectContractFactory(**fields)
    project = ProjectFactory(contract=contract, project_type=project_type)
    source = FundingSourceFactory(contract=contract, name="Customer", is_rounding_source=True)
    FundingRuleLineFactory(rule__contract=contract, rule__priority=1, source=source, percentage=100)
    if not Category.objects.filter(code="ONACC").exists():
        CategoryFactory(code="ONACC", kind="on_account")
    return contract, project, source


def hours(project, worker, quantity, *, category=None, date=DAY, **extra):
    from invoicing import services

    record = ProjectTransaction(
        kind="hour", date=date, project=project, category=category or CategoryFactory(kind="hour"),
        worker=worker, quantity=D(quantity), cost_price=None, sales_price=None, currency="", **extra,
    )  # fmt: skip
    return services.transaction_record(record=record, actor=None)


def total(proposal):
    return sum(line.amount for line in proposal.lines.all())


def test_example_e1_hours_with_a_management_fee(people):
    contract, project, _source = contract_with_customer()
    worker = WorkerFactory(sales_rate=D("100.00"))
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(contract=contract, rule_type="fee", fee_percent=D("10"), projects=[project])
    hours(project, worker, "200")
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    fee = proposal.lines.get(line_type="fee")
    assert fee.amount == D("2000.00")
    assert total(proposal) == D("22000.00")


def test_example_t1_hours_and_capped_office_supplies(people):
    contract, project, _source = contract_with_customer(currency="DKK")
    worker = WorkerFactory(sales_rate=D("150.00"))
    supplies = CategoryFactory(code="OFFICE", kind="expense")
    rule = BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    rule.caps.create(category=supplies, amount=D("10000.00"))
    hours(project, worker, "800")
    ProjectTransactionFactory(
        project=project, kind="expense", category=supplies, worker=None, quantity=1, cost_price=D("2000"),
        sales_price=D("2000"), cost_amount=D("2000.00"), sales_amount=D("2000.00"), currency="DKK",
    )  # fmt: skip
    from invoicing import services

    expense = ProjectTransaction.objects.get(kind="expense")
    services.transaction_update(record=expense, actor=None)  # funded like any recorded line
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(proposal) == D("122000.00")


def test_not_to_exceed_cap_leaves_the_excess_uninvoiced(people):
    contract, project, _source = contract_with_customer()
    worker = WorkerFactory(sales_rate=D("1000"))
    category = CategoryFactory(kind="hour")
    rule = BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    rule.caps.create(category=category, amount=D("10000.00"))
    first = hours(project, worker, "8", category=category, date=datetime.date(2026, 3, 1))
    second = hours(project, worker, "8", category=category, date=datetime.date(2026, 3, 2))
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(proposal) == D("8000.00")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.billing_status, second.billing_status) == ("in_proposal", "uninvoiced")


def test_example_m1_completed_milestone_is_billed_on_account(people):
    contract, project, _source = contract_with_customer(
        contract_value=D("50000.00"), project_type=ProjectType.FIXED_PRICE
    )
    BillingRuleFactory(contract=contract, rule_type="milestone", projects=[project])
    first = MilestoneFactory(
        contract=contract, amount=D("10000.00"), due_date=datetime.date(2026, 3, 31)
    )
    MilestoneFactory(contract=contract, amount=D("20000.00"), due_date=datetime.date(2026, 4, 30))
    MilestoneFactory(contract=contract, amount=D("20000.00"), due_date=datetime.date(2026, 5, 31))
    with pytest.raises(ValidationError, match="nothing to bill"):
        proposals.proposals_generate(contract=contract, up_to_date=DAY, actor=people["clerk"])
    contract_services.milestone_complete(milestone=first, actor=people["manager"])
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=datetime.date.today(), actor=people["clerk"]
    )
    assert total(proposal) == D("10000.00")
    assert ProjectTransaction.objects.get(milestone=first).kind == "on_account"


def test_example_u1_one_session_of_five(people):
    contract, project, _source = contract_with_customer(
        contract_value=D("50000.00"), project_type=ProjectType.FIXED_PRICE
    )
    rule = BillingRuleFactory(
        contract=contract,
        rule_type="unit",
        unit_price=D("10000.00"),
        total_units=5,
        units_delivered=1,
        projects=[project],
    )
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(proposal) == D("10000.00")
    # Nothing more until another session is delivered.
    with pytest.raises(ValidationError):
        proposals.proposals_generate(contract=contract, up_to_date=DAY, actor=people["clerk"])
    rule.units_delivered = 3
    rule.save()
    [second] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(second) == D("20000.00")


def test_example_p1_manual_progress(people):
    contract, project, _source = contract_with_customer(
        contract_value=D("100000.00"), project_type=ProjectType.FIXED_PRICE
    )
    BillingRuleFactory(
        contract=contract, rule_type="progress_manual", percent_complete=D("15"), projects=[project]
    )
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(proposal) == D("15000.00")


def test_example_p2_automatic_progress(people):
    contract, project, _source = contract_with_customer(
        contract_value=D("30000.00"), project_type=ProjectType.FIXED_PRICE
    )
    development = CategoryFactory(code="DEV", kind="hour")
    installation = CategoryFactory(code="INST", kind="hour")
    BudgetFactory(
        project=project, category=development, cost_amount=D("15000"), revenue_amount=D("20000")
    )
    BudgetFactory(
        project=project, category=installation, cost_amount=D("5000"), revenue_amount=D("10000")
    )
    worker = WorkerFactory(cost_rate=D("100"), sales_rate=D("150"))
    hours(project, worker, "50", category=development)  # cost 5,000
    hours(project, worker, "10", category=installation)  # cost 1,000
    BillingRuleFactory(contract=contract, rule_type="progress_automatic", projects=[project])
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(proposal) == D("8666.67")


def test_one_proposal_per_funding_source(people):
    contract, project, customer = contract_with_customer()
    grant = FundingSourceFactory(contract=contract, name="Grant", source_type="grant")
    FundingRule.objects.filter(contract=contract).update(priority=2)  # the customer pays the rest
    FundingRuleLineFactory(rule__contract=contract, rule__priority=1, source=grant, percentage=25)
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("1000")), "8")
    generated = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert sorted((p.funding_source.name, total(p)) for p in generated) == [
        ("Customer", D("6000.00")),
        ("Grant", D("2000.00")),
    ]


def generated_e1(people):
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    record = hours(project, WorkerFactory(sales_rate=D("100")), "10")
    [proposal] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    return proposal, record


def test_submit_approve_by_someone_else(people):
    proposal, record = generated_e1(people)
    record.refresh_from_db()
    assert record.billing_status == BillingStatus.IN_PROPOSAL
    proposals.proposal_submit(proposal=proposal, actor=people["clerk"])
    approved = proposals.proposal_approve(proposal=proposal, actor=people["approver"])
    assert approved.status == ProposalStatus.APPROVED
    assert approved.approved_by == people["approver"]


def test_nobody_approves_their_own_submission(people):
    proposal, _record = generated_e1(people)
    proposals.proposal_submit(proposal=proposal, actor=people["approver"])
    with pytest.raises(PermissionDenied, match="someone else must approve"):
        proposals.proposal_approve(proposal=proposal, actor=people["approver"])
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
    proposals.proposal_submit(proposal=proposal, actor=people["clerk"])
    with pytest.raises(PermissionDenied, match="Only approvers"):
        proposals.proposal_approve(proposal=proposal, actor=people["manager"])


def test_rejection_needs_a_reason_and_returns_to_draft(people):
    proposal, _record = generated_e1(people)
    proposals.proposal_submit(proposal=proposal, actor=people["clerk"])
    with pytest.raises(ValidationError, match="reason"):
        proposals.proposal_reject(proposal=proposal, actor=people["approver"], reason="  ")
    rejected = proposals.proposal_reject(
        proposal=proposal, actor=people["approver"], reason="Wrong rate for March"
    )
    assert (rejected.status, rejected.rejection_reason) == (
        ProposalStatus.DRAFT,
        "Wrong rate for March",
    )


def test_approving_a_proposal_changed_after_submission_is_refused(people):
    proposal, _record = generated_e1(people)
    proposals.proposal_submit(proposal=proposal, actor=people["clerk"])
    InvoiceProposal.objects.filter(pk=proposal.pk).update(revision=proposal.revision + 1)
    with pytest.raises(ValidationError, match="changed after the proposal was submitted"):
        proposals.proposal_approve(proposal=proposal, actor=people["approver"])


def test_a_submitted_proposal_cannot_be_edited(people):
    proposal, _record = generated_e1(people)
    proposals.proposal_submit(proposal=proposal, actor=people["clerk"])
    line = proposal.lines.first()
    with pytest.raises(ValidationError, match="Only a draft proposal"):
        proposals.proposal_line_remove(proposal=proposal, line=line, actor=people["clerk"])
    with pytest.raises(ValidationError, match="Only a draft proposal"):
        proposals.proposal_fee_add(
            proposal=proposal, description="Fee", amount=D("10"), actor=people["clerk"]
        )
    assert proposal.lines.count() == 1


def test_cancel_frees_every_line(people):
    proposal, record = generated_e1(people)
    proposals.proposal_cancel(proposal=proposal, actor=people["clerk"])
    record.refresh_from_db()
    assert record.billing_status == BillingStatus.UNINVOICED
    assert not ProposalLine.objects.filter(is_open=True).exists()
    # The freed line can be billed again.
    [again] = proposals.proposals_generate(
        contract=proposal.contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(again) == D("1000.00")


def test_removed_line_returns_to_uninvoiced(people):
    proposal, record = generated_e1(people)
    line = proposal.lines.get()
    proposals.proposal_line_remove(proposal=proposal, line=line, actor=people["clerk"])
    record.refresh_from_db()
    assert record.billing_status == BillingStatus.UNINVOICED
    proposal.refresh_from_db()
    assert proposal.revision == 1


def test_price_change_reallocates_funding(people):
    proposal, record = generated_e1(people)
    line = proposal.lines.get()
    new_line = proposals.proposal_line_price_change(
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
        proposals.proposal_create_manual(
            contract=proposal.contract,
            allocation_ids=[line.allocation_id],
            up_to_date=DAY,
            actor=people["clerk"],
        )


def test_empty_proposal_cannot_be_submitted(people):
    proposal, _record = generated_e1(people)
    proposal.lines.all().delete()
    with pytest.raises(ValidationError, match="at least one line"):
        proposals.proposal_submit(proposal=proposal, actor=people["clerk"])


def test_transaction_in_a_proposal_cannot_be_edited(people):
    from invoicing import services

    _proposal, record = generated_e1(people)
    record.refresh_from_db()
    record.quantity = D("1")
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.transaction_update(record=record, actor=None)


def prepayment(project, amount, actor=None):
    from invoicing import services

    record = ProjectTransaction(
        kind="on_account", date=datetime.date(2026, 1, 15), project=project,
        category=Category.objects.get(code="ONACC"), quantity=D("1"), cost_price=D("0"),
        sales_price=D(amount), currency="", description="Prepayment",
    )  # fmt: skip
    return services.transaction_record(record=record, actor=actor)


def mark_posted(proposal, people):
    InvoiceProposal.objects.filter(pk=proposal.pk).update(
        status="posted", submitted_by=people["clerk"], approved_by=people["approver"]
    )


def test_time_and_material_prepayment_is_offset_by_deductions(people):
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    prepayment(project, "5000")
    [prepaid] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(prepaid) == D("5000.00")
    assert not prepaid.lines.filter(line_type="deduction").exists()
    mark_posted(prepaid, people)  # invoiced (posting itself comes with the invoices)

    worker = WorkerFactory(sales_rate=D("100"))
    hours(project, worker, "30")  # 3,000.00
    [first] = proposals.proposals_generate(contract=contract, up_to_date=DAY, actor=people["clerk"])
    assert first.lines.get(line_type="deduction").amount == D("-3000.00")
    assert total(first) == D("0.00")  # never negative
    mark_posted(first, people)

    hours(project, worker, "40", date=datetime.date(2026, 3, 30))  # 4,000.00
    [second] = proposals.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert second.lines.get(line_type="deduction").amount == D("-2000.00")  # what is left
    assert total(second) == D("2000.00")


def test_rule_creates_proposals_when_completion_crosses_a_threshold(
    people, django_capture_on_commit_callbacks
):
    contract, project, _source = contract_with_customer(
        contract_value=D("100000.00"), project_type=ProjectType.FIXED_PRICE
    )
    rule = BillingRuleFactory(
        contract=contract,
        rule_type="progress_manual",
        percent_complete=D("10"),
        propose_at_thresholds=True,
        projects=[project],
    )
    rule.percent_complete = D("20")
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.billing_rule_save(rule=rule, projects=[project], actor=people["manager"])
    assert not InvoiceProposal.objects.exists()  # 10 -> 20 crosses nothing
    rule.percent_complete = D("30")
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.billing_rule_save(rule=rule, projects=[project], actor=people["manager"])
    proposal = InvoiceProposal.objects.get()
    assert total(proposal) == D("30000.00")
