"""A billing run: proposals for every active contract up to a date, in chunks of contracts, as a
background task with progress; one contract's problem is recorded and the others go on.

A run can be stopped at any moment (its worker killed, the database restarted) and resumed:
contracts are billed in primary-key order and each chunk commits, with its proposals, the cursor
``last_contract_id`` and a heartbeat, under the run's row lock. A resumed run starts after the
cursor, so every contract is billed exactly once however often the run is interrupted."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from contracts.models import (
    BillingRule,
    ContractStatus,
    ProjectContract,
)
from invoicing.proposals.generation import LineNames, NothingToBill, proposals_generate
from invoicing.proposals.models import (
    BillingRun,
)
from invoicing.proposals.state import RUN_CHUNK
from invoicing.proposals.statistics import query_plans_renew

logger = logging.getLogger(__name__)

RUN_FAILED = gettext_lazy(
    "The billing run stopped: %(error)s. Contracts billed before are kept; resume the run to "
    "bill the others."
)


class RunSuperseded(Exception):
    """The run was resumed by another task, or finished: this task must stop."""


def billing_run_execute(*, run_id: int, attempt: int | None = None) -> None:
    """Generate proposals for every active contract up to the run's date that this run has not
    billed yet. ``attempt`` is the run's attempt the task was queued for: a task of an earlier
    attempt stops without billing anything. Any unexpected error marks the run failed with
    its reason (contracts billed before stay billed, and the run can be resumed)."""
    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    if run.status != BillingRun.Status.RUNNING or (attempt is not None and run.attempts != attempt):
        return
    try:
        _billing_run_work(run, attempt=run.attempts)
    except RunSuperseded:
        return
    except Exception as error:  # noqa: BLE001 - any failure must leave the run explained
        logger.exception("Billing run %s failed", run_id)
        BillingRun.objects.filter(
            pk=run_id, status=BillingRun.Status.RUNNING, attempts=run.attempts
        ).update(
            status=BillingRun.Status.FAILED,
            message=str(RUN_FAILED % {"error": error}),
            finished_at=timezone.now(),
        )


def _billing_run_work(run: BillingRun, *, attempt: int) -> None:
    after = run.last_contract_id or 0
    contracts = list(
        ProjectContract.objects.filter(status=ContractStatus.ACTIVE, pk__gt=after).order_by("pk")
    )
    BillingRun.objects.filter(pk=run.pk, attempts=attempt).update(
        total_contracts=run.processed_contracts + len(contracts), heartbeat_at=timezone.now()
    )
    names = LineNames.load()
    rules_by_contract: dict[int, list[BillingRule]] = defaultdict(list)
    all_rules = (
        BillingRule.objects.filter(contract__in=contracts, is_active=True)
        .prefetch_related("projects", "chargeable_categories", "caps")
        .order_by("pk")
    )
    for rule in all_rules:
        rules_by_contract[rule.contract_id].append(rule)
    for start in range(0, len(contracts), RUN_CHUNK):
        with transaction.atomic():
            locked = BillingRun.objects.select_for_update().get(pk=run.pk)
            if locked.status != BillingRun.Status.RUNNING or locked.attempts != attempt:
                raise RunSuperseded
            chunk = [
                contract
                for contract in contracts[start : start + RUN_CHUNK]
                if contract.pk > (locked.last_contract_id or 0)
            ]
            if not chunk:
                continue
            created, problems = _billing_run_chunk(run, chunk, names, rules_by_contract)
            locked.last_contract_id = chunk[-1].pk
            locked.processed_contracts += len(chunk)
            locked.proposals_created += created
            locked.problems = [*locked.problems, *problems]
            locked.heartbeat_at = timezone.now()
            locked.save(
                update_fields=[
                    "last_contract_id",
                    "processed_contracts",
                    "proposals_created",
                    "problems",
                    "heartbeat_at",
                ]
            )
    BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.RUNNING, attempts=attempt).update(
        status=BillingRun.Status.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


def _billing_run_chunk(
    run: BillingRun,
    chunk: list[ProjectContract],
    names: LineNames,
    rules_by_contract: dict[int, list[BillingRule]],
) -> tuple[int, list[list[str]]]:
    """Bill each contract of a chunk; each is its own savepoint (proposals_generate is atomic),
    so a refusal rolls back only that contract and is recorded."""
    query_plans_renew()  # foreign-key checks planned for the tables as they are now
    created, problems = 0, []
    for contract in chunk:
        try:
            created += len(
                proposals_generate(
                    contract=contract,
                    up_to_date=run.up_to_date,
                    actor=run.created_by,
                    split_by_kind=run.split_by_kind,
                    names=names,
                    rules=rules_by_contract[contract.pk],
                )
            )
        except NothingToBill:
            pass
        except ValidationError as refused:
            problems.append([contract.code, " ".join(refused.messages)])
    return created, problems
