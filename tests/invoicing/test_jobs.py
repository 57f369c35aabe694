"""Jobs that recover: heartbeats, stalled jobs resumed or failed, the pages' buttons, and a
billing run interrupted half-way that bills every contract exactly once (issue 13)."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from contracts.texts import text_of_stored
from invoicing import jobs
from invoicing.invoices.models import PdfBatch
from invoicing.proposals import generation, runs
from invoicing.proposals.models import BillingRun, InvoiceProposal
from invoicing.transactions import chunks, imports, uploads
from invoicing.transactions.models import ImportBatch, ImportStatus, JobChunk, ProjectTransaction
from tests.factories import UserFactory
from tests.invoicing.builders import DAY, billable_contracts

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_tasks_run(django_capture_on_commit_callbacks):
    """Jobs are queued on commit (the tests run inside a transaction): ``with
    queued_tasks_run(): ...`` runs the tasks queued inside it as the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


LONG_AGO = datetime.timedelta(hours=1)
HEADER = "Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"


def stall(job) -> None:
    """Make a job look as if its worker died an hour ago."""
    type(job).objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    job.refresh_from_db()


@pytest.fixture
def contracts(db):
    """Five active contracts, each with ten hours to bill up to DAY."""
    return billable_contracts(5)


@pytest.fixture
def clerk(db):
    return UserFactory(username="karin", role="finance_clerk")


def proposals_per_contract() -> Counter:
    return Counter(InvoiceProposal.objects.values_list("contract__code", flat=True))


def every_contract_once(contracts) -> Counter:
    return Counter({contract.code: 1 for contract in contracts})


class Killed(BaseException):
    """Stands for the worker process dying: not an Exception, so nothing in the job catches it
    and nothing after it runs (no failure is recorded, as with SIGKILL)."""


def fail_after(monkeypatch, count: int, error: BaseException) -> None:
    """Let proposals_generate bill ``count`` contracts, then raise ``error`` once."""
    original = runs.proposals_generate
    calls = {"n": 0}

    def generate(**kwargs):
        calls["n"] += 1
        if calls["n"] == count + 1:
            raise error
        return original(**kwargs)

    monkeypatch.setattr(runs, "proposals_generate", generate)


# Billing runs ----------------------------------------------------------------------------


def chunk_statuses(run) -> list[str]:
    return list(
        JobChunk.objects.filter(job_kind="billing_run", job_id=run.pk)
        .order_by("number")
        .values_list("status", flat=True)
    )


def test_a_run_killed_half_way_is_resumed_by_the_sweep_and_bills_every_contract_once(
    settings, monkeypatch, contracts, clerk, queued_tasks_run
):
    # given a run in chunks of two contracts whose worker dies while billing the third
    settings.BILLING_RUN_CHUNK_CONTRACTS = 2
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    fail_after(monkeypatch, 2, Killed())
    with pytest.raises(Killed):
        runs.billing_run_execute(run_id=run.pk, attempt=run.attempts)
    run.refresh_from_db()
    assert (run.status, run.processed_contracts, run.total_contracts) == ("running", 2, 5)
    assert chunk_statuses(run) == ["done", "running", "queued"]
    assert proposals_per_contract() == every_contract_once(contracts[:2])
    # when its heartbeat grows old and the sweep runs (the task runs at once in the tests)
    stall(run)
    with queued_tasks_run():
        recovery = jobs.jobs_recover()
    # then the chunks not done are done: every contract billed exactly once
    run.refresh_from_db()
    assert recovery.runs_resumed == [run.pk]
    assert (run.status, run.attempts, run.processed_contracts, run.total_contracts) == (
        "done",
        2,
        5,
        5,
    )
    assert run.proposals_created == 5
    assert chunk_statuses(run) == ["done", "done", "done"]
    assert proposals_per_contract() == every_contract_once(contracts)


def test_an_unexpected_error_fails_its_chunk_and_resume_bills_the_rest_once(
    settings, monkeypatch, contracts, clerk, client, queued_tasks_run
):
    settings.BILLING_RUN_CHUNK_CONTRACTS = 2
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    fail_after(monkeypatch, 3, RuntimeError("disk full"))
    runs.billing_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "The billing run stopped: disk full" in run.message
    # the chunk in which it failed rolled back as a whole (K-2 and K-3); the others went on
    assert chunk_statuses(run) == ["done", "failed", "done"]
    assert proposals_per_contract() == every_contract_once([*contracts[:2], contracts[4]])
    assert (run.processed_contracts, run.proposals_created) == (3, 3)

    client.force_login(clerk)
    page = client.get(reverse("invoicing:billing_run", args=[run.pk])).content.decode()
    assert "disk full" in page and "Resume" in page
    with queued_tasks_run():
        response = client.post(reverse("invoicing:billing_run_resume", args=[run.pk]))
    assert response["Location"] == reverse("invoicing:billing_run", args=[run.pk])
    run.refresh_from_db()
    assert (run.status, run.message, run.processed_contracts) == ("done", "", 5)
    assert proposals_per_contract() == every_contract_once(contracts)


def test_a_chunk_refreshes_the_billing_status_of_what_it_billed_once_for_all_its_contracts(
    settings, monkeypatch, contracts, clerk
):
    """Per contract the refresh took four of a run's eleven queries a contract; a chunk now
    refreshes once, before it commits, and only what its contracts billed: a contract refused
    half-way keeps its transactions uninvoiced."""
    from invoicing.proposals import state

    settings.BILLING_RUN_CHUNK_CONTRACTS = 5
    refreshed = []
    original = runs.transactions_billing_status_refresh
    monkeypatch.setattr(
        runs,
        "transactions_billing_status_refresh",
        lambda *, transaction_ids: (
            refreshed.append(set(transaction_ids)) or original(transaction_ids=transaction_ids)
        ),
    )
    derive = generation.generated_proposals_derived_lines

    def derived_lines(proposals, **kwargs):
        if proposals[0].contract.code == "K-2":
            raise ValidationError("refused after its lines were written")
        return derive(proposals, **kwargs)

    monkeypatch.setattr(generation, "generated_proposals_derived_lines", derived_lines)
    monkeypatch.setattr(state, "REFRESH_CHUNK", 3)  # several statements for one chunk
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    runs.billing_run_execute(run_id=run.pk)
    [billed] = refreshed
    statuses = dict(
        ProjectTransaction.objects.values_list("project__contract__code", "billing_status")
    )
    assert statuses == {
        "K-0": "in_proposal", "K-1": "in_proposal", "K-2": "uninvoiced",
        "K-3": "in_proposal", "K-4": "in_proposal",
    }  # fmt: skip
    assert billed == set(
        ProjectTransaction.objects.exclude(project__contract__code="K-2").values_list(
            "pk", flat=True
        )
    )


def test_a_chunk_whose_worker_died_is_taken_over_and_the_late_worker_writes_nothing(
    settings, contracts, clerk
):
    # given a run cut into chunks, the first claimed by a worker that then went silent
    settings.BILLING_RUN_CHUNK_CONTRACTS = 3
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    chunks.chunks_create(
        kind="billing_run", job_id=run.pk, item_ids=[c.pk for c in contracts], size=3
    )
    first = chunks.chunk_claim(kind="billing_run", job_id=run.pk)
    assert (first.number, first.attempts) == (1, 1)
    assert chunks.chunk_claim(kind="billing_run", job_id=run.pk).number == 2  # not the first
    JobChunk.objects.filter(pk=first.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    # when another worker claims: it takes the stalled chunk over, as a new attempt
    taken = chunks.chunk_claim(kind="billing_run", job_id=run.pk)
    assert (taken.pk, taken.attempts) == (first.pk, 2)
    # then the first worker, waking up late, bills nothing; the new one bills its contracts once
    names = generation.LineNames.load()
    with pytest.raises(chunks.ChunkSuperseded):
        runs._billing_run_chunk_commit(run, first, names)
    assert not InvoiceProposal.objects.exists()
    runs._billing_run_chunk_commit(run, taken, names)
    assert proposals_per_contract() == every_contract_once(contracts[:3])
    with pytest.raises(chunks.ChunkSuperseded):  # and nobody bills it a second time
        runs._billing_run_chunk_commit(run, taken, names)
    assert proposals_per_contract() == every_contract_once(contracts[:3])


def test_the_sweep_requeues_a_stalled_chunk_and_its_task_finishes_the_run(
    settings, monkeypatch, contracts, clerk
):
    settings.BILLING_RUN_CHUNK_CONTRACTS = 2
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    fail_after(monkeypatch, 2, Killed())
    with pytest.raises(Killed):
        runs.billing_run_execute(run_id=run.pk, attempt=run.attempts)
    monkeypatch.undo()
    stalled = JobChunk.objects.get(job_id=run.pk, status="running")
    JobChunk.objects.filter(pk=stalled.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    recovery = jobs.jobs_recover()  # the chunk's task runs at once (immediate backend)
    assert recovery.chunks_requeued == [stalled.pk]
    assert recovery.runs_resumed == []  # the run itself was not stalled
    run.refresh_from_db()
    assert (run.status, run.attempts, run.processed_contracts) == ("done", 1, 5)
    assert proposals_per_contract() == every_contract_once(contracts)
    stalled.refresh_from_db()
    assert (stalled.status, stalled.attempts) == ("done", 2)


def test_a_chunk_that_keeps_stopping_is_given_up_and_fails_its_run(settings, contracts, clerk):
    settings.JOB_MAX_ATTEMPTS = 3
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    chunks.chunks_create(
        kind="billing_run", job_id=run.pk, item_ids=[c.pk for c in contracts], size=5
    )
    JobChunk.objects.filter(job_id=run.pk).update(
        status="running", attempts=3, heartbeat_at=timezone.now() - LONG_AGO
    )
    chunk = JobChunk.objects.get(job_id=run.pk)
    assert chunks.chunk_claim(kind="billing_run", job_id=run.pk) is None  # not taken over again
    assert jobs.jobs_recover().chunks_failed == [chunk.pk]
    run.refresh_from_db()
    assert run.status == "failed"
    assert "The worker stopped 3 times while doing this chunk" in run.message
    assert not InvoiceProposal.objects.exists()


def test_retrying_failed_chunks_bills_only_their_contracts(
    settings, monkeypatch, contracts, clerk, queued_tasks_run
):
    settings.BILLING_RUN_CHUNK_CONTRACTS = 2
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    fail_after(monkeypatch, 0, RuntimeError("lost the rates"))
    runs.billing_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert chunk_statuses(run) == ["failed", "done", "done"]
    with queued_tasks_run():
        assert jobs.job_chunks_retry(job=run, actor=clerk) == 1
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 2)
    assert chunk_statuses(run) == ["done", "done", "done"]
    assert proposals_per_contract() == every_contract_once(contracts)
    with pytest.raises(ValidationError, match="no failed chunks"):
        jobs.job_chunks_retry(job=run, actor=clerk)


def test_a_task_of_an_earlier_attempt_bills_nothing(contracts, clerk):
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY, attempts=2)
    runs.billing_run_execute(run_id=run.pk, attempt=1)
    run.refresh_from_db()
    assert (run.status, run.processed_contracts) == ("running", 0)
    assert not InvoiceProposal.objects.exists()


def test_a_run_that_keeps_stopping_is_given_up_with_its_reason(clerk, settings):
    settings.JOB_MAX_ATTEMPTS = 3
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY, attempts=3)
    stall(run)
    assert jobs.jobs_recover().runs_failed == [run.pk]
    run.refresh_from_db()
    assert run.status == "failed"
    assert "The worker stopped 3 times" in run.message


def test_a_live_run_is_left_alone(clerk):
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    assert not jobs.jobs_recover()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.is_stalled) == ("running", 1, False)


def test_the_run_page_shows_a_stalled_run_and_resumes_it(
    contracts, clerk, client, queued_tasks_run
):
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    stall(run)
    client.force_login(clerk)
    page = client.get(reverse("invoicing:billing_run", args=[run.pk])).content.decode()
    assert "Stalled" in page and "hx-trigger" not in page
    assert reverse("invoicing:billing_run_resume", args=[run.pk]) in page
    with queued_tasks_run():
        client.post(reverse("invoicing:billing_run_resume", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == "done"
    assert proposals_per_contract() == every_contract_once(contracts)


def test_a_running_run_cannot_be_resumed_nor_a_finished_one(clerk, client):
    running = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    done = BillingRun.objects.create(created_by=clerk, up_to_date=DAY, status="done")
    client.force_login(clerk)
    for run, refusal in ((running, "still running"), (done, "it is Done")):
        response = client.post(reverse("invoicing:billing_run_resume", args=[run.pk]), follow=True)
        assert refusal in response.content.decode()
        run.refresh_from_db()
        assert run.attempts == 1


def test_resuming_needs_the_permission_that_starts_a_run(clerk, client, user_with_role):
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY, status="failed")
    client.force_login(user_with_role("read_only"))
    assert client.post(reverse("invoicing:billing_run_resume", args=[run.pk])).status_code == 403


# PDF batches -----------------------------------------------------------------------------


def test_a_stalled_pdf_batch_is_resumed_by_the_sweep(clerk, media_root, queued_tasks_run):
    batch = PdfBatch.objects.create(created_by=clerk, invoice_ids=[])
    stall(batch)
    with queued_tasks_run():
        assert jobs.jobs_recover().pdf_batches_resumed == [batch.pk]
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("done", 2)
    assert batch.archive.name.endswith(".zip")


def test_the_pdf_batch_page_offers_to_start_a_failed_batch_again(
    clerk, client, media_root, queued_tasks_run
):
    batch = PdfBatch.objects.create(
        created_by=clerk, invoice_ids=[], status="failed", message="Pango is missing"
    )
    client.force_login(clerk)
    page = client.get(reverse("invoicing:pdf_batch", args=[batch.pk])).content.decode()
    assert "Pango is missing" in page and "Start again" in page
    with queued_tasks_run():
        client.post(reverse("invoicing:pdf_batch_resume", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.message) == ("done", "")


# Imports ---------------------------------------------------------------------------------


@pytest.fixture
def uploaded(billing_setup, clerk, django_capture_on_commit_callbacks):
    """A checked two-row timesheet, ready to confirm."""
    content = (
        f"{HEADER}\nTS-1;2026-03-02;P-1;W1;DEV;7,5;Work;SEK\nTS-2;2026-03-03;P-1;W1;DEV;2;x;SEK\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        batch = uploads.import_batch_create(
            uploaded_file=SimpleUploadedFile("week10.csv", content), actor=clerk
        )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED
    return batch


def test_a_stalled_import_is_failed_in_words_and_can_be_checked_and_confirmed_again(
    uploaded, clerk, client, django_capture_on_commit_callbacks
):
    # given an import whose worker died (nothing was written: it is one transaction)
    ImportBatch.objects.filter(pk=uploaded.pk).update(status=ImportStatus.IMPORTING)
    stall(uploaded)
    client.force_login(clerk)
    page = client.get(uploaded.get_absolute_url()).content.decode()
    assert "Stalled" in page and "Start again" in page and "hx-trigger" not in page
    # when the sweep runs
    assert jobs.jobs_recover().imports_failed == [uploaded.pk]
    uploaded.refresh_from_db()
    assert uploaded.status == ImportStatus.FAILED
    assert text_of_stored(uploaded.message) == (
        "The worker stopped while importing; nothing was imported. "
        "Check and confirm the file again."
    )
    # then the clerk checks it again and confirms it
    page = client.get(uploaded.get_absolute_url()).content.decode()
    assert "Check the file again" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("invoicing:import_check_again", args=[uploaded.pk]))
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.new_rows, uploaded.attempts) == ("validated", 2, 2)
    client.post(reverse("invoicing:import_confirm", args=[uploaded.pk]))
    uploaded.refresh_from_db()
    assert uploaded.status == ImportStatus.IMPORTED
    assert ProjectTransaction.objects.filter(import_batch=uploaded).count() == 2


def test_a_stalled_import_can_be_started_again_from_its_page_without_the_sweep(
    uploaded, clerk, client, django_capture_on_commit_callbacks
):
    ImportBatch.objects.filter(pk=uploaded.pk).update(status=ImportStatus.IMPORTING)
    stall(uploaded)
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("invoicing:import_check_again", args=[uploaded.pk]))
    uploaded.refresh_from_db()
    assert uploaded.status == ImportStatus.VALIDATED


def test_an_import_that_is_running_or_imported_cannot_be_checked_again(uploaded, clerk, client):
    client.force_login(clerk)
    for status in (ImportStatus.IMPORTING, ImportStatus.IMPORTED, ImportStatus.VALIDATED):
        ImportBatch.objects.filter(pk=uploaded.pk).update(status=status)
        response = client.post(
            reverse("invoicing:import_check_again", args=[uploaded.pk]), follow=True
        )
        assert "cannot be checked again" in response.content.decode()


def test_an_unexpected_error_while_checking_fails_the_batch_with_a_message(
    uploaded, monkeypatch, clerk
):
    ImportBatch.objects.filter(pk=uploaded.pk).update(status=ImportStatus.VALIDATING)

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(imports, "timesheet_check", broken)
    batch = imports.import_batch_validate(batch_id=uploaded.pk)
    assert batch.status == ImportStatus.FAILED
    assert text_of_stored(batch.message).startswith("The file could not be checked: out of memory.")


def test_an_import_marked_failed_while_it_ran_writes_nothing(uploaded, monkeypatch):
    """The sweep (or a clerk) gave up on an import that was in fact still running: when it
    reaches its end it finds the batch taken from it and rolls everything back."""
    ImportBatch.objects.filter(pk=uploaded.pk).update(status=ImportStatus.IMPORTING)
    original = imports.import_chunk_write

    def meanwhile_failed(**kwargs):
        original(**kwargs)
        ImportBatch.objects.filter(pk=uploaded.pk).update(status=ImportStatus.FAILED)

    monkeypatch.setattr(imports, "import_chunk_write", meanwhile_failed)
    batch = imports.import_batch_commit(batch_id=uploaded.pk)
    # (in this one-connection test the "meanwhile" update is rolled back with the import; the
    # PostgreSQL fault tests do it from another connection)
    assert batch.status != ImportStatus.IMPORTED
    assert not ProjectTransaction.objects.exists()


def test_recover_jobs_command_reports_what_it_did(uploaded, clerk, capsys):
    ImportBatch.objects.filter(pk=uploaded.pk).update(status=ImportStatus.VALIDATING)
    stall(uploaded)
    call_command("recover_jobs")
    assert f"imports failed: {uploaded.pk}" in capsys.readouterr().out
    uploaded.refresh_from_db()
    assert text_of_stored(uploaded.message).startswith("The worker stopped while checking the file")
