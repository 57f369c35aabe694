"""Every write to a contract's funding set-up, and the simulator (which writes nothing)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from contracts.models import Category, Item, Project, ProjectContract, Worker
from contracts.services import with_history_user
from funding import allocation, selectors
from funding.models import FundingLimit, FundingRule, FundingRuleLine, FundingSource

LINES_OVER_100 = _(
    "The percentages of a rule add up to %(total)s %%; they can add up to at most 100 %%."
)
RULE_NEEDS_LINE = _("A rule needs at least one allocation line.")
SOURCE_OF_OTHER_CONTRACT = _("This funding source belongs to another contract.")
PROJECT_OF_OTHER_CONTRACT = _("This project belongs to another contract.")
SOURCE_TWICE = _("Each funding source can appear only once in a rule.")


@dataclass(frozen=True)
class RuleLineData:
    source: FundingSource
    percentage: Decimal


@transaction.atomic
def funding_source_save(*, source: FundingSource, actor: AbstractBaseUser | None) -> FundingSource:
    """Validate and save a funding source (one on-hold and one rounding source per contract)."""
    source.full_clean()
    with_history_user(source, actor).save()
    return source


def funding_limit_validate(*, limit: FundingLimit) -> None:
    if limit.project_id and limit.project.contract_id != limit.source.contract_id:
        raise ValidationError({"project": [PROJECT_OF_OTHER_CONTRACT]})


@transaction.atomic
def funding_limit_save(*, limit: FundingLimit, actor: AbstractBaseUser | None) -> FundingLimit:
    """Validate and save a limit. The database refuses a limit below what is already used."""
    if limit.pk:
        # Usage is kept by the allocation services; lock it and never take it from a form.
        stored = FundingLimit.objects.select_for_update().get(pk=limit.pk)
        limit.used_amount = stored.used_amount
    limit.full_clean()
    funding_limit_validate(limit=limit)
    with_history_user(limit, actor).save()
    return limit


def funding_rule_lines_validate(
    *, contract: ProjectContract, lines: Sequence[RuleLineData]
) -> None:
    """Raise ``ValidationError`` unless the lines can form a rule of ``contract``."""
    if not lines:
        raise ValidationError(RULE_NEEDS_LINE)
    if any(line.source.contract_id != contract.pk for line in lines):
        raise ValidationError(SOURCE_OF_OTHER_CONTRACT)
    if len({line.source.pk for line in lines}) != len(lines):
        raise ValidationError(SOURCE_TWICE)
    total = sum((line.percentage for line in lines), start=Decimal("0"))
    if total > 100:
        raise ValidationError(LINES_OVER_100, params={"total": total})


@transaction.atomic
def funding_rule_save(
    *, rule: FundingRule, lines: Sequence[RuleLineData], actor: AbstractBaseUser | None
) -> FundingRule:
    """Save a rule and replace its allocation lines, all or nothing."""
    rule.full_clean()
    if rule.project_id and rule.project.contract_id != rule.contract_id:
        raise ValidationError({"project": [PROJECT_OF_OTHER_CONTRACT]})
    funding_rule_lines_validate(contract=rule.contract, lines=lines)
    with_history_user(rule, actor).save()
    for existing in rule.lines.all():
        with_history_user(existing, actor).delete()
    for line in lines:
        with_history_user(
            FundingRuleLine(rule=rule, source=line.source, percentage=line.percentage), actor
        ).save()
    return rule


@transaction.atomic
def funding_rule_delete(*, rule: FundingRule, actor: AbstractBaseUser | None) -> None:
    for line in rule.lines.all():
        with_history_user(line, actor).delete()
    with_history_user(rule, actor).delete()


@transaction.atomic
def funding_limit_delete(*, limit: FundingLimit, actor: AbstractBaseUser | None) -> None:
    with_history_user(limit, actor).delete()


@dataclass(frozen=True)
class SimulationInput:
    amount: Decimal
    date: datetime.date
    kind: str
    project: Project | None = None
    worker: Worker | None = None
    item: Item | None = None
    category: Category | None = None


def funding_simulate(
    *, contract: ProjectContract, simulation: SimulationInput
) -> allocation.AllocationResult:
    """How ``simulation`` would be split today, given what the limits have used. Saves nothing."""
    return funding_simulate_batch(contract=contract, simulations=[simulation])[0]


def funding_simulate_batch(
    *, contract: ProjectContract, simulations: Sequence[SimulationInput]
) -> list[allocation.AllocationResult]:
    """How ``simulations`` would be split if they were recorded in this order today: each one
    uses the limits' headroom that the ones before it left, as recording them would. Saves
    nothing."""
    limits = list(selectors.funding_limits(contract=contract))
    setup = selectors.funding_setup(contract=contract, limits=limits)
    facts = [
        allocation.TransactionFacts(
            key=f"simulation-{position}",
            amount=simulation.amount,
            date=simulation.date,
            currency=contract.currency,
            kind=simulation.kind,
            project_id=simulation.project.pk if simulation.project else None,
            worker_id=simulation.worker.pk if simulation.worker else None,
            item_id=simulation.item.pk if simulation.item else None,
            category_id=simulation.category.pk if simulation.category else None,
            category_group_id=simulation.category.group_id if simulation.category else None,
            project_ancestor_ids=(
                selectors.project_ancestor_ids(project=simulation.project)
                if simulation.project
                else ()
            ),
        )
        for position, simulation in enumerate(simulations)
    ]
    results, _usage = allocation.allocate_batch(facts, setup, selectors.limit_usage(limits))
    return results
