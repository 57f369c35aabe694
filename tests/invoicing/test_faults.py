"""Fault tests (issue 13), on PostgreSQL: a terminated database connection costs no request,
the worker waits out a database outage, and a worker killed (SIGKILL) in the middle of an
import or a billing run leaves nothing half-written and the job recoverable.

Bounded: nothing sleeps on purpose; a subprocess is waited for at most WAIT_SECONDS, and only
that long when something is broken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.db.utils import OperationalError
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from invoicing import jobs
from invoicing.management.commands.run_worker import ResilientWorker
from invoicing.proposals.models import BillingRun, InvoiceProposal
from invoicing.proposals.tasks import billing_run_task
from invoicing.transactions import uploads
from invoicing.transactions.models import (
    ImportBatch,
    ImportStatus,
    JobChunk,
    ProjectTransaction,
)
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.invoicing.test_jobs import stall

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="faults are played on PostgreSQL"),
]

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60  # only reached when something is broken
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def backend_terminate(pid: int) -> None:
    """What a database restart does to a connection: its server process goes away."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


# A terminated connection costs no request ------------------------------------------------


def served(path: str, cookie: str) -> int:
    """One request through Django's WSGI handler, as gunicorn sends it: the request_started and
    request_finished signals run (the test client leaves them out), so kept connections are
    checked (CONN_HEALTH_CHECKS) and closed when too old, exactly as in production."""
    environ = RequestFactory().get(path).environ
    environ["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    status = []
    response = WSGIHandler()(environ, lambda line, headers, exc_info=None: status.append(line))
    b"".join(response)
    response.close()
    return int(status[0].split()[0])


@pytest.mark.parametrize(("health_checks", "second_request"), [(True, 200), (False, 500)])
def test_a_terminated_connection_costs_no_request(
    client, monkeypatch, health_checks, second_request
):
    """With CONN_MAX_AGE the connection outlives a request; after the database restarts, the
    first request that uses it gets a fresh one (health checks), not a 500 (without)."""
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True  # the settings say so
    client.force_login(UserFactory(role="finance_clerk"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", health_checks)
    connection.close()
    url = reverse("invoicing:import_list")
    assert served(url, cookie) == 200
    backend_terminate(backend_pid())
    assert served(url, cookie) == second_request
    connection.close()


# The worker waits out a database outage --------------------------------------------------


@pytest.fixture
def billable(db):
    """Three active contracts with hours to bill up to DAY, and the clerk who bills them."""
    worker = WorkerFactory(sales_rate=100)
    contracts = []
    for number in range(3):
        contract, project, _source = contract_with_customer(code=f"K-{number}")
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        hours(project, worker, "10")
        contracts.append(contract)
    return contracts, UserFactory(username="karin", role="finance_clerk")


def database_down_for(monkeypatch, attempts: int) -> None:
    """Terminate the connection in use and refuse the next ``attempts`` connections, as a
    restarting PostgreSQL does."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    backend_terminate(backend_pid())
    refusals = {"left": attempts}
    connect = connection.get_new_connection

    def refused_while_down(params):
        if refusals["left"]:
            refusals["left"] -= 1
            raise psycopg.OperationalError("the database system is starting up")
        return connect(params)

    monkeypatch.setattr(connection, "get_new_connection", refused_while_down)


WORKER_OPTIONS = {
    "queue_names": ["default"],
    "excluded_queue_names": [],
    "interval": 0,
    "batch": False,
    "backend_name": "default",
    "startup_delay": False,
    "max_tasks": 1,
    "worker_id": "test-worker",
}


@override_settings(TASKS=DATABASE_TASKS)
def test_the_worker_waits_out_a_database_outage_then_runs_the_queued_task(billable, monkeypatch):
    contracts, clerk = billable
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)
    queued = billing_run_task.enqueue(run.pk, run.attempts)
    database_down_for(monkeypatch, attempts=3)
    waits = []
    worker = ResilientWorker(**WORKER_OPTIONS, retry_delay=0.5, sleep=waits.append)
    worker.run()  # returns after its one task (max_tasks=1)
    assert waits == [0.5, 1.0, 2.0]  # it kept polling, backing off, while the database was down
    assert worker.outages == 3
    assert DBTaskResult.objects.get(pk=queued.id).status == "SUCCESSFUL"
    run.refresh_from_db()
    assert (run.status, run.processed_contracts, run.proposals_created) == ("done", 3, 3)


@override_settings(TASKS=DATABASE_TASKS)
def test_the_stock_db_worker_exits_on_the_same_outage(billable, monkeypatch):
    """Why run_worker exists: django-tasks-db's own loop gives up at the first refusal."""
    billing_run_task.enqueue(1, 1)
    database_down_for(monkeypatch, attempts=1)
    with pytest.raises(OperationalError):
        db_worker.Worker(**WORKER_OPTIONS).run()


# A worker killed in the middle of a job --------------------------------------------------


def database_url() -> str:
    params = connection.settings_dict
    user = quote(params["USER"] or "")
    password = f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else ""
    host = params["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{params['PORT'] or 5432}/{params['NAME']}"


def killed_when_it_says(script: str, word: str) -> None:
    """Run ``script`` in a new Python process on the test database, wait until it prints
    ``word`` (it is then in the middle of its work), and kill it with SIGKILL: no exception
    handler, no rollback of its own, no last write; PostgreSQL drops its open transaction."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(),
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    prelude = "import time, django\ndjango.setup()\n"
    process = subprocess.Popen(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()  # blocks until the script speaks (or dies)
        assert line.strip() == word, line + process.stderr.read()
        process.send_signal(signal.SIGKILL)
        assert process.wait(WAIT_SECONDS) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


IMPORT_KILLED_AFTER_WRITING = """
from invoicing.transactions import imports
written = imports.import_chunk_write

def write_then_hang(**kwargs):
    written(**kwargs)
    print("WRITTEN", flush=True)  # every row is inserted (one chunk); the transaction is open
    time.sleep(60)

imports.import_chunk_write = write_then_hang
imports.import_batch_commit(batch_id={batch_id})
"""


def test_a_worker_killed_during_an_import_leaves_nothing_and_the_batch_recoverable(
    billing_setup,
):
    clerk = UserFactory(username="karin", role="finance_clerk")
    header = "Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"
    rows = "".join(f"TS-{day};2026-03-{day:02};P-1;W1;DEV;2;x;SEK\n" for day in range(2, 12))
    batch = uploads.import_batch_create(
        uploaded_file=SimpleUploadedFile("week.csv", f"{header}\n{rows}".encode()), actor=clerk
    )
    batch.refresh_from_db()
    assert (batch.status, batch.new_rows) == (ImportStatus.VALIDATED, 10)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.IMPORTING)

    killed_when_it_says(IMPORT_KILLED_AFTER_WRITING.format(batch_id=batch.pk), "WRITTEN")

    assert not ProjectTransaction.objects.exists()  # all or nothing: nothing
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTING  # nobody said otherwise: the worker is dead
    stall(batch)
    assert jobs.jobs_recover().imports_failed == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "nothing was imported" in batch.message
    # recoverable: checked again, confirmed, imported once
    uploads.import_batch_check_again(batch=batch, actor=clerk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED
    uploads.import_batch_confirm(batch=batch, actor=clerk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert ProjectTransaction.objects.filter(import_batch=batch).count() == 10


RUN_KILLED_IN_THE_SECOND_CHUNK = """
from django.conf import settings
from invoicing.proposals import runs
settings.BILLING_RUN_CHUNK_CONTRACTS = 1
generate = runs.proposals_generate
calls = []

def generate_until_the_second(**kwargs):
    calls.append(1)
    made = generate(**kwargs)
    if len(calls) == 2:
        print("BILLING", flush=True)  # the first contract is committed, the second is not
        time.sleep(60)
    return made

runs.proposals_generate = generate_until_the_second
runs.billing_run_execute(run_id={run_id}, attempt=1)
"""


def test_a_worker_killed_during_a_billing_run_is_resumed_and_bills_every_contract_once(
    billable,
):
    contracts, clerk = billable
    run = BillingRun.objects.create(created_by=clerk, up_to_date=DAY)

    killed_when_it_says(RUN_KILLED_IN_THE_SECOND_CHUNK.format(run_id=run.pk), "BILLING")

    run.refresh_from_db()
    assert (run.status, run.processed_contracts) == ("running", 1)
    chunks = JobChunk.objects.filter(job_id=run.pk).order_by("number")
    assert [chunk.status for chunk in chunks] == ["done", "running", "queued"]
    assert list(InvoiceProposal.objects.values_list("contract__code", flat=True)) == ["K-0"]
    stall(run)
    assert jobs.jobs_recover().runs_resumed == [run.pk]  # the task runs at once (immediate)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.processed_contracts) == ("done", 2, 3)
    billed = Counter(InvoiceProposal.objects.values_list("contract__code", flat=True))
    assert billed == {"K-0": 1, "K-1": 1, "K-2": 1}
