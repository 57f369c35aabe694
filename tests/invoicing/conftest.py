import pytest

from tests.factories import (
    CategoryFactory,
    FundingLimitFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    ProjectContractFactory,
    ProjectFactory,
    UserFactory,
    WorkerFactory,
)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def billing_setup(db, media_root):
    """A SEK contract with one project, a worker at 1,000.00/h and a customer funding 100 %
    up to 20,000.00, and a grant taking 25 % first up to 1,000.00."""
    contract = ProjectContractFactory(code="K-1", currency="SEK")
    project = ProjectFactory(code="P-1", contract=contract)
    worker = WorkerFactory(code="W1", cost_rate=600, sales_rate=1000)
    category = CategoryFactory(code="DEV", kind="hour")
    customer = FundingSourceFactory(contract=contract, name="Customer", is_rounding_source=True)
    grant = FundingSourceFactory(contract=contract, name="Grant", source_type="grant")
    customer_limit = FundingLimitFactory(source=customer, amount=20000)
    grant_limit = FundingLimitFactory(source=grant, amount=1000)
    FundingRuleLineFactory(rule__contract=contract, rule__priority=1, source=grant, percentage=25)
    FundingRuleLineFactory(
        rule__contract=contract, rule__priority=2, source=customer, percentage=100
    )
    return {
        "contract": contract,
        "project": project,
        "worker": worker,
        "category": category,
        "customer": customer,
        "grant": grant,
        "customer_limit": customer_limit,
        "grant_limit": grant_limit,
    }


@pytest.fixture
def people(db):
    """A clerk, two approvers and a project manager."""
    return {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
        "second_approver": UserFactory(username="eva", role="approver"),
        "manager": UserFactory(username="sofie", role="project_manager"),
    }
