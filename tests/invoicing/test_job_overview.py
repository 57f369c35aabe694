"""The operator's jobs page (issue 18): running and recent jobs with their chunks, workers and
errors, "retry failed chunks", and a query count that does not grow with jobs or chunks."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing import job_overview
from invoicing.invoices import documents
from invoicing.invoices.models import PdfBatch
from invoicing.proposals.models import BillingRun
from invoicing.transactions import chunks
from invoicing.transactions.models import ImportBatch, JobChunk
from tests.factories import ImportBatchFactory, UserFactory
from tests.invoicing.builders import DAY, billable_contracts
from tests.invoicing.test_jobs import every_contract_once, fail_after, proposals_per_contract

pytestmark = pytest.mark.django_db

JOBS_URL = reverse("invoicing:jobs")


@pytest.fixture
def clerk(db):
    return UserFactory(username="karin", role="finance_clerk")


@pytest.fixture
def contracts(db):
    """Five active contracts, each with ten hours to bill up to DAY."""
    return billable_contracts(5)


DAY_AFTER = datetime.date(2026, 4, 1)


def a_failed_run(settings, monkeypatch, clerk):
    """A run of five contracts in chunks of two whose first chunk failed."""
    from invoicing.proposals import runs

    settings.BILLING_RUN_CHUNK_CONTRACTS = 2
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    fail_after(monkeypatch, 0, RuntimeError("the rates table is locked"))
    runs.billing_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def test_the_page_shows_chunks_workers_and_errors_and_retries_the_failed_ones(
    settings, monkeypatch, contracts, clerk, client, django_capture_on_commit_callbacks
):
    run = a_failed_run(settings, monkeypatch, clerk)
    assert run.status == "failed"
    client.force_login(clerk)
    page = client.get(JOBS_URL).content.decode()
    assert f"Billing run {run.pk}" in page
    assert "the rates table is locked" in page
    assert chunks.worker_name() in page  # who did the chunks: hostname:pid
    assert "Retry failed chunks" in page
    retry = reverse("invoicing:job_chunks_retry", args=["billing_run", run.pk])
    assert retry in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry, follow=True)
    assert "1 failed chunk was queued again." in response.content.decode()
    run.refresh_from_db()
    assert run.status == "done"
    assert proposals_per_contract() == every_contract_once(contracts)
    page = client.get(JOBS_URL).content.decode()
    assert "Retry failed chunks" not in page
    # nothing left to retry: said in words, nothing changes
    response = client.post(retry, follow=True)
    assert "This job has no failed chunks to retry." in response.content.decode()


def test_an_unknown_job_kind_is_not_found(clerk, client):
    client.force_login(clerk)
    response = client.post(reverse("invoicing:job_chunks_retry", args=["payroll", 1]))
    assert response.status_code == 404


def test_the_menu_shows_jobs_to_finance_staff_only(client, user_with_role):
    for role, shown in (("finance_clerk", True), ("admin", True), ("read_only", False)):
        client.force_login(user_with_role(role))
        page = client.get(reverse("home")).content.decode()
        assert (JOBS_URL in page) is shown, role


def jobs_made(count: int, clerk) -> None:
    """``count`` billing runs of four chunks, PDF batches of two chunks and imports."""
    for _ in range(count):
        run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY, status="done")
        chunks.chunks_create(kind="billing_run", job_id=run.pk, item_ids=list(range(8)), size=2)
        batch = PdfBatch.objects.create(created_by=clerk, invoice_ids=[1, 2, 3], status="done")
        chunks.chunks_create(kind="pdf_batch", job_id=batch.pk, item_ids=[1, 2, 3], size=2)
        ImportBatchFactory(created_by=clerk, status="imported")
    JobChunk.objects.update(worker="host-a:41", status="done")


def test_the_page_runs_the_same_queries_for_one_job_as_for_many(clerk, client):
    client.force_login(clerk)
    jobs_made(1, clerk)
    client.get(JOBS_URL)  # warm the process caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(JOBS_URL).status_code == 200
    jobs_made(12, clerk)
    with CaptureQueriesContext(connection) as many:
        page = client.get(JOBS_URL).content.decode()
    assert len(job_overview.jobs_overview()) == 3 * job_overview.RECENT_JOBS
    assert "host-a:41" in page
    assert len(many) == len(few)


def test_the_page_query_count_is_pinned(clerk, client, django_assert_max_num_queries):
    client.force_login(clerk)
    jobs_made(3, clerk)
    client.get(JOBS_URL)
    with django_assert_max_num_queries(13):
        client.get(JOBS_URL)


def test_running_jobs_come_first_and_every_running_one_is_listed(clerk):
    for _ in range(job_overview.RECENT_JOBS + 2):
        BillingRun.objects.create(created_by=clerk, up_to_date=DAY, status="done")
    old_running = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    BillingRun.objects.filter(pk=old_running.pk).update(created_at="2020-01-01T00:00Z")
    for _ in range(job_overview.RECENT_JOBS):
        BillingRun.objects.create(created_by=clerk, up_to_date=DAY, status="done")
    rows = job_overview.jobs_overview()
    assert rows[0].job.pk == old_running.pk and rows[0].is_running
    assert len(rows) == job_overview.RECENT_JOBS + 1
    assert not ImportBatch.objects.exists()


# PDF batches in chunks -------------------------------------------------------------------


def test_a_pdf_batch_is_rendered_in_chunks_and_put_together_in_order(
    settings, monkeypatch, media_root, people
):
    """Chunks of one invoice, rendered (by a stand-in for WeasyPrint) and put together in the
    batch's order; a chunk that fails is retried alone."""
    from invoicing import jobs
    from invoicing.invoices import posting
    from invoicing.invoices.models import Invoice
    from tests.invoicing.invoices.test_posting import approved_e1

    for number in range(3):
        proposal = approved_e1(people)
        entity = proposal.contract.legal_entity
        entity.invoice_number_prefix = f"E{number}-"  # one file name per invoice in the ZIP
        entity.save()
        posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=DAY_AFTER)
    ordered = list(Invoice.objects.order_by("legal_entity", "sequence_number"))
    settings.PDF_BATCH_CHUNK_INVOICES = 1
    rendered = []

    def stand_in_pdf(invoice):
        rendered.append(invoice.pk)
        if invoice.pk == ordered[1].pk and rendered.count(invoice.pk) == 1:
            raise RuntimeError("font missing")
        return f"PDF of {invoice.number}".encode()

    monkeypatch.setattr(documents, "invoice_pdf", stand_in_pdf)
    batch = PdfBatch.objects.create(
        created_by=people["clerk"], invoice_ids=[invoice.pk for invoice in reversed(ordered)]
    )
    documents.pdf_batch_render(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.message, batch.processed) == ("failed", "font missing", 2)
    jobs.job_chunks_retry(job=batch, actor=people["clerk"])  # its task is queued on commit...
    documents.pdf_batch_render(batch_id=batch.pk, attempt=2)  # ...and runs here
    batch.refresh_from_db()
    assert (batch.status, batch.processed) == ("done", 3)
    with zipfile.ZipFile(io.BytesIO(batch.archive.read())) as archive:
        assert archive.namelist() == [f"{invoice.number}.pdf" for invoice in ordered]
        assert archive.read(f"{ordered[2].number}.pdf") == f"PDF of {ordered[2].number}".encode()
    # only the failed chunk was rendered again, and the chunks gave their PDFs to the file
    assert len(rendered) == 3 + 1
    assert not JobChunk.objects.filter(job_id=batch.pk, output__isnull=False).exists()
