"""Jobs that recover: what is done with a background job whose worker stopped.

Every import, billing run and PDF batch records a heartbeat as its work goes on (see
``transactions.models.Heartbeat``). A running job that has not been heard from for longer than
``JOB_STALE_AFTER`` is stalled: its worker was killed, or lost its database. Then

- a billing run or a PDF batch is divided into chunks (``transactions/chunks.py``): a chunk
  whose worker stopped is put back in the queue and taken over by another worker (each
  contract is billed exactly once: a chunk commits its proposals with its "done" status); a
  stalled run or batch is resumed: its chunks that are not done are queued again;
- a check or an import is marked failed with its reason (it is all or nothing, so nothing of it
  was written); the clerk checks the file again and confirms it.

A job is resumed at most ``JOB_MAX_ATTEMPTS`` times by the sweep, then marked failed; a user
can always resume or start it again from its page. The sweep (``jobs_recover``) runs in every
``run_worker`` process (at start and every ``JOB_SWEEP_SECONDS``) and as
``manage.py recover_jobs``; see docs/operations.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from invoicing.invoices.documents import pdf_batch_finish
from invoicing.invoices.models import PdfBatch
from invoicing.invoices.tasks import pdf_batch_chunk_task, pdf_batch_task
from invoicing.proposals.models import BillingRun
from invoicing.proposals.runs import billing_run_finish
from invoicing.proposals.tasks import billing_run_chunk_task, billing_run_task
from invoicing.transactions import chunks
from invoicing.transactions.imports import import_batches_fail_stalled
from invoicing.transactions.models import (
    BackgroundJob,
    ChunkStatus,
    JobChunk,
    JobKind,
    job_stale_before,
)

logger = logging.getLogger(__name__)

JOB_NOT_RESUMABLE = gettext_lazy("This job cannot be resumed: it is %(status)s.")
JOB_STILL_RUNNING = gettext_lazy(
    "This job is still running; it can be resumed only when it has stalled."
)
GAVE_UP = gettext_lazy(
    "The worker stopped %(count)s times while doing this job; it was not resumed again. "
    "Resume it from this page when the cause is fixed."
)
NO_FAILED_CHUNKS = gettext_lazy("This job has no failed chunks to retry.")

#: What each divisible job is: its model, the task that does one of its chunks, and what
#: finishes it when its last chunk is done or given up.
CHUNKED_JOBS = {
    JobKind.BILLING_RUN: (BillingRun, billing_run_chunk_task, billing_run_finish),
    JobKind.PDF_BATCH: (PdfBatch, pdf_batch_chunk_task, pdf_batch_finish),
}


@dataclass
class Recovery:
    """What one sweep did, by job: the ids resumed or marked failed."""

    imports_failed: list[int] = field(default_factory=list)
    runs_resumed: list[int] = field(default_factory=list)
    runs_failed: list[int] = field(default_factory=list)
    pdf_batches_resumed: list[int] = field(default_factory=list)
    pdf_batches_failed: list[int] = field(default_factory=list)
    chunks_requeued: list[int] = field(default_factory=list)
    chunks_failed: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(vars(self).values())


def _enqueue(job: BackgroundJob) -> None:
    task = billing_run_task if isinstance(job, BillingRun) else pdf_batch_task
    attempt = job.attempts
    transaction.on_commit(lambda: task.enqueue(job.pk, attempt))


def _restart(job: BackgroundJob) -> None:
    """Mark a locked job running again under a new attempt and queue its task on commit."""
    job.status = job.Status.RUNNING
    job.attempts += 1
    job.heartbeat_at = timezone.now()
    job.message = ""
    fields = ["status", "attempts", "heartbeat_at", "message"]
    if isinstance(job, BillingRun):
        job.finished_at = None
        fields.append("finished_at")
    job.save(update_fields=fields)
    _enqueue(job)


def job_resume(*, job: BackgroundJob, actor: AbstractBaseUser) -> BackgroundJob:
    """Resume a failed or stalled billing run or PDF batch from its page. A billing run goes on
    after the last contract it billed; a PDF batch renders its file again."""
    with transaction.atomic():
        locked = type(job).objects.select_for_update().get(pk=job.pk)
        if locked.status == locked.Status.DONE:
            raise ValidationError(JOB_NOT_RESUMABLE % {"status": locked.get_status_display()})
        if locked.is_running and not locked.is_stalled:
            raise ValidationError(JOB_STILL_RUNNING)
        logger.info("%s %s resumed by %s", type(job).__name__, job.pk, actor)
        _restart(locked)
    return locked


def _jobs_resume_stalled(model: type[BackgroundJob]) -> tuple[list[int], list[int]]:
    """Resume the model's stalled jobs (at most JOB_MAX_ATTEMPTS attempts in all, then mark
    them failed). A job whose task holds its row lock is alive and skipped."""
    resumed, failed = [], []
    with transaction.atomic():
        stalled = (
            model.objects.select_for_update(skip_locked=True)
            .filter(status=model.Status.RUNNING, heartbeat_at__lt=job_stale_before())
            .order_by("pk")
        )
        for job in stalled:
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                job.status = model.Status.FAILED
                job.message = str(GAVE_UP % {"count": job.attempts})
                job.save(update_fields=["status", "message"])
                failed.append(job.pk)
            else:
                _restart(job)
                resumed.append(job.pk)
    return resumed, failed


def job_kind_of(job: BackgroundJob) -> JobKind:
    return JobKind.BILLING_RUN if isinstance(job, BillingRun) else JobKind.PDF_BATCH


def job_chunks_retry(*, job: BackgroundJob, actor: AbstractBaseUser) -> int:
    """Put a job's failed chunks back in the queue (from the jobs page). A job still running
    gets a task per chunk; a failed job is resumed (a new attempt), which queues them. Chunks
    that are done stay done. Returns how many chunks were retried."""
    kind = job_kind_of(job)
    _model, chunk_task, _finish = CHUNKED_JOBS[kind]
    with transaction.atomic():
        locked = type(job).objects.select_for_update().get(pk=job.pk)
        failed = list(
            chunks.job_chunks(kind, job.pk)
            .filter(status=ChunkStatus.FAILED)
            .values_list("pk", flat=True)
        )
        if not failed:
            raise ValidationError(NO_FAILED_CHUNKS)
        logger.info("%s %s: %s failed chunks retried by %s", kind, job.pk, len(failed), actor)
        if locked.is_running:
            JobChunk.objects.filter(pk__in=failed).update(status=ChunkStatus.QUEUED, error="")
            for chunk_id in failed:
                transaction.on_commit(
                    lambda chunk_id=chunk_id: chunk_task.enqueue(job.pk, chunk_id)
                )
        else:
            _restart(locked)
    return len(failed)


def _chunks_recover(recovery: Recovery) -> None:
    """Chunks whose worker stopped go back to the queue with a task each (another worker takes
    them over), or are given up after JOB_MAX_ATTEMPTS; a job whose last chunk was given up is
    finished (failed, with the reason)."""
    requeued, failed = chunks.chunks_stalled_take()
    for chunk in requeued:
        model, chunk_task, _finish = CHUNKED_JOBS[chunk.job_kind]
        # Its job is alive again: the job-level sweep below leaves it to the chunk's task.
        model.objects.filter(pk=chunk.job_id).update(heartbeat_at=timezone.now())
        chunk_task.enqueue(chunk.job_id, chunk.pk)
    for chunk in failed:
        _model, _task, finish = CHUNKED_JOBS[chunk.job_kind]
        if chunk.job_kind == JobKind.BILLING_RUN:
            finish(run_id=chunk.job_id)
        else:
            finish(batch_id=chunk.job_id)
    recovery.chunks_requeued = [chunk.pk for chunk in requeued]
    recovery.chunks_failed = [chunk.pk for chunk in failed]


def jobs_recover() -> Recovery:
    """Find every stalled job and resume it or mark it failed (see the module's docstring)."""
    recovery = Recovery(imports_failed=import_batches_fail_stalled())
    _chunks_recover(recovery)
    recovery.runs_resumed, recovery.runs_failed = _jobs_resume_stalled(BillingRun)
    recovery.pdf_batches_resumed, recovery.pdf_batches_failed = _jobs_resume_stalled(PdfBatch)
    if recovery:
        logger.warning("Stalled jobs recovered: %s", recovery)
    return recovery
