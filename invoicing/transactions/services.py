"""Every write to project transactions: single entries, their prices and checks, and their
funding (allocated as each transaction is recorded, released when it is deleted)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from contracts.models import (
    INVOICEABLE_PROJECT_TYPES,
    Item,
    ProjectContract,
    ProjectStatus,
    TransactionKind,
    Worker,
)
from contracts.money import round_money
from contracts.services import with_history_user
from funding import allocation
from funding import selectors as funding_selectors
from funding.models import FundingLimit
from invoicing.transactions import bulk
from invoicing.transactions.models import ProjectTransaction, TransactionAllocation

TRANSACTION_LOCKED = gettext_lazy(
    "This transaction is in an invoice proposal or invoiced, so it cannot be changed or deleted."
)
WRONG_CURRENCY = gettext_lazy("The currency must be the contract's currency, %(currency)s.")
PROJECT_CLOSED = gettext_lazy("The project is closed; no more work can be recorded on it.")


class TransactionLocked(ValidationError):
    def __init__(self) -> None:
        super().__init__(TRANSACTION_LOCKED, code="transaction_locked")


# ------------------------------------------------------------------------------------------
# Funding at entry
# ------------------------------------------------------------------------------------------


ALLOCATION_FIELDS = (
    "transaction_id",
    "source_id",
    "amount",
    "rule_id",
    "priority",
    "percentage",
    "binding_limit_id",
    "limit_ids",
    "rounding_adjustment",
    "is_on_hold",
)


def _facts(transaction_id, *, amount, date, currency, kind, project_id, ancestor_ids, worker_id,
           item_id, category_id, category_group_id) -> allocation.TransactionFacts:  # fmt: skip
    return allocation.TransactionFacts(
        key=transaction_id,
        amount=amount,
        date=date,
        currency=currency,
        kind=kind,
        project_id=project_id,
        worker_id=worker_id,
        item_id=item_id,
        category_id=category_id,
        category_group_id=category_group_id,
        project_ancestor_ids=ancestor_ids,
    )


@dataclass
class FundingSession:
    """The funding of one writer's transactions, allocated in as many batches as it likes:
    the contracts' limits locked, their set-ups read once, and the usage carried from one
    batch to the next (``transactions_funding_open``, ``funding_allocate``,
    ``transactions_funding_close``)."""

    limits: list[FundingLimit]
    setups: dict[int, allocation.FundingSetup]
    usage: dict[int, Decimal]


def transactions_funding_open(*, contracts: Sequence[ProjectContract]) -> FundingSession:
    """Lock the limits of the contracts (in primary-key order, so two writers cannot
    deadlock) and read their funding set-ups. Must run in a transaction."""
    contract_ids = [contract.pk for contract in contracts]
    limits = list(
        FundingLimit.objects.select_for_update()
        .filter(source__contract_id__in=contract_ids)
        .order_by("pk")
    )
    return FundingSession(
        limits=limits,
        setups=funding_selectors.funding_setups(contracts=contracts),
        usage={limit.pk: limit.used_amount for limit in limits},
    )


def funding_allocate(session: FundingSession, facts_by_contract: dict) -> list[tuple]:
    """Allocation rows (``ALLOCATION_FIELDS`` order) of one batch of chargeable transactions,
    by contract; the usage is carried in the session. Pure: no query, so it may run while the
    connection writes the previous batch."""
    rows: list[tuple] = []
    usage = session.usage
    for contract_id in sorted(facts_by_contract):
        facts = facts_by_contract[contract_id]
        if not facts:
            continue
        results, usage = allocation.allocate_batch(facts, session.setups[contract_id], usage)
        for result in results:
            for share in result.allocations:
                rows.append(
                    (
                        result.transaction_key,
                        share.source_id,
                        share.amount,
                        share.rule_id,
                        share.priority,
                        share.percentage,
                        share.binding_limit_id,
                        list(share.limit_ids or ()),
                        share.rounding_adjustment,
                        share.is_on_hold,
                    )
                )
    session.usage = usage
    return rows


def transactions_funding_close(*, session: FundingSession) -> None:
    """Save the limits' new usage."""
    changed = [
        limit
        for limit in session.limits
        if session.usage.get(limit.pk, limit.used_amount) != limit.used_amount
    ]
    for limit in changed:
        limit.used_amount = session.usage[limit.pk]
    FundingLimit.objects.bulk_update(changed, ["used_amount"])


def transactions_fund(
    *, contracts: Sequence[ProjectContract], facts_by_contract: dict
) -> list[tuple]:
    """Allocate chargeable transactions to funding sources, carrying limit usage forward.

    Locks the limits of the contracts (in primary-key order, so two writers cannot deadlock),
    runs the pure engine in one batch per contract, saves the new usage, and returns allocation
    rows in ``ALLOCATION_FIELDS`` order for the caller to insert. Must run in a transaction.
    """
    session = transactions_funding_open(contracts=contracts)
    rows = funding_allocate(
        session, {contract.pk: facts_by_contract.get(contract.pk) for contract in contracts}
    )
    transactions_funding_close(session=session)
    return rows


def transaction_allocations_release(*, transaction_ids: Sequence[int]) -> None:
    """Give the headroom of the transactions' allocations back to their limits, and delete them."""
    allocations = list(TransactionAllocation.objects.filter(transaction_id__in=transaction_ids))
    released: dict[int, Decimal] = defaultdict(Decimal)
    for share in allocations:
        for limit_id in share.limit_ids:
            released[limit_id] += share.amount
    if released:
        limits = list(
            FundingLimit.objects.select_for_update().filter(pk__in=released).order_by("pk")
        )
        for limit in limits:
            limit.used_amount = max(Decimal("0"), limit.used_amount - released[limit.pk])
        FundingLimit.objects.bulk_update(limits, ["used_amount"])
    TransactionAllocation.objects.filter(transaction_id__in=transaction_ids).delete()


def _transaction_fund(record: ProjectTransaction) -> None:
    if not record.is_chargeable or record.project.contract_id is None:
        return
    project = record.project
    facts = _facts(
        record.pk,
        amount=record.sales_amount,
        date=record.date,
        currency=record.currency,
        kind=record.kind,
        project_id=project.pk,
        ancestor_ids=funding_selectors.project_ancestor_ids(project=project),
        worker_id=record.worker_id,
        item_id=record.item_id,
        category_id=record.category_id,
        category_group_id=record.category.group_id,
    )
    rows = transactions_fund(
        contracts=[project.contract], facts_by_contract={project.contract_id: [facts]}
    )
    bulk.rows_insert(TransactionAllocation, ALLOCATION_FIELDS, rows)


# ------------------------------------------------------------------------------------------
# Single transactions
# ------------------------------------------------------------------------------------------


def transaction_prices_default(
    *, kind: str, worker: Worker | None, item: Item | None, cost_price, sales_price
) -> tuple[Decimal, Decimal]:
    """Cost and sales price, defaulted from the worker's rates (hours) or the item's prices;
    expenses without a sales price are billed at cost."""
    if cost_price is None:
        if kind == TransactionKind.HOUR and worker is not None:
            cost_price = worker.cost_rate
        elif item is not None:
            cost_price = item.cost_price
        else:
            cost_price = Decimal("0")
    if sales_price is None:
        if kind == TransactionKind.HOUR and worker is not None:
            sales_price = worker.sales_rate
        elif item is not None:
            sales_price = item.sales_price
        else:
            sales_price = cost_price
    return cost_price, sales_price


def transaction_defaults_apply(*, record: ProjectTransaction) -> None:
    """Fill what a clerk may leave empty: prices from the worker or item, chargeability,
    currency, and the rounded amounts."""
    project = record.project
    record.cost_price, record.sales_price = transaction_prices_default(
        kind=record.kind,
        worker=record.worker if record.worker_id else None,
        item=record.item if record.item_id else None,
        cost_price=record.cost_price,
        sales_price=record.sales_price,
    )
    if project.contract_id and not record.currency:
        record.currency = project.contract.currency
    record.is_chargeable = project.project_type in INVOICEABLE_PROJECT_TYPES and (
        record.line_property.is_chargeable if record.line_property_id else True
    )
    record.cost_amount = round_money(record.quantity * record.cost_price, record.currency or None)
    record.sales_amount = round_money(record.quantity * record.sales_price, record.currency or None)


def transaction_validate(*, record: ProjectTransaction) -> None:
    errors: dict[str, list] = {}
    project = record.project
    if project.status == ProjectStatus.CLOSED:
        errors.setdefault("project", []).append(PROJECT_CLOSED)
    if project.contract_id and record.currency != project.contract.currency:
        errors.setdefault("currency", []).append(
            WRONG_CURRENCY % {"currency": project.contract.currency}
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def transaction_record(
    *, record: ProjectTransaction, actor: AbstractBaseUser | None
) -> ProjectTransaction:
    """Record one transaction and allocate it to funding sources (if chargeable)."""
    transaction_defaults_apply(record=record)
    transaction_validate(record=record)
    record.full_clean()
    with_history_user(record, actor).save()
    _transaction_fund(record)
    return record


@transaction.atomic
def transaction_update(
    *, record: ProjectTransaction, actor: AbstractBaseUser | None
) -> ProjectTransaction:
    """Change an uninvoiced transaction; its funding is released and allocated again."""
    stored = ProjectTransaction.objects.select_for_update().get(pk=record.pk)
    if stored.is_locked:
        raise TransactionLocked()
    if record.description != stored.description:
        # A text typed over a billing rule's is the clerk's: it has no kind (issue 16).
        record.description_kind, record.description_params = "", None
    transaction_defaults_apply(record=record)
    transaction_validate(record=record)
    record.full_clean()
    transaction_allocations_release(transaction_ids=[record.pk])
    with_history_user(record, actor).save()
    _transaction_fund(record)
    return record


@transaction.atomic
def transaction_delete(*, record: ProjectTransaction, actor: AbstractBaseUser | None) -> None:
    """Delete an uninvoiced transaction and give its funding headroom back."""
    stored = ProjectTransaction.objects.select_for_update().get(pk=record.pk)
    if stored.is_locked:
        raise TransactionLocked()
    transaction_allocations_release(transaction_ids=[record.pk])
    with_history_user(stored, actor).delete()
