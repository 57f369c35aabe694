"""The operator's view of background work: running and recent billing runs, PDF batches and
imports, with the chunks of the divisible ones, who works on them and what went wrong. Read
with a fixed number of queries whatever the number of jobs and chunks."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from invoicing.invoices.models import PdfBatch
from invoicing.proposals.models import BillingRun
from invoicing.transactions.models import (
    ChunkStatus,
    ImportBatch,
    ImportStatus,
    JobChunk,
    JobKind,
)

RECENT_JOBS = 10  # of each kind, besides every running one
RUNNING_IMPORT = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)


@dataclass
class JobRow:
    """One job as the operator sees it."""

    kind: JobKind | None
    kind_label: str
    job: object
    url: str
    is_running: bool
    progress_percent: int
    chunks: list[JobChunk] = field(default_factory=list)

    @property
    def failed_chunks(self) -> int:
        return sum(chunk.status == ChunkStatus.FAILED for chunk in self.chunks)

    @property
    def chunk_counts(self) -> list[tuple[str, int]]:
        """(status label, how many) in the statuses' order, only those that occur."""
        counts = Counter(chunk.status for chunk in self.chunks)
        return [(label, counts[value]) for value, label in ChunkStatus.choices if counts[value]]

    @property
    def workers(self) -> list[tuple[str, int]]:
        """Each worker that did or does a chunk, with how many chunks it did."""
        done = Counter(chunk.worker for chunk in self.chunks if chunk.worker)
        return sorted(done.items())


def _recent_or_running(queryset, running: Q):
    recent = list(queryset.order_by("-pk")[:RECENT_JOBS])
    seen = {job.pk for job in recent}
    return [*queryset.filter(running).exclude(pk__in=seen).order_by("-pk"), *recent]


def jobs_overview() -> list[JobRow]:
    """Every running job and the last RECENT_JOBS of each kind, newest first, with their chunks
    (four queries for the jobs and one for every chunk)."""
    runs = _recent_or_running(
        BillingRun.objects.select_related("created_by"), Q(status=BillingRun.Status.RUNNING)
    )
    batches = _recent_or_running(
        PdfBatch.objects.select_related("created_by"),
        Q(status=PdfBatch.Status.RUNNING),
    )
    imports = _recent_or_running(
        ImportBatch.objects.select_related("created_by").defer("preview", "errors"),
        Q(status__in=RUNNING_IMPORT),
    )
    wanted = Q(job_kind=JobKind.BILLING_RUN, job_id__in=[run.pk for run in runs]) | Q(
        job_kind=JobKind.PDF_BATCH, job_id__in=[batch.pk for batch in batches]
    )
    chunks_of = defaultdict(list)
    for chunk in JobChunk.objects.filter(wanted).defer("output").order_by("number"):
        chunks_of[chunk.job_kind, chunk.job_id].append(chunk)
    rows = [
        JobRow(
            kind=kind,
            kind_label=kind.label,
            job=job,
            url=reverse(url_name, args=[job.pk]),
            is_running=job.is_running,
            progress_percent=job.progress_percent,
            chunks=chunks_of[kind, job.pk],
        )
        for kind, url_name, jobs in (
            (JobKind.BILLING_RUN, "invoicing:billing_run", runs),
            (JobKind.PDF_BATCH, "invoicing:pdf_batch", batches),
        )
        for job in jobs
    ]
    rows += [
        JobRow(
            kind=None,
            kind_label=str(_("Timesheet import")),
            job=batch,
            url=batch.get_absolute_url(),
            is_running=batch.is_running,
            progress_percent=batch.progress_percent,
        )
        for batch in imports
    ]
    rows.sort(key=lambda row: (not row.is_running, -row.job.created_at.timestamp()))
    return rows
