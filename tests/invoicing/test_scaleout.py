"""Scale-out test (issue 18), on PostgreSQL: three real worker processes (``manage.py
run_worker``, django-tasks-db's ``db_worker`` loop) share one billing run over a few hundred
contracts; one is killed with SIGKILL in the middle of a chunk; afterwards every contract has
its proposals exactly once, the run is done, and each worker did part of the work.

How the kill lands half-way, every time: the test holds a row lock on one contract in the
middle of the run, so the worker that claims that contract's chunk waits inside the chunk's
transaction (holding the chunk's row lock, as a slow worker does). That worker is killed, its
database session ends (as it does when a machine goes away), and the lock is released; the
chunk, never committed, is taken over by one of the two others.

Bounded: the workers are told that a chunk is stale after 2 s and to sweep every second; the
test waits at most WAIT_SECONDS for anything, and that long only when something is broken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from contracts.models import ProjectContract
from invoicing.proposals.models import BillingRun, InvoiceProposal
from invoicing.proposals.tasks import billing_run_task
from invoicing.transactions.models import JobChunk
from tests.benchmarks.bench_billing_run import MARCH as DAY
from tests.benchmarks.bench_billing_run import build, transactions_import
from tests.invoicing.test_faults import DATABASE_TASKS, ROOT, database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="scale-out runs on PostgreSQL"),
]

CONTRACTS = 200
CHUNK = 8  # 25 chunks
WORKERS = 3
WAIT_SECONDS = 45


def worker_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="0",
        DATABASE_URL=database_url(),
        TASKS_BACKEND="database",
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        BILLING_RUN_CHUNK_CONTRACTS=str(CHUNK),
        JOB_STALE_AFTER_SECONDS="2",
        JOB_SWEEP_SECONDS="1",
    )
    return env


def workers_start(tmp_path: Path) -> list[tuple[subprocess.Popen, Path]]:
    """Start the workers and wait until each polls the queue (it has logged its start)."""
    started = []
    for number in range(WORKERS):
        log = tmp_path / f"worker-{number}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.1",
             "--no-startup-delay", "--worker-id", f"scaleout-{number}", "-v", "2"],
            cwd=ROOT, env=worker_environment(), stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append((process, log))
    wait_until(
        lambda: all("Starting worker" in log.read_text() for _process, log in started),
        "the workers to start",
        started,
    )
    return started


def wait_until(condition, what: str, workers) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(log.read_text()[-3000:] for _process, log in workers)
            pytest.fail(f"waited {WAIT_SECONDS} s for {what}\n{logs}")
        time.sleep(0.05)


def workers_stop(workers) -> None:
    for process, _log in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _log in workers:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def backends_waiting_for_a_lock_end() -> None:
    """End the killed worker's database session (it waits for the contract's lock): what
    PostgreSQL does when the machine's connection goes away."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )


def test_three_workers_share_a_run_and_a_killed_one_costs_only_its_chunk(tmp_path):
    # given a few hundred contracts to bill, and three workers waiting for work
    user, facts, category, worker = build(CONTRACTS)
    transactions_import(facts, category, worker, 2, DAY)
    contract_ids = list(ProjectContract.objects.order_by("pk").values_list("pk", flat=True))
    middle = contract_ids[len(contract_ids) // 2 + 3]  # inside the 13th of 25 chunks
    workers = workers_start(tmp_path)
    pids = {process.pid: number for number, (process, _log) in enumerate(workers)}
    holder = psycopg.connect(**connection.get_connection_params())
    try:
        holder.execute(
            f"SELECT 1 FROM {ProjectContract._meta.db_table} WHERE id = %s FOR UPDATE", [middle]
        )
        # when a billing run is queued
        run = BillingRun.objects.create(created_by=user, up_to_date=DAY)
        with override_settings(TASKS=DATABASE_TASKS):
            billing_run_task.enqueue(run.pk, run.attempts)

        def held_chunk() -> JobChunk | None:
            return JobChunk.objects.filter(
                job_id=run.pk, item_ids__contains=middle, status="running"
            ).first()

        wait_until(lambda: held_chunk() is not None, "the middle chunk to be claimed", workers)
        stuck = held_chunk()
        victim_pid = int(stuck.worker.rsplit(":", 1)[1])
        wait_until(
            lambda: JobChunk.objects.filter(job_id=run.pk, status="done").count() >= 12,
            "the other chunks to go on",
            workers,
        )
        # and the worker holding the middle chunk is killed with SIGKILL in the middle of it
        victim = next(process for process, _log in workers if process.pid == victim_pid)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(WAIT_SECONDS) == -signal.SIGKILL
        backends_waiting_for_a_lock_end()
    finally:
        holder.rollback()
        holder.close()
    try:
        wait_until(
            lambda: BillingRun.objects.get(pk=run.pk).status != "running",
            "the run to finish",
            workers,
        )
    finally:
        workers_stop(workers)

    # then the run is done, and every contract has its two proposals (customer, grant) once
    run.refresh_from_db()
    assert (run.status, run.total_contracts, run.processed_contracts) == (
        "done",
        CONTRACTS,
        CONTRACTS,
    )
    per_contract = Counter(InvoiceProposal.objects.values_list("contract_id", flat=True))
    assert per_contract == Counter(dict.fromkeys(contract_ids, 2))
    assert run.proposals_created == 2 * CONTRACTS
    # the middle chunk was taken over by another worker, as its second attempt
    stuck.refresh_from_db()
    assert stuck.status == "done" and stuck.attempts == 2
    assert int(stuck.worker.rsplit(":", 1)[1]) in set(pids) - {victim_pid}
    # and each of the three workers did part of the work
    done_by = Counter(
        int(worker.rsplit(":", 1)[1])
        for worker in JobChunk.objects.filter(job_id=run.pk).values_list("worker", flat=True)
    )
    assert set(done_by) == set(pids), done_by
