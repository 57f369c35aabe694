"""A billing run: proposals for every active contract up to a date, as background work with
progress; one contract's problem is recorded and the others go on.

The run is divisible (``transactions/chunks.py``): its first task lists the active contracts in
primary-key order, cuts them into chunks of ``BILLING_RUN_CHUNK_CONTRACTS`` and queues one task
per chunk, which any worker on any machine claims (``SELECT ... FOR UPDATE SKIP LOCKED``). A
chunk bills its contracts and marks itself done in one transaction, under its own row lock and
only if it is still the attempt this worker claimed: each contract is billed by exactly one
chunk, once, however often a worker dies and its chunk is taken over. The run's progress,
heartbeat and result are the sum of its chunks; the worker that finishes the last chunk
finishes the run."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
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
from invoicing.proposals.state import transactions_billing_status_refresh
from invoicing.proposals.statistics import narrow_plans, query_plans_renew
from invoicing.transactions import chunks
from invoicing.transactions.models import ChunkStatus, JobChunk, JobKind

logger = logging.getLogger(__name__)

RUN_FAILED = gettext_lazy(
    "The billing run stopped: %(error)s. Contracts billed before are kept; resume the run to "
    "bill the others."
)


class RunSuperseded(Exception):
    """The run was resumed by another task, or finished: this task must stop."""


def billing_run_execute(
    *,
    run_id: int,
    attempt: int | None = None,
    chunk_queue: Callable[[int], object] | None = None,
) -> None:
    """Start (or resume) a billing run: cut its contracts into chunks the first time, put back
    in the queue every chunk that is not done and that no living worker holds, hand each to
    ``chunk_queue`` on commit (the task queues a task per chunk, for the other workers), and
    work through chunks itself too. ``attempt`` is the run's attempt the task was
    queued for: a task of an earlier attempt stops without billing anything. Any unexpected
    error marks the run failed with its reason (contracts billed before stay billed, and the run
    can be resumed)."""
    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    if run.status != BillingRun.Status.RUNNING or (attempt is not None and run.attempts != attempt):
        return
    try:
        _billing_run_work(run, attempt=run.attempts, chunk_queue=chunk_queue)
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


def _billing_run_work(
    run: BillingRun, *, attempt: int, chunk_queue: Callable[[int], object] | None
) -> None:
    with transaction.atomic():
        locked = BillingRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != BillingRun.Status.RUNNING or locked.attempts != attempt:
            raise RunSuperseded
        if not chunks.job_chunks(JobKind.BILLING_RUN, run.pk).exists():
            contract_ids = list(
                ProjectContract.objects.filter(status=ContractStatus.ACTIVE)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            chunks.chunks_create(
                kind=JobKind.BILLING_RUN,
                job_id=run.pk,
                item_ids=contract_ids,
                size=settings.BILLING_RUN_CHUNK_CONTRACTS,
            )
            locked.total_contracts = len(contract_ids)
        else:
            chunks.chunks_requeue(kind=JobKind.BILLING_RUN, job_id=run.pk)
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=["total_contracts", "heartbeat_at"])
        pending = list(
            chunks.job_chunks(JobKind.BILLING_RUN, run.pk)
            .filter(status=ChunkStatus.QUEUED)
            .values_list("pk", flat=True)
        )
        for chunk_id in pending if chunk_queue is not None else ():
            transaction.on_commit(lambda chunk_id=chunk_id: chunk_queue(chunk_id))
    billing_run_chunks_work(run_id=run.pk)


def billing_run_chunks_work(*, run_id: int, chunk_id: int | None = None) -> None:
    """A worker's share of a run: claim a chunk (``chunk_id`` first), bill it, and go on with the
    next one left, until none is; then finish the run if every chunk is done. A chunk that
    fails unexpectedly is marked failed with its error (nothing of it was written) and the
    others go on."""
    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    if run.status != BillingRun.Status.RUNNING:
        return
    names = LineNames.load()
    prefer = chunk_id
    while chunk := chunks.chunk_claim(kind=JobKind.BILLING_RUN, job_id=run_id, prefer=prefer):
        prefer = None
        BillingRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
        try:
            _billing_run_chunk_commit(run, chunk, names)
        except chunks.ChunkSuperseded:
            continue
        except Exception as error:  # noqa: BLE001 - the chunk and the run explain any failure
            logger.exception("Billing run %s: %s failed", run_id, chunk)
            chunks.chunk_failed(chunk, error)
    billing_run_finish(run_id=run_id)


def _billing_run_chunk_commit(run: BillingRun, chunk: JobChunk, names: LineNames) -> None:
    """Bill a claimed chunk's contracts and mark it done, in one transaction, under its row lock
    and only if it is still this worker's attempt; the run's counters grow with it."""
    with transaction.atomic():
        locked = chunks.chunk_lock_own(chunk)
        contracts = list(ProjectContract.objects.filter(pk__in=locked.item_ids).order_by("pk"))
        rules_by_contract: dict[int, list[BillingRule]] = defaultdict(list)
        all_rules = (
            BillingRule.objects.filter(contract__in=contracts, is_active=True)
            .prefetch_related("projects", "chargeable_categories", "caps")
            .order_by("pk")
        )
        for rule in all_rules:
            rules_by_contract[rule.contract_id].append(rule)
        created, problems = _billing_run_chunk(run, contracts, names, rules_by_contract)
        processed = len(locked.item_ids)
        chunks.chunk_done(locked, processed=processed, proposals_created=created, problems=problems)
        BillingRun.objects.filter(pk=run.pk).update(
            processed_contracts=F("processed_contracts") + processed,
            proposals_created=F("proposals_created") + created,
            heartbeat_at=timezone.now(),
        )


def billing_run_finish(*, run_id: int) -> None:
    """When no chunk of a running run is queued or running any more, finish it: done, with its
    figures and problems summed from its chunks in contract order, or failed with the first
    failed chunk's error. Called after every chunk; the run's row lock makes it happen once."""
    with transaction.atomic():
        run = chunks.job_finishable(BillingRun, JobKind.BILLING_RUN, run_id)
        if run is None:
            return
        done = list(chunks.job_chunks(JobKind.BILLING_RUN, run_id).order_by("number"))
        run.processed_contracts = sum(c.processed for c in done if c.status == ChunkStatus.DONE)
        run.proposals_created = sum(
            c.proposals_created for c in done if c.status == ChunkStatus.DONE
        )
        run.problems = [problem for chunk in done for problem in chunk.problems]
        failed = [chunk for chunk in done if chunk.status == ChunkStatus.FAILED]
        if failed:
            run.status = BillingRun.Status.FAILED
            run.message = str(RUN_FAILED % {"error": failed[0].error})
        else:
            run.status = BillingRun.Status.DONE
        run.finished_at = run.heartbeat_at = timezone.now()
        run.save(
            update_fields=[
                "processed_contracts",
                "proposals_created",
                "problems",
                "status",
                "message",
                "finished_at",
                "heartbeat_at",
            ]
        )


def _billing_run_chunk(
    run: BillingRun,
    chunk: list[ProjectContract],
    names: LineNames,
    rules_by_contract: dict[int, list[BillingRule]],
) -> tuple[int, list[list[str]]]:
    """Bill each contract of a chunk; each is its own savepoint (proposals_generate is atomic),
    so a refusal rolls back only that contract and is recorded. The billing status of what the
    chunk billed is refreshed once for all its contracts, before the chunk commits."""
    query_plans_renew()  # foreign-key checks planned for the tables as they are now
    narrow_plans()  # and by index, whatever the statistics say of the tables' sizes
    created, problems = 0, []
    billed: set[int] = set()
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
                    status_pending=billed,
                )
            )
        except NothingToBill:
            pass
        except ValidationError as refused:
            problems.append([contract.code, " ".join(refused.messages)])
    transactions_billing_status_refresh(transaction_ids=billed)
    return created, problems
