"""Reads of a contract's funding set-up, shared by the funding tab, the simulator and billing."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.models import Project, ProjectContract
from contracts.setup_checklist import SetupStep
from funding import allocation
from funding.models import FundingLimit, FundingRule, FundingRuleLine, FundingSource, SourceType


def funding_sources(*, contract: ProjectContract) -> QuerySet[FundingSource]:
    return FundingSource.objects.filter(contract=contract).select_related("customer")


def funding_limits(*, contract: ProjectContract) -> QuerySet[FundingLimit]:
    return FundingLimit.objects.filter(source__contract=contract).select_related(
        "source", "project", "category", "worker", "item"
    )


def funding_rules(*, contract: ProjectContract) -> QuerySet[FundingRule]:
    lines = FundingRuleLine.objects.select_related("source").order_by("pk")
    return (
        FundingRule.objects.filter(contract=contract)
        .select_related("project", "worker", "item", "category", "category_group")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("priority", "pk")
    )


def _none_if_blank(value):
    return value or None


def funding_setup(
    *, contract: ProjectContract, sources=None, limits=None, rules=None
) -> allocation.FundingSetup:
    """The contract's funding as the pure engine's ``FundingSetup`` (three queries, or none
    when the caller passes already fetched sources, limits and rules)."""
    sources = list(funding_sources(contract=contract) if sources is None else sources)
    limits = list(funding_limits(contract=contract) if limits is None else limits)
    rules = list(funding_rules(contract=contract) if rules is None else rules)
    return allocation.FundingSetup(
        currency=contract.currency,
        rules=tuple(
            allocation.FundingRule(
                id=rule.pk,
                priority=rule.priority,
                lines=tuple(
                    allocation.AllocationLine(source_id=line.source_id, percentage=line.percentage)
                    for line in rule.lines.all()
                ),
                project_id=rule.project_id,
                worker_id=rule.worker_id,
                item_id=rule.item_id,
                category_id=rule.category_id,
                category_group_id=rule.category_group_id,
                kind=_none_if_blank(rule.kind),
                valid_from=rule.valid_from,
                valid_to=rule.valid_to,
                name=rule.name,
            )
            for rule in rules
            if rule.lines.all()
        ),
        limits=tuple(
            allocation.FundingLimit(
                id=limit.pk,
                source_id=limit.source_id,
                amount=limit.amount,
                project_id=limit.project_id,
                category_id=limit.category_id,
                worker_id=limit.worker_id,
                item_id=limit.item_id,
                kind=_none_if_blank(limit.kind),
                date_from=limit.date_from,
                date_to=limit.date_to,
            )
            for limit in limits
        ),
        rounding_source_id=next((s.pk for s in sources if s.is_rounding_source), None),
        on_hold_source_id=next((s.pk for s in sources if s.is_on_hold), None),
        source_names={source.pk: source.name for source in sources},
    )


def limit_usage(limits) -> dict:
    """What each limit has used so far, from already fetched limits (no query)."""
    return {limit.pk: limit.used_amount for limit in limits}


def project_ancestor_ids(*, project: Project) -> tuple:
    """Parent, grandparent, ... of a project (one query per level; trees are shallow)."""
    ancestors = []
    current = project.parent
    seen = {project.pk}
    while current is not None and current.pk not in seen:
        ancestors.append(current.pk)
        seen.add(current.pk)
        current = current.parent
    return tuple(ancestors)


def funding_setups(*, contracts) -> dict[int, allocation.FundingSetup]:
    """Funding set-ups of many contracts in three queries (for billing runs and imports)."""
    contract_ids = [contract.pk for contract in contracts]
    sources_by_contract: dict[int, list] = {pk: [] for pk in contract_ids}
    limits_by_contract: dict[int, list] = {pk: [] for pk in contract_ids}
    rules_by_contract: dict[int, list] = {pk: [] for pk in contract_ids}
    for source in FundingSource.objects.filter(contract_id__in=contract_ids):
        sources_by_contract[source.contract_id].append(source)
    for limit in FundingLimit.objects.filter(source__contract_id__in=contract_ids).select_related(
        "source"
    ):
        limits_by_contract[limit.source.contract_id].append(limit)
    lines = FundingRuleLine.objects.order_by("pk")
    rules = (
        FundingRule.objects.filter(contract_id__in=contract_ids)
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("priority", "pk")
    )
    for rule in rules:
        rules_by_contract[rule.contract_id].append(rule)
    return {
        contract.pk: funding_setup(
            contract=contract,
            sources=sources_by_contract[contract.pk],
            limits=limits_by_contract[contract.pk],
            rules=rules_by_contract[contract.pk],
        )
        for contract in contracts
    }


def contract_funding_steps(contract: ProjectContract) -> list[SetupStep]:
    """The contract set-up checklist's funding steps (registered in ``FundingConfig.ready``):
    an invoiced funder (customer or grant) and a funding rule with allocation lines. One
    query."""
    figures = ProjectContract.objects.filter(pk=contract.pk).aggregate(
        invoiced_funders=models.Count(
            "funding_sources",
            filter=~models.Q(funding_sources__source_type=SourceType.ORGANIZATION),
            distinct=True,
        ),
        rules_with_lines=models.Count(
            "funding_rules",
            filter=models.Q(Exists(FundingRuleLine.objects.filter(rule=OuterRef("funding_rules")))),
            distinct=True,
        ),
    )
    kwargs = {"contract_pk": contract.pk}
    return [
        SetupStep(
            order=20,
            title=_("A funder who is invoiced"),
            is_done=figures["invoiced_funders"] > 0,
            missing=_("No customer or grant funder: there is nobody to send an invoice to."),
            fix_url=reverse("funding:source_create", kwargs=kwargs),
            fix_label=_("Add a funder"),
            permission="funding.add_fundingsource",
        ),
        SetupStep(
            order=30,
            title=_("A funding rule"),
            is_done=figures["rules_with_lines"] > 0,
            missing=_("No funding rule shares the work among the funders: it all waits on hold."),
            fix_url=reverse("funding:rule_create", kwargs=kwargs),
            fix_label=_("Add a funding rule"),
            permission="funding.add_fundingrule",
        ),
    ]
