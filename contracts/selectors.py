"""Reads shared by views (and later PDFs and the API). Each runs a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from contracts.currencies import country_currency
from contracts.models import (
    BillingRule,
    Budget,
    Customer,
    ExchangeRate,
    LegalEntity,
    Milestone,
    Project,
    ProjectContract,
)
from contracts.money import percent_of

HISTORY_LIMIT = 50
#: How much older than the day it is used for a rate may be: the banks publish none on
#: weekends and holidays (Easter closes them four days in a row).
EXCHANGE_RATE_MAX_AGE_DAYS = 7


def contract_list() -> QuerySet[ProjectContract]:
    """Contracts with what the list shows, in one query whatever the number of rows."""
    return ProjectContract.objects.select_related("customer", "legal_entity").annotate(
        project_count=Count("projects", distinct=True)
    )


def contract_defaults(*, customer: Customer | None) -> dict[str, object]:
    """What a new contract starts from (primary keys and codes, at most four queries): the
    legal entity when there is only one; the customer's payment terms; the currency and default
    tax group of the customer's latest contract. A customer's first contract takes the tax
    group of the latest contract with a customer in the same country (a German customer gets
    what German customers had: reverse charge) and the currency of the customer's country when
    it is one of the common ones, else the legal entity's."""
    defaults: dict[str, object] = {}
    entities = list(LegalEntity.objects.only("pk", "base_currency")[:2])
    entity = entities[0] if len(entities) == 1 else None
    if entity is not None:
        defaults["legal_entity"] = entity.pk
    if customer is None:
        return defaults
    defaults["payment_terms"] = customer.payment_terms_id
    latest = (
        ProjectContract.objects.filter(customer=customer)
        .order_by("-start_date", "-pk")
        .values("currency", "default_tax_group")
        .first()
    )
    if latest is None:
        latest = {
            "currency": country_currency(str(customer.country))
            or (entity.base_currency if entity else None),
            "default_tax_group": ProjectContract.objects.filter(customer__country=customer.country)
            .order_by("-start_date", "-pk")
            .values_list("default_tax_group", flat=True)
            .first(),
        }
    defaults.update({key: value for key, value in latest.items() if value})
    return defaults


def contract_detail(*, pk: int) -> ProjectContract:
    """A contract with its projects (and their budgets) prefetched."""
    budgets = Budget.objects.select_related("category", "category__group")
    projects = Project.objects.select_related("parent", "tax_group", "manager").prefetch_related(
        Prefetch("budgets", queryset=budgets)
    )
    return (
        ProjectContract.objects.select_related(
            "customer", "legal_entity", "default_tax_group", "payment_terms"
        )
        .prefetch_related(Prefetch("projects", queryset=projects.order_by("code")))
        .get(pk=pk)
    )


def buyer_reference_effective(
    *, contract: ProjectContract, customer: Customer | None = None
) -> str:
    """The buyer reference (BT-10) an invoice of this contract carries: the contract's own,
    else the default of the customer invoiced (``customer``, the contract's customer when not
    given; a funder invoiced instead has its own); blank when neither has one. The one place
    that decides it: posting freezes what it returns."""
    return contract.buyer_reference or (customer or contract.customer).buyer_reference


def project_detail(*, pk: int) -> Project:
    budgets = Budget.objects.select_related("category", "category__group")
    return (
        Project.objects.select_related("contract", "parent", "tax_group", "manager")
        .prefetch_related(
            Prefetch("budgets", queryset=budgets),
            Prefetch("subprojects", queryset=Project.objects.order_by("code")),
        )
        .get(pk=pk)
    )


def budget_totals(budgets) -> dict:
    """Cost and revenue totals of already fetched budget lines (no query)."""
    return {
        "cost": sum((b.cost_amount for b in budgets), start=0),
        "revenue": sum((b.revenue_amount for b in budgets), start=0),
    }


def contract_budget_totals(*, contract: ProjectContract) -> dict:
    return Budget.objects.filter(project__contract=contract).aggregate(
        cost=Sum("cost_amount"), revenue=Sum("revenue_amount")
    )


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    action: str
    label: str
    changes: list[tuple[str, str, str]]


_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def history_entries(*querysets: QuerySet, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """Newest-first history of one or more objects' history querysets, with field changes.

    Each queryset is read once (newest ``limit`` records plus one to diff the oldest shown).
    """
    entries: list[HistoryEntry] = []
    for queryset in querysets:
        records = list(
            queryset.select_related("history_user").order_by("-history_date", "-history_id")[
                : limit + 1
            ]
        )
        # Records of several objects can be mixed (e.g. all budgets of a project): diff per object.
        previous_by_object: dict = {}
        for record in reversed(records):
            object_id = getattr(record, record.instance_type._meta.pk.attname)
            previous = previous_by_object.get(object_id)
            changes = []
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(previous)
                for change in delta.changes:
                    field = record.instance_type._meta.get_field(change.field)
                    changes.append(
                        (str(field.verbose_name), _display(change.old), _display(change.new))
                    )
            previous_by_object[object_id] = record
            entries.append(
                HistoryEntry(
                    when=record.history_date,
                    who=record.history_user.get_username() if record.history_user else "",
                    action=_ACTIONS.get(record.history_type, record.history_type),
                    label=str(record.instance_type._meta.verbose_name),
                    changes=changes,
                )
            )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


def _display(value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return "" if value is None else str(value)


def milestone_timeline(*, contract: ProjectContract) -> list[Milestone]:
    """The contract's milestones in due-date order, with who completed them (one query)."""
    return list(
        Milestone.objects.filter(contract=contract)
        .select_related("completed_by", "project", "contract")
        .order_by("due_date", "sequence", "pk")
    )


def milestone_value(milestone: Milestone, contract: ProjectContract):
    """The milestone's amount: fixed, or its percentage of the contract value (half-up)."""
    if milestone.amount is not None:
        return milestone.amount
    return percent_of(contract.contract_value, milestone.percent, contract.currency)


def schedule_summary(*, contract: ProjectContract, milestones: list[Milestone]) -> dict:
    """Totals of a schedule by status, from already fetched milestones (no query)."""
    totals = {"planned": Decimal("0"), "completed": Decimal("0"), "invoiced": Decimal("0")}
    for milestone in milestones:
        milestone.value = milestone_value(milestone, contract)
        totals[milestone.status] += milestone.value
    scheduled = sum(totals.values(), start=Decimal("0"))
    return {
        **totals,
        "scheduled": scheduled,
        "unscheduled": contract.contract_value - scheduled,
        "overdue": sum(1 for milestone in milestones if milestone.is_overdue),
    }


def billing_rules(*, contract: ProjectContract) -> list[BillingRule]:
    return list(
        BillingRule.objects.filter(contract=contract)
        .prefetch_related("projects", "chargeable_categories", "caps__category")
        .order_by("pk")
    )


def exchange_rate_for(
    *, currency: str, quote_currency: str, on_date: dt.date
) -> ExchangeRate | None:
    """The rate of ``currency`` in ``quote_currency`` to use on ``on_date``: the newest one on
    or before that day and at most ``EXCHANGE_RATE_MAX_AGE_DAYS`` older; None when there is
    none (a rate dated after the day is never used). One query."""
    oldest = on_date - dt.timedelta(days=EXCHANGE_RATE_MAX_AGE_DAYS)
    return (
        ExchangeRate.objects.filter(
            currency=currency,
            quote_currency=quote_currency,
            rate_date__lte=on_date,
            rate_date__gte=oldest,
        )
        .order_by("-rate_date")
        .first()
    )


def exchange_rate_list() -> QuerySet[ExchangeRate]:
    """Rates newest first, with who entered them, in one query whatever the number of rows."""
    return ExchangeRate.objects.select_related("created_by").order_by(
        "-rate_date", "currency", "quote_currency"
    )
