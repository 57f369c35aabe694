"""Divisible jobs: a job's items (a billing run's contracts, a PDF batch's invoices) cut into
chunks that any worker, on any machine, claims and does.

- A worker claims a chunk in a short transaction with ``SELECT ... FOR UPDATE SKIP LOCKED``: two
  workers never claim the same chunk, and neither waits for the other. The claim writes the
  worker (``hostname:pid``), a heartbeat and a new attempt number.
- A chunk's result is written in one transaction that first locks the chunk's row and checks
  that it is still running under the attempt this worker claimed (``chunk_lock_own``); the
  result and the "done" status commit together. A chunk taken over by another worker (a new
  attempt) or requeued is therefore never written twice: the late worker finds the attempt
  changed and stops.
- A claimed chunk whose worker died (SIGKILL, the machine gone) keeps its "running" status, but
  its heartbeat grows old and its row is no longer locked: the next claim of another worker, or
  the stalled-job sweep (``invoicing/jobs.py``), takes it over. A billing chunk holds its row
  lock for as long as it bills, so a slow but living worker is never taken over.

On SQLite (``make run``) ``SKIP LOCKED`` is ignored: one worker, which is fine.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy

from invoicing.transactions.models import ChunkStatus, JobChunk, JobKind, job_stale_before

logger = logging.getLogger(__name__)

CHUNK_GAVE_UP = gettext_lazy(
    "The worker stopped %(count)s times while doing this chunk; it was not taken over again. "
    "Retry it from the jobs page when the cause is fixed."
)
UNFINISHED = (ChunkStatus.QUEUED, ChunkStatus.RUNNING)


class ChunkSuperseded(Exception):
    """The chunk was taken over, requeued or finished by someone else: this worker stops."""


def worker_name() -> str:
    """Who does a chunk: the machine and the process, as an operator finds them in ``ps``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def chunks_create(*, kind: JobKind, job_id: int, item_ids: list[int], size: int) -> int:
    """Cut a job's items, in the order given, into chunks of ``size``. Returns their number."""
    chunks = [
        JobChunk(
            job_kind=kind, job_id=job_id, number=number, item_ids=item_ids[start : start + size]
        )
        for number, start in enumerate(range(0, len(item_ids), size), start=1)
    ]
    JobChunk.objects.bulk_create(chunks)
    return len(chunks)


def job_chunks(kind: JobKind, job_id: int):
    return JobChunk.objects.filter(job_kind=kind, job_id=job_id)


def chunks_requeue(*, kind: JobKind, job_id: int) -> list[int]:
    """Put back in the queue every chunk of a job that is not done and that no living worker
    holds (failed ones, and running ones whose row is not locked: their worker is gone or has
    not begun). Called when a user or the sweep resumes the job. Returns their ids."""
    requeued = list(
        job_chunks(kind, job_id)
        .select_for_update(skip_locked=True)
        .filter(status__in=(ChunkStatus.FAILED, ChunkStatus.RUNNING))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    JobChunk.objects.filter(pk__in=requeued).update(status=ChunkStatus.QUEUED, error="")
    return requeued


def chunk_claim(*, kind: JobKind, job_id: int, prefer: int | None = None) -> JobChunk | None:
    """Claim a chunk of the job for this worker: ``prefer`` first if it can be claimed, else the
    first queued one, else one whose worker stopped (running, no heartbeat for longer than
    JOB_STALE_AFTER, row not locked). None when nothing is left to claim."""
    claimable = Q(status=ChunkStatus.QUEUED) | Q(
        status=ChunkStatus.RUNNING,
        heartbeat_at__lt=job_stale_before(),
        attempts__lt=settings.JOB_MAX_ATTEMPTS,
    )
    with transaction.atomic():
        chunk = (
            job_chunks(kind, job_id)
            .filter(claimable)
            .select_for_update(skip_locked=True)
            .order_by(Case(When(pk=prefer, then=Value(0)), default=Value(1)), "number")
            .first()
        )
        if chunk is None:
            return None
        if chunk.status == ChunkStatus.RUNNING:
            logger.warning("%s taken over from %s by %s", chunk, chunk.worker, worker_name())
        now = timezone.now()
        chunk.status = ChunkStatus.RUNNING
        chunk.worker = worker_name()
        chunk.attempts += 1
        chunk.claimed_at = chunk.heartbeat_at = now
        chunk.error = ""
        chunk.save(
            update_fields=["status", "worker", "attempts", "claimed_at", "heartbeat_at", "error"]
        )
    return chunk


def chunk_heartbeat(chunk: JobChunk, *, processed: int) -> None:
    """A sign of life of a claimed chunk between two items; raises ChunkSuperseded when the
    chunk is no longer this worker's."""
    mine = JobChunk.objects.filter(pk=chunk.pk, status=ChunkStatus.RUNNING, attempts=chunk.attempts)
    if not mine.update(heartbeat_at=timezone.now(), processed=processed):
        raise ChunkSuperseded


def chunk_lock_own(chunk: JobChunk) -> JobChunk:
    """Inside the transaction that writes a chunk's result: lock its row and check that it is
    still running under the attempt this worker claimed; raises ChunkSuperseded otherwise."""
    locked = JobChunk.objects.select_for_update().get(pk=chunk.pk)
    if locked.status != ChunkStatus.RUNNING or locked.attempts != chunk.attempts:
        raise ChunkSuperseded
    return locked


def chunk_done(chunk: JobChunk, **results) -> None:
    """Mark a locked chunk done with its results (in the transaction that wrote its work)."""
    now = timezone.now()
    JobChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.DONE, finished_at=now, heartbeat_at=now, error="", **results
    )


def chunk_failed(chunk: JobChunk, error: BaseException | str) -> None:
    """Mark a chunk failed with its error in words, if it is still this worker's."""
    JobChunk.objects.filter(
        pk=chunk.pk, status=ChunkStatus.RUNNING, attempts=chunk.attempts
    ).update(
        status=ChunkStatus.FAILED,
        error=str(error) or type(error).__name__,
        finished_at=timezone.now(),
    )


def chunk_counts(kind: JobKind, job_id: int) -> dict[str, int]:
    """How many chunks of the job are in each status."""
    rows = job_chunks(kind, job_id).values("status").annotate(count=Count("pk")).order_by()
    return {row["status"]: row["count"] for row in rows}


def job_finishable(model, kind: JobKind, job_id: int):
    """The job, locked, when it is still running and none of its chunks is queued or running
    any more; None otherwise. Inside a transaction: the job's row lock makes its finishing
    happen once, whoever finishes its last chunk."""
    job = model.objects.select_for_update().get(pk=job_id)
    if job.status != model.Status.RUNNING:
        return None
    counts = chunk_counts(kind, job_id)
    if any(counts.get(status) for status in UNFINISHED):
        return None
    return job


def chunks_stalled_take(
    kinds: Iterable[JobKind] | None = None,
) -> tuple[list[JobChunk], list[JobChunk]]:
    """For the sweep: every running chunk whose worker stopped (stale heartbeat, row not locked)
    is put back in the queue, or marked failed when it was claimed JOB_MAX_ATTEMPTS times.
    Returns (requeued, failed); the caller queues their tasks and finishes their jobs."""
    requeued, failed = [], []
    with transaction.atomic():
        stalled = (
            JobChunk.objects.select_for_update(skip_locked=True)
            .filter(status=ChunkStatus.RUNNING, heartbeat_at__lt=job_stale_before())
            .order_by("pk")
        )
        if kinds is not None:
            stalled = stalled.filter(job_kind__in=list(kinds))
        for chunk in stalled:
            if chunk.attempts >= settings.JOB_MAX_ATTEMPTS:
                chunk.status = ChunkStatus.FAILED
                chunk.error = str(CHUNK_GAVE_UP % {"count": chunk.attempts})
                chunk.finished_at = timezone.now()
                chunk.save(update_fields=["status", "error", "finished_at"])
                failed.append(chunk)
            else:
                chunk.status = ChunkStatus.QUEUED
                chunk.save(update_fields=["status"])
                requeued.append(chunk)
    return requeued, failed
