"""Generating proposals from the worked examples' billing rules: one per funder, caps, on-account
milestones, units and progress, prepayment deductions, thresholds."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from contracts import services as contract_services
from contracts.models import Category, ProjectType
from funding.models import FundingRule
from invoicing.proposals import generation
from invoicing.proposals.models import InvoiceProposal
from invoicing.transactions import services
from invoicing.transactions.models import ProjectTransaction
from tests.factories import (
    BillingRuleFactory,
    BudgetFactory,
    CategoryFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    MilestoneFactory,
    ProjectTransactionFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, D, contract_with_customer, hours, total

pytestmark = pytest.mark.django_db


def test_example_e1_hours_with_a_management_fee(people):
    contract, project, _source = contract_with_customer()
    worker = WorkerFactory(sales_rate=D("100.00"))
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(contract=contract, rule_type="fee", fee_percent=D("10"), projects=[project])
    hours(project, worker, "200")
    [proposal] = generation.proposals_generate(
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

    expense = ProjectTransaction.objects.get(kind="expense")
    services.transaction_update(record=expense, actor=None)  # funded like any recorded line
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(proposal) == D("122000.00")


def test_not_to_exceed_cap_splits_the_share_that_crosses_it(people):
    # Given a cap of 10,000.00 on a category and two days of 8 hours at 1,000.00
    contract, project, _source = contract_with_customer()
    worker = WorkerFactory(sales_rate=D("1000"))
    category = CategoryFactory(kind="hour")
    rule = BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    rule.caps.create(category=category, amount=D("10000.00"))
    first = hours(project, worker, "8", category=category, date=datetime.date(2026, 3, 1))
    second = hours(project, worker, "8", category=category, date=datetime.date(2026, 3, 2))

    # When the contract is billed
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )

    # Then the cap is billed in full: all of the first day, 2,000.00 of the second
    assert total(proposal) == D("10000.00")
    lines = {line.transaction_id: line for line in proposal.lines.all()}
    assert (lines[first.pk].amount, lines[second.pk].amount) == (D("8000.00"), D("2000.00"))
    assert lines[second.pk].allocation.amount == D("8000.00")
    assert "part billed: 2,000.00 of 8,000.00" in lines[second.pk].description
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.billing_status, second.billing_status) == ("in_proposal", "in_proposal")


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
        generation.proposals_generate(contract=contract, up_to_date=DAY, actor=people["clerk"])
    contract_services.milestone_complete(milestone=first, actor=people["manager"])
    [proposal] = generation.proposals_generate(
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
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(proposal) == D("10000.00")
    # Nothing more until another session is delivered.
    with pytest.raises(ValidationError):
        generation.proposals_generate(contract=contract, up_to_date=DAY, actor=people["clerk"])
    rule.units_delivered = 3
    rule.save()
    [second] = generation.proposals_generate(
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
    [proposal] = generation.proposals_generate(
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
    [proposal] = generation.proposals_generate(
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
    generated = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert sorted((p.funding_source.name, total(p)) for p in generated) == [
        ("Customer", D("6000.00")),
        ("Grant", D("2000.00")),
    ]


def prepayment(project, amount, actor=None):
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
    [prepaid] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert total(prepaid) == D("5000.00")
    assert not prepaid.lines.filter(line_type="deduction").exists()
    mark_posted(prepaid, people)  # invoiced (posting itself comes with the invoices)

    worker = WorkerFactory(sales_rate=D("100"))
    hours(project, worker, "30")  # 3,000.00
    [first] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert first.lines.get(line_type="deduction").amount == D("-3000.00")
    assert total(first) == D("0.00")  # never negative
    mark_posted(first, people)

    hours(project, worker, "40", date=datetime.date(2026, 3, 30))  # 4,000.00
    [second] = generation.proposals_generate(
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
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.billing_rule_progress_record(
            rule=rule, percent_complete=D("20"), actor=people["manager"]
        )
    assert not InvoiceProposal.objects.exists()  # 10 -> 20 crosses nothing
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.billing_rule_progress_record(
            rule=rule, percent_complete=D("30"), actor=people["manager"]
        )
    proposal = InvoiceProposal.objects.get()
    assert total(proposal) == D("30000.00")


def test_second_automatic_progress_proposal_bills_the_difference(people):
    """On SQLite ``Sum`` gives a 10-decimal Decimal; what a rule billed is rounded to the cent."""
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
    [first] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    hours(project, worker, "50", category=development)  # cost 10,000 in all: 2/3 x 20,000
    [second] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    # 2/3 x 20,000 + 20 % x 10,000 = 15,333.33, less the 8,666.67 billed before.
    assert (total(first), total(second)) == (D("8666.67"), D("6666.66"))
