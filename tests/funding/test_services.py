"""The funding set-up through the ORM: constraints, services, and F1 end to end."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from funding import services
from funding.models import FundingLimit, FundingRuleLine
from funding.services import LINES_OVER_100, SimulationInput
from tests.factories import (
    FundingLimitFactory,
    FundingRuleFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    ProjectContractFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


def refused(write):
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        write()


def f1_contract():
    """Worked example F1 set up in the database."""
    contract = ProjectContractFactory(code="F1")
    source_1, source_2, source_3 = (
        FundingSourceFactory(contract=contract, name=f"Source {n}", is_rounding_source=n == 1)
        for n in (1, 2, 3)
    )
    FundingLimitFactory(source=source_1, amount=D("10000.00"))
    FundingLimitFactory(source=source_2, amount=D("500.00"))
    FundingLimitFactory(source=source_3, amount=D("750.00"))
    rule_1 = FundingRuleFactory(contract=contract, priority=1)
    FundingRuleLineFactory(rule=rule_1, source=source_2, percentage=D("50"))
    FundingRuleLineFactory(rule=rule_1, source=source_3, percentage=D("50"))
    FundingRuleLineFactory(rule=FundingRuleFactory(contract=contract, priority=2), source=source_3)
    FundingRuleLineFactory(rule=FundingRuleFactory(contract=contract, priority=3), source=source_1)
    return contract, (source_1, source_2, source_3)


def simulate(contract, amount):
    simulation = SimulationInput(amount=D(amount), date=datetime.date(2026, 3, 1), kind="hour")
    result = services.funding_simulate(contract=contract, simulation=simulation)
    return result.amounts_by_source()


def test_example_f1_simulated_from_the_database():
    contract, (source_1, source_2, source_3) = f1_contract()
    assert simulate(contract, "100.00") == {source_2.pk: D("50.00"), source_3.pk: D("50.00")}
    # With source 2 and 3 already used by the first transaction (50.00 each):
    FundingLimit.objects.filter(source__in=[source_2, source_3]).update(used_amount=D("50.00"))
    assert simulate(contract, "5000.00") == {
        source_2.pk: D("450.00"),
        source_3.pk: D("450.00") + D("250.00"),
        source_1.pk: D("3850.00"),
    }


def test_simulation_saves_nothing():
    contract, _sources = f1_contract()
    simulate(contract, "5000.00")
    assert set(FundingLimit.objects.values_list("used_amount", flat=True)) == {D("0")}


def test_one_on_hold_source_per_contract():
    source = FundingSourceFactory(is_on_hold=True)
    refused(lambda: FundingSourceFactory(contract=source.contract, is_on_hold=True))


def test_one_rounding_source_per_contract():
    source = FundingSourceFactory(is_rounding_source=True)
    refused(lambda: FundingSourceFactory(contract=source.contract, is_rounding_source=True))


def test_customer_source_needs_a_customer_but_an_organization_does_not():
    refused(lambda: FundingSourceFactory(customer=None, source_type="grant"))
    FundingSourceFactory(customer=None, source_type="organization")


@pytest.mark.parametrize("percentage", [D("0"), D("-1"), D("100.01")])
def test_line_percentage_must_be_above_0_and_at_most_100(percentage):
    refused(lambda: FundingRuleLineFactory(percentage=percentage))


def test_a_source_appears_once_per_rule():
    line = FundingRuleLineFactory(percentage=D("50"))
    refused(lambda: FundingRuleLineFactory(rule=line.rule, source=line.source, percentage=D("10")))


def test_limit_cannot_be_negative_or_below_what_is_used():
    limit = FundingLimitFactory(amount=D("500"))
    refused(lambda: FundingLimit.objects.filter(pk=limit.pk).update(amount=D("-1")))
    FundingLimit.objects.filter(pk=limit.pk).update(used_amount=D("400"))
    refused(lambda: FundingLimit.objects.filter(pk=limit.pk).update(amount=D("399.99")))


def test_rule_lines_over_100_percent_are_refused_by_the_service():
    rule = FundingRuleFactory()
    a, b = FundingSourceFactory.create_batch(2, contract=rule.contract)
    lines = [
        services.RuleLineData(source=a, percentage=D("75")),
        services.RuleLineData(source=b, percentage=D("25.01")),
    ]
    with pytest.raises(ValidationError) as error:
        services.funding_rule_save(rule=rule, lines=lines, actor=None)
    assert "100.01" in str(error.value)
    assert not FundingRuleLine.objects.exists()
    assert str(LINES_OVER_100)[:30] in str(error.value)


def test_rule_lines_must_use_sources_of_the_same_contract():
    rule = FundingRuleFactory()
    stranger = FundingSourceFactory()
    with pytest.raises(ValidationError):
        services.funding_rule_save(
            rule=rule,
            lines=[services.RuleLineData(source=stranger, percentage=D("100"))],
            actor=None,
        )


def test_rule_save_replaces_its_lines():
    rule = FundingRuleFactory()
    a, b = FundingSourceFactory.create_batch(2, contract=rule.contract)
    services.funding_rule_save(
        rule=rule, lines=[services.RuleLineData(source=a, percentage=D("100"))], actor=None
    )
    services.funding_rule_save(
        rule=rule,
        lines=[
            services.RuleLineData(source=a, percentage=D("75")),
            services.RuleLineData(source=b, percentage=D("25")),
        ],
        actor=None,
    )
    assert sorted(rule.lines.values_list("percentage", flat=True)) == [D("25"), D("75")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_postgresql_trigger_refuses_lines_over_100_percent():
    line = FundingRuleLineFactory(percentage=D("80"))
    other = FundingSourceFactory(contract=line.rule.contract)
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingRuleLine.objects.create(rule=line.rule, source=other, percentage=D("30"))
        # The trigger is deferred: it fires when the transaction commits its constraints.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
