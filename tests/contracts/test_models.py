"""Database constraints: the last line of defence, each with a friendly message in front."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from contracts.models import Project, ProjectContract, ProjectType, TaxGroup
from funding.models import FundingRuleLine
from tests.factories import (
    BudgetFactory,
    CustomerFactory,
    ItemFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    ProjectContractFactory,
    ProjectFactory,
    TaxGroupFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db


def assert_refused_by_database(write):
    # PostgreSQL refuses a too-long code as DataError; SQLite only has the check constraint.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        write()


def test_every_factory_builds_a_valid_record():
    for factory in (
        PaymentTermsFactory,
        TaxGroupFactory,
        LegalEntityFactory,
        CustomerFactory,
        WorkerFactory,
        ItemFactory,
        ProjectContractFactory,
        ProjectFactory,
        BudgetFactory,
    ):
        record = factory()
        record.full_clean()


def test_contract_codes_are_unique_in_the_database():
    ProjectContractFactory(code="K-1")
    assert_refused_by_database(lambda: ProjectContractFactory(code="K-1"))


def test_duplicate_code_gets_a_friendly_validation_message():
    ProjectContractFactory(code="K-1")
    duplicate = ProjectContractFactory.build(code="K-1")
    with pytest.raises(ValidationError) as refused:
        duplicate.full_clean()
    assert "already in use" in str(refused.value)


@pytest.mark.parametrize("retention", [Decimal("-0.01"), Decimal("100.01")])
def test_retention_percentage_outside_0_to_100_is_refused(retention):
    contract = ProjectContractFactory()
    assert_refused_by_database(
        lambda: ProjectContract.objects.filter(pk=contract.pk).update(retention_percent=retention)
    )


def test_retention_of_exactly_100_percent_is_allowed():
    contract = ProjectContractFactory(retention_percent=Decimal("100"))
    contract.full_clean()


def test_negative_contract_value_is_refused():
    contract = ProjectContractFactory()
    assert_refused_by_database(
        lambda: ProjectContract.objects.filter(pk=contract.pk).update(contract_value=Decimal("-1"))
    )


@pytest.mark.parametrize("currency", ["SEKK", "sek", "ABC", "XAU", ""])
def test_invalid_currency_code_is_refused(currency):
    contract = ProjectContractFactory()
    assert_refused_by_database(
        lambda: ProjectContract.objects.filter(pk=contract.pk).update(currency=currency)
    )


def test_invalid_currency_gets_a_friendly_form_message():
    contract = ProjectContractFactory.build(currency="ABC")
    with pytest.raises(ValidationError) as refused:
        contract.full_clean()
    assert "currency" in str(refused.value).lower()


@pytest.mark.parametrize("country", ["XX", "se", "SWE"])
def test_invalid_country_code_is_refused(country):
    customer = CustomerFactory()
    from contracts.models import Customer

    assert_refused_by_database(
        lambda: Customer.objects.filter(pk=customer.pk).update(country=country)
    )


def test_negative_worker_rates_are_refused():
    worker = WorkerFactory()
    from contracts.models import Worker

    assert_refused_by_database(
        lambda: Worker.objects.filter(pk=worker.pk).update(sales_rate=Decimal("-1"))
    )
    assert_refused_by_database(
        lambda: Worker.objects.filter(pk=worker.pk).update(cost_rate=Decimal("-0.01"))
    )


def test_negative_item_price_is_refused():
    item = ItemFactory()
    from contracts.models import Item

    assert_refused_by_database(
        lambda: Item.objects.filter(pk=item.pk).update(sales_price=Decimal("-5"))
    )


def test_reverse_charge_tax_group_must_have_zero_rate():
    assert_refused_by_database(lambda: TaxGroupFactory(reverse_charge=True, rate=Decimal("25")))
    assert TaxGroupFactory(reverse_charge=True).is_reverse_charge


def test_tax_group_cannot_be_both_exempt_and_reverse_charge():
    tax_group = TaxGroupFactory(reverse_charge=True)
    assert_refused_by_database(
        lambda: TaxGroup.objects.filter(pk=tax_group.pk).update(is_exempt=True)
    )


def test_tax_rate_above_100_is_refused():
    tax_group = TaxGroupFactory()
    assert_refused_by_database(
        lambda: TaxGroup.objects.filter(pk=tax_group.pk).update(rate=Decimal("101"))
    )


def test_invoiceable_project_needs_a_contract():
    assert_refused_by_database(
        lambda: ProjectFactory(contract=None, project_type=ProjectType.FIXED_PRICE)
    )
    internal = ProjectFactory(contract=None, project_type=ProjectType.INTERNAL)
    assert not internal.is_invoiceable


def test_project_cannot_be_its_own_parent():
    project = ProjectFactory()
    assert_refused_by_database(lambda: Project.objects.filter(pk=project.pk).update(parent=project))


def test_contract_end_date_before_start_is_refused_with_a_message():
    contract = ProjectContractFactory.build(
        start_date="2026-05-01", end_date="2026-04-30", code="K-END"
    )
    with pytest.raises(ValidationError) as refused:
        contract.full_clean()
    assert "end date cannot be before the start date" in str(refused.value)


def test_one_budget_per_project_and_category():
    budget = BudgetFactory()
    assert_refused_by_database(
        lambda: BudgetFactory(project=budget.project, category=budget.category)
    )


def test_negative_budget_is_refused():
    assert_refused_by_database(lambda: BudgetFactory(cost_amount=Decimal("-1")))
    assert_refused_by_database(lambda: BudgetFactory(revenue_amount=Decimal("-1")))


def test_payment_terms_longer_than_a_year_are_refused():
    assert_refused_by_database(lambda: PaymentTermsFactory(net_days=400))


def test_blank_code_is_refused():
    assert_refused_by_database(lambda: WorkerFactory(code=""))


def test_changes_are_recorded_in_history_with_the_user(user_with_role):
    clerk = user_with_role("finance_clerk")
    contract = ProjectContractFactory(name="Before")
    contract.name = "After"
    contract._history_user = clerk
    contract.save()
    latest = contract.history.first()
    assert latest.name == "After"
    assert latest.history_user == clerk
    assert latest.history_type == "~"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: TaxGroupFactory.build(rate=Decimal("150")), "The VAT rate must be between"),
        (lambda: FundingRuleLine(percentage=Decimal("0")), "A percentage must be above 0"),
    ],
)
def test_a_refused_percentage_is_reported_in_words_with_its_percent_sign(make, words):
    """Django fills constraint messages in with %-formatting: a bare "100 %." used to fail
    with "incomplete format" instead of reporting the refusal."""
    with pytest.raises(ValidationError) as refused:
        make().validate_constraints()
    [message] = [text for text in refused.value.messages if text.startswith(words)]
    assert message.endswith("100 %.")
