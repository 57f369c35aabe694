"""The funding set-up through the ORM: constraints, services, and F1 end to end."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from funding import services
from funding.models import FundingLimit, FundingRule, FundingRuleLine
from funding.services import SimulationInput
from tests.factories import (
    CategoryFactory,
    FundingLimitFactory,
    FundingRuleFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    ProjectContractFactory,
    ProjectFactory,
    WorkerFactory,
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
    assert error.value.messages == [
        "The percentages of a rule add up to 100.01 %; they can add up to at most 100 %."
    ]
    assert not FundingRuleLine.objects.exists()


def test_rule_lines_must_use_sources_of_the_same_contract():
    rule = FundingRuleFactory()
    stranger = FundingSourceFactory()
    with pytest.raises(ValidationError) as error:
        services.funding_rule_save(
            rule=rule,
            lines=[services.RuleLineData(source=stranger, percentage=D("100"))],
            actor=None,
        )
    assert error.value.messages == ["This funding source belongs to another contract."]
    assert not FundingRuleLine.objects.exists()


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


# ------------------------------------------------------------------------------------------
# Editing and deleting limits and rules that transactions have used
# ------------------------------------------------------------------------------------------


def record_hours(contract, amount: str):
    """Record one chargeable hour worth ``amount`` on the contract (funded at entry)."""
    from invoicing.transactions.models import ProjectTransaction
    from invoicing.transactions.services import transaction_record

    project = contract.projects.first() or ProjectFactory(contract=contract)
    record = ProjectTransaction(
        kind="hour", date=datetime.date(2026, 3, 2), project=project,
        category=CategoryFactory(kind="hour"), worker=WorkerFactory(sales_rate=D(amount)),
        quantity=D("1"), cost_price=None, sales_price=None, currency="",
    )  # fmt: skip
    return transaction_record(record=record, actor=None)


def used_f1():
    """F1 after a 1,000.00 transaction: source 2 used 500.00 (all), source 3 500.00 of 750.00."""
    contract, sources = f1_contract()
    record_hours(contract, "1000.00")
    limits = [source.limits.get() for source in sources]
    assert [limit.used_amount for limit in limits] == [D("0.00"), D("500.00"), D("500.00")]
    return contract, sources, limits


def test_raising_a_used_limit_keeps_what_is_used():
    _contract, _sources, (_l1, _l2, limit_3) = used_f1()
    limit_3.amount = D("900.00")
    services.funding_limit_save(limit=limit_3, actor=None)
    limit_3.refresh_from_db()
    assert (limit_3.amount, limit_3.used_amount) == (D("900.00"), D("500.00"))
    assert limit_3.remaining_amount == D("400.00")


def test_saving_a_stale_copy_of_a_limit_keeps_the_usage_recorded_since():
    contract, _sources, (_l1, _l2, limit_3) = used_f1()
    stale = FundingLimit.objects.get(pk=limit_3.pk)  # read by an edit form: 500.00 used
    record_hours(contract, "100.00")  # source 2 is exhausted: rule 2 gives it all to source 3
    stale.amount = D("900.00")
    services.funding_limit_save(limit=stale, actor=None)
    limit_3.refresh_from_db()
    assert (limit_3.amount, limit_3.used_amount) == (D("900.00"), D("600.00"))
    assert limit_3.remaining_amount == D("300.00")


def test_narrowing_a_used_limits_dates_keeps_what_is_used():
    _contract, _sources, (_l1, _l2, limit_3) = used_f1()
    limit_3.date_from, limit_3.date_to = datetime.date(2026, 4, 1), datetime.date(2026, 12, 31)
    services.funding_limit_save(limit=limit_3, actor=None)
    limit_3.refresh_from_db()
    assert (limit_3.date_from, limit_3.used_amount) == (datetime.date(2026, 4, 1), D("500.00"))
    assert limit_3.remaining_amount == D("250.00")


def test_a_limit_cannot_be_lowered_below_what_is_used():
    _contract, _sources, (_l1, _l2, limit_3) = used_f1()
    limit_3.amount = D("499.99")
    with pytest.raises(ValidationError) as refused:
        services.funding_limit_save(limit=limit_3, actor=None)
    assert refused.value.messages == ["A funding limit cannot be lower than what is already used."]
    limit_3.refresh_from_db()
    assert (limit_3.amount, limit_3.used_amount) == (D("750.00"), D("500.00"))


def test_deleting_a_used_limit_removes_the_cap_but_keeps_the_allocations(user_with_role):
    # The product's current behaviour: nothing stops it; what was allocated stays allocated.
    from invoicing.transactions.models import TransactionAllocation

    contract, (_s1, source_2, _s3), (_l1, limit_2, _l3) = used_f1()
    clerk = user_with_role("finance_clerk")
    limit_id = limit_2.pk
    services.funding_limit_delete(limit=limit_2, actor=clerk)
    assert not FundingLimit.objects.filter(pk=limit_id).exists()
    assert FundingLimit.history.filter(id=limit_id, history_type="-").get().history_user == clerk
    [share] = TransactionAllocation.objects.filter(source=source_2)
    assert (share.amount, share.binding_limit_id, share.limit_ids) == (
        D("500.00"),
        None,
        [limit_id],
    )
    # Source 2 is no longer capped: rule 1 gives it half of a new amount again.
    assert simulate(contract, "100.00")[source_2.pk] == D("50.00")


def test_deleting_a_rule_deletes_its_lines_and_keeps_the_allocations(user_with_role):
    from invoicing.transactions.models import TransactionAllocation

    contract, (source_1, source_2, source_3), _limits = used_f1()
    rule_1 = contract.funding_rules.get(priority=1)
    rule_id, line_ids = rule_1.pk, list(rule_1.lines.values_list("pk", flat=True))
    clerk = user_with_role("finance_clerk")
    services.funding_rule_delete(rule=rule_1, actor=clerk)
    assert not FundingRule.objects.filter(pk=rule_id).exists()
    assert not FundingRuleLine.objects.filter(pk__in=line_ids).exists()
    assert FundingRule.history.filter(id=rule_id, history_type="-").get().history_user == clerk
    shares = TransactionAllocation.objects.filter(source__in=[source_2, source_3])
    assert sorted((share.amount, share.rule_id) for share in shares) == [
        (D("500.00"), None),
        (D("500.00"), None),
    ]
    # Without rule 1, source 3 (rule 2) pays what its limit has left, source 1 the rest.
    assert simulate(contract, "1000.00") == {source_3.pk: D("250.00"), source_1.pk: D("750.00")}
