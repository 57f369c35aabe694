"""Small builders the invoicing tests share: a contract funded 100 % by its customer, hours
recorded through the service, a generated E1 proposal."""

import datetime
from decimal import Decimal

from contracts.models import Category, ProjectType
from invoicing.proposals import generation
from invoicing.transactions import services
from invoicing.transactions.models import ProjectTransaction
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    ProjectContractFactory,
    ProjectFactory,
    WorkerFactory,
)

D = Decimal
DAY = datetime.date(2026, 3, 31)


def contract_with_customer(project_type=ProjectType.TIME_AND_MATERIAL, **fields):
    """A contract whose customer funds 100 %, with one project and an on-account category."""
    contract = ProjectContractFactory(**fields)
    project = ProjectFactory(contract=contract, project_type=project_type)
    source = FundingSourceFactory(
        contract=contract, customer=contract.customer, name="Customer", is_rounding_source=True
    )
    FundingRuleLineFactory(rule__contract=contract, rule__priority=1, source=source, percentage=100)
    if not Category.objects.filter(code="ONACC").exists():
        CategoryFactory(code="ONACC", kind="on_account")
    return contract, project, source


def hours(project, worker, quantity, *, category=None, date=DAY, **extra):
    record = ProjectTransaction(
        kind="hour", date=date, project=project, category=category or CategoryFactory(kind="hour"),
        worker=worker, quantity=D(quantity), cost_price=None, sales_price=None, currency="", **extra,
    )  # fmt: skip
    return services.transaction_record(record=record, actor=None)


def billable_contracts(count: int = 5) -> list:
    """``count`` active contracts funded by their customer, each with a time-and-material rule
    and ten hours at 100 to bill up to DAY (billing runs and their jobs)."""
    worker = WorkerFactory(sales_rate=100)
    made = []
    for number in range(count):
        contract, project, _source = contract_with_customer(code=f"K-{number}")
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        hours(project, worker, "10")
        made.append(contract)
    return made


def total(proposal):
    return sum(line.amount for line in proposal.lines.all())


def generated_e1(people):
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    record = hours(project, WorkerFactory(sales_rate=D("100")), "10")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    return proposal, record
