"""Benchmark: one billing run shared by 1 and then 2 worker processes (``manage.py run_worker``)
on PostgreSQL (a fresh database `billing_bench_scaleout`), and the speed-up.

    .venv/bin/python tests/benchmarks/bench_scaleout.py [--contracts 3000] [--per-contract 10]
        [--workers 1,2] [--chunk 50]

The data is bench_billing_run.py's (contracts with a T&M rule, a grant and the customer, and
uninvoiced hours), built once; before each run the proposals are deleted and the transactions
are uninvoiced again. Each run starts its workers, waits until they poll, queues the run's task
and measures until the run is done (the workers' start-up is not counted). Prints a table; exits
non-zero when the run over two workers is not faster than over one, or a run bills a contract
other than exactly once. Not a test; mind that the figures depend on the machine's other load.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_billing_run import (  # noqa: E402
    MARCH,
    SERVER_URL,
    build,
    transactions_import,
    unbill,
)

DAY = MARCH  # the month the builder's transactions fall in
BENCH_DB = "billing_bench_scaleout"
WAIT_SECONDS = 1800


def prepare() -> None:
    postgres = SERVER_URL + "/postgres"
    subprocess.run(
        ["psql", postgres, "-q", "-c", f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"],
        check=True,
    )
    subprocess.run(["psql", postgres, "-q", "-c", f"CREATE DATABASE {BENCH_DB}"], check=True)
    os.environ["DATABASE_URL"] = f"{SERVER_URL}/{BENCH_DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()


def workers_start(count: int, chunk: int, logs: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "TASKS_BACKEND": "database",
        "BILLING_RUN_CHUNK_CONTRACTS": str(chunk),
    }
    started = []
    for number in range(count):
        log = logs / f"worker-{count}-{number}.log"
        started.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "run_worker",
                    "--interval",
                    "0.1",
                    "--no-startup-delay",
                    "-v",
                    "2",
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        )
    deadline = time.monotonic() + 120
    while not all(
        "Starting worker" in (logs / f"worker-{count}-{n}.log").read_text() for n in range(count)
    ):
        if time.monotonic() > deadline:
            sys.exit("the workers did not start")
        time.sleep(0.1)
    return started


def workers_stop(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        process.send_signal(signal.SIGTERM)
    for process in workers:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def run(user, *, workers: int, chunk: int, logs: Path) -> dict:
    from django.test import override_settings

    from contracts.models import ProjectContract
    from invoicing.proposals.models import BillingRun, InvoiceProposal
    from invoicing.proposals.tasks import billing_run_task
    from invoicing.transactions.models import JobChunk

    unbill()  # nothing billed yet: each run starts from the same data
    processes = workers_start(workers, chunk, logs)
    try:
        billing_run = BillingRun.objects.create(created_by=user, up_to_date=DAY)
        started = time.perf_counter()
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
            billing_run_task.enqueue(billing_run.pk, billing_run.attempts)
        while BillingRun.objects.get(pk=billing_run.pk).status == "running":
            if time.perf_counter() - started > WAIT_SECONDS:
                sys.exit("the run did not finish")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    finally:
        workers_stop(processes)
    billing_run.refresh_from_db()
    billed = Counter(InvoiceProposal.objects.values_list("contract_id", flat=True).distinct())
    by_worker = Counter(
        JobChunk.objects.filter(job_id=billing_run.pk).values_list("worker", flat=True)
    )
    return {
        "seconds": seconds,
        "status": billing_run.status,
        "proposals": billing_run.proposals_created,
        "contracts": ProjectContract.objects.count(),
        "billed_contracts": len(billed),
        "chunks_per_worker": sorted(by_worker.values(), reverse=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=3000)
    parser.add_argument("--per-contract", type=int, default=10)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--chunk", type=int, default=50)
    arguments = parser.parse_args()
    prepare()
    started = time.perf_counter()
    user, facts, category, worker = build(arguments.contracts)
    transactions_import(facts, category, worker, arguments.per_contract, DAY)
    print(
        f"set-up: {arguments.contracts:,} contracts x {arguments.per_contract} transactions "
        f"in {time.perf_counter() - started:.1f} s; chunks of {arguments.chunk} contracts"
    )
    results = {}
    with tempfile.TemporaryDirectory() as logs:
        for workers in [int(value) for value in arguments.workers.split(",")]:
            results[workers] = run(user, workers=workers, chunk=arguments.chunk, logs=Path(logs))
    one = results[min(results)]["seconds"]
    print(
        f"{'workers':>8}{'seconds':>10}{'contracts/s':>13}{'speed-up':>10}{'proposals':>11}"
        f"{'status':>8}  chunks per worker"
    )
    for workers, result in results.items():
        print(
            f"{workers:>8}{result['seconds']:>10.2f}"
            f"{result['contracts'] / result['seconds']:>13.1f}{one / result['seconds']:>9.2f}x"
            f"{result['proposals']:>11,}{result['status']:>8}  {result['chunks_per_worker']}"
        )
    once = all(
        result["status"] == "done" and result["billed_contracts"] == result["contracts"]
        for result in results.values()
    )
    faster = len(results) < 2 or results[max(results)]["seconds"] < one
    print("every contract billed, exactly one run each:", "PASS" if once else "FAIL")
    print("more workers finish sooner:", "PASS" if faster else "FAIL")
    sys.exit(0 if once and faster else 1)


if __name__ == "__main__":
    main()
