"""Benchmark: posting approved proposals, each with its Peppol e-invoice built and validated
inside the posting (XML Schema, CEN EN 16931 rules, Peppol BIS 3.0 rules), in two scenarios:

- 1,000 proposals spread over 50 contracts (20 invoices each, a monthly billing of almost two
  years), the figure the issue's goal is about;
- 1,000 proposals on one contract and funder: the progress statement each invoice freezes counts
  everything billed before it, so this shows whether posting slows down as history grows;

and rendering a one-page and a 200-line invoice PDF (median of several renders), on PostgreSQL
(a fresh database, ``billing_bench_post`` unless ``--database`` names another).

    .venv/bin/python tests/benchmarks/bench_posting.py
    .venv/bin/python tests/benchmarks/bench_posting.py --database billing_bench_mine --no-pdf
    .venv/bin/python tests/benchmarks/bench_posting.py --scenario spread --count 300
    .venv/bin/python tests/benchmarks/bench_posting.py --lines 5   # the earlier 5-line figures

Each proposal has ``--lines`` fee lines (90 by default: a month of weekly consulting lines).

For each scenario it prints where one posting's time goes: the time spent in the database
driver (round trips and PostgreSQL's own work, with the number of queries one posting runs,
BEGIN and COMMIT included), the snapshot, the e-invoice's mapping and XML, the XML Schema, Saxon's
parse, each rule set and reading its report (on the validation thread, overlapping the posting's
own work), the wait for the validation's verdict, and the rest (the ORM building queries and
rows, totals, history, SHA-256). The stages are timed by wrapping the functions posting calls (each
timer is exclusive: a query inside the snapshot counts as database time), which costs a few
microseconds a posting.

Not a test: it prints a table, and exits non-zero when a figure misses its target (TARGET_*,
set for the 2-core CI machine).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BENCH_DB = "billing_bench_post"
SERVER_URL = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Targets for a 2-core machine, for proposals of 90 lines (``--lines``, the realistic month the
# issue's goal is about). Posting 5-line proposals was 111 invoices/s before snapshots, the
# receivables ledger and e-invoices; with all three 28/s (22/s on one contract) on a quiet
# machine. At 90 lines a posting costs about 0.2 s of CPU (Python, its validation thread and
# PostgreSQL; measured under load on 3 December, when no quiet window was to be had), the CEN
# rules alone a third of it: the thresholds below guard against regressions and were set from
# that CPU on two cores, not from a quiet run. The goal (50 invoices/s with validation
# on) is printed beside the first. PDFs: about 1.5 to 2 x the measured 0.09 s and 0.70 s; the
# design's looser limits were < 0.5 s and < 3 s.
TARGET_INVOICES_PER_SECOND = 6
TARGET_ONE_CONTRACT_PER_SECOND = 5
GOAL_INVOICES_PER_SECOND = 50
CONTRACTS = 50
TARGET_ONE_PAGE_SECONDS = 0.18
TARGET_MANY_LINES_SECONDS = 1.4


def prepare(database: str) -> None:
    postgres = SERVER_URL + "/postgres"
    subprocess.run(
        ["psql", postgres, "-q", "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
        check=True,
    )
    subprocess.run(["psql", postgres, "-q", "-c", f"CREATE DATABASE {database}"], check=True)
    os.environ["DATABASE_URL"] = f"{SERVER_URL}/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()


def drop(database: str) -> None:
    from django.db import connections

    connections.close_all()
    subprocess.run(
        ["psql", SERVER_URL + "/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {database}"],
        check=True,
    )


def approved(count: int, lines_each: int, contracts: int = 1, *, label: str = ""):
    from invoicing.proposals.models import InvoiceProposal, ProposalLine
    from tests.factories import FundingSourceFactory, ProjectContractFactory, UserFactory

    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", role="approver")
    funded = []
    for number in range(contracts):
        contract = ProjectContractFactory(code=f"K{label}{count}-{lines_each}-{number}")
        funded.append(
            (contract, FundingSourceFactory(contract=contract, customer=contract.customer))
        )
    proposals = InvoiceProposal.objects.bulk_create(
        [
            InvoiceProposal(
                contract=funded[n % contracts][0],
                funding_source=funded[n % contracts][1],
                up_to_date=datetime.date(2026, 3, 31),
                created_by=clerk,
                status="approved",
                submitted_by=clerk,
                approved_by=approver,
            )  # fmt: skip
            for n in range(count)
        ]
    )
    ProposalLine.objects.bulk_create(
        [
            ProposalLine(
                proposal=proposal,
                line_type="fee",
                kind="hour",
                description=f"Consulting, week {n % 52 + 1}",
                quantity=Decimal("7.5"),
                unit_price=Decimal("1150"),
                amount=Decimal("8625.00"),
            )  # fmt: skip
            for proposal in proposals
            for n in range(lines_each)
        ]
    )
    return proposals, clerk


class Stages:
    """Exclusive wall-clock and CPU time per stage, per thread: while a stage runs inside
    another on the same thread, only the inner one is charged. The outermost stage of the
    posting's thread (``posting``) keeps what no other stage took. The validation runs on a
    validation thread, overlapping the posting's own work: its stages are charged there (CPU
    of that thread), and the posting's thread is charged ``awaiting validation`` for the time
    it waits for the verdict."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.local = threading.local()
        self.lock = threading.Lock()

    def _state(self):
        if not hasattr(self.local, "stack"):
            self.local.stack, self.local.mark, self.local.cpu_mark = [], 0.0, 0.0
        return self.local

    def _charge(self) -> None:
        state = self._state()
        now, cpu = time.perf_counter(), time.thread_time()
        if state.stack:
            with self.lock:
                self.seconds[state.stack[-1]] += now - state.mark
                self.cpu[state.stack[-1]] += cpu - state.cpu_mark
        state.mark, state.cpu_mark = now, cpu

    def enter(self, label: str) -> None:
        self._charge()
        self._state().stack.append(label)

    def leave(self) -> None:
        self._charge()
        self._state().stack.pop()

    def clear(self) -> None:
        with self.lock:
            self.seconds.clear()
            self.cpu.clear()

    def wrap(self, module, name: str, label) -> None:
        """Time ``module.name`` (if it exists) as ``label``, or ``label(*args)`` if callable."""
        function = getattr(module, name, None)
        if function is None:
            return

        def timed(*args, **kwargs):
            self.enter(label(*args, **kwargs) if callable(label) else label)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        setattr(module, name, timed)

    def query(self, execute, sql, params, many, context):
        self.enter("database")
        try:
            return execute(sql, params, many, context)
        finally:
            self.leave()


STAGE_LABELS = {
    "database": "database driver: round trips and PostgreSQL's work",
    "snapshot": "snapshot (parties, terms, progress statement)",
    "einvoice": "e-invoice mapping and UBL XML",
    "xsd": "XML Schema (lxml parse and validate)",
    "saxon parse": "Saxon parse of the XML",
    "cen": "CEN EN 16931 rules (XSLT)",
    "peppol": "Peppol BIS 3.0 rules (XSLT)",
    "svrl": "reading the rules' reports",
    "awaiting validation": "waiting for the validation thread's verdict",
    "posting": "the rest: ORM, totals, history, SHA-256",
}
# Stages run on the validation thread, overlapping the posting's own (their wall time is not
# part of a posting's; their CPU is).
ON_VALIDATION_THREAD = ("xsd", "saxon parse", "cen", "peppol", "svrl")


def instrument(stages: Stages) -> None:
    import einvoice.validation as validation
    from invoicing.invoices import einvoices, posting

    stages.wrap(posting, "invoice_snapshot", "snapshot")
    stages.wrap(einvoices, "document_of_record", "einvoice")
    stages.wrap(einvoices, "ubl_bytes", "einvoice")
    stages.wrap(validation, "_parse", "xsd")
    stages.wrap(validation, "_schema_findings", "xsd")
    stages.wrap(validation, "_saxon_document", "saxon parse")
    stages.wrap(validation, "_rule_set_findings", lambda executable, node, rule_set: rule_set.name)
    stages.wrap(validation, "svrl_findings", "svrl")
    started = validation.validation_started

    def validation_started(*args, **kwargs):
        verdict = started(*args, **kwargs)

        def awaited():
            stages.enter("awaiting validation")
            try:
                return verdict()
            finally:
                stages.leave()

        return awaited

    einvoices.validation_started = validation_started


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time the PostgreSQL backend serving this connection has used (Linux, same host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post_all(proposals, clerk, stages: Stages) -> dict:
    """Post every proposal: the rate, the queries the last posting ran, and the CPU time per
    posting of this process and of its PostgreSQL backend (figures that depend less on what
    else the machine is doing than the rate does)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from invoicing.invoices import posting

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [backend] = cursor.fetchone()
    stages.clear()
    backend_before = backend_cpu_seconds(backend)
    cpu_before = time.process_time()
    started = time.perf_counter()
    with connection.execute_wrapper(stages.query):
        for proposal in proposals[:-1]:
            stages.enter("posting")
            posting.invoice_post(proposal=proposal, actor=clerk)
            stages.leave()
        with CaptureQueriesContext(connection) as queries:
            stages.enter("posting")
            posting.invoice_post(proposal=proposals[-1], actor=clerk)
            stages.leave()
    seconds = time.perf_counter() - started
    backend_after = backend_cpu_seconds(backend)
    count = len(proposals)
    return {
        "rate": count / seconds,
        "queries": len(queries),
        "stages": dict(stages.seconds),
        "cpu": dict(stages.cpu),
        "client_cpu_ms": (time.process_time() - cpu_before) / count * 1000,
        "backend_cpu_ms": None
        if backend_before is None
        else (backend_after - backend_before) / count * 1000,
    }


def print_stages(title: str, run: dict, count: int) -> None:
    seconds, cpu = run["stages"], run["cpu"]
    total = sum(spent for stage, spent in seconds.items() if stage not in ON_VALIDATION_THREAD)
    print(f"{title}: {total / count * 1000:.1f} ms a posting, {run['queries']} queries")
    print(f"  {'stage (ms a posting)':<52}{'wall':>8}{'':>6}{'CPU':>8}")
    for stage, label in STAGE_LABELS.items():
        if stage in ON_VALIDATION_THREAD:
            label = f"(validation thread) {label}"
        spent = seconds.get(stage, 0.0)
        print(
            f"  {label:<52}{spent / count * 1000:8.2f}{spent / total:6.0%}"
            f"{cpu.get(stage, 0.0) / count * 1000:8.2f}"
        )
    backend = run["backend_cpu_ms"]
    print(
        f"  CPU a posting: {run['client_cpu_ms']:.1f} ms in Python"
        + ("" if backend is None else f", {backend:.1f} ms in the PostgreSQL backend")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=BENCH_DB, help="scratch database (dropped first)")
    parser.add_argument("--count", type=int, default=1000, help="proposals per scenario")
    parser.add_argument("--scenario", choices=("both", "spread", "one-contract"), default="both")
    parser.add_argument(
        "--lines", type=int, default=90, help="lines a proposal (90: a realistic month)"
    )
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF renders")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()

    prepare(options.database)
    from einvoice.validation import warm_up
    from invoicing.invoices import documents, posting

    warm_up()  # the stylesheets' one compile per process is not posting's time
    stages = Stages()
    instrument(stages)
    checks, breakdowns = [], []
    count = options.count
    if options.scenario in ("both", "spread"):
        proposals, clerk = approved(count, options.lines, contracts=CONTRACTS, label="S")
        run = post_all(proposals, clerk, stages)
        rate = run["rate"]
        breakdowns.append((f"{count:,} over {CONTRACTS} contracts", run))
        goal = "met" if rate >= GOAL_INVOICES_PER_SECOND else "not met"
        checks.append(
            (
                f"posting {count:,} over {CONTRACTS} contracts (goal "
                f"{GOAL_INVOICES_PER_SECOND}/s: {goal})",
                f"{rate:,.1f} inv/s",
                f">= {TARGET_INVOICES_PER_SECOND} inv/s",
                rate >= TARGET_INVOICES_PER_SECOND,
            )
        )
    if options.scenario in ("both", "one-contract"):
        proposals, clerk = approved(count, options.lines, contracts=1, label="O")
        run = post_all(proposals, clerk, stages)
        rate = run["rate"]
        breakdowns.append((f"{count:,} on one contract", run))
        checks.append(
            (
                f"posting {count:,} on one contract",
                f"{rate:,.1f} inv/s",
                f">= {TARGET_ONE_CONTRACT_PER_SECOND} inv/s",
                rate >= TARGET_ONE_CONTRACT_PER_SECOND,
            )
        )

    if not options.no_pdf:
        [small], clerk = approved(1, 5, label="P")
        [large], clerk = approved(1, 200, label="P")
        one_page = posting.invoice_post(proposal=small, actor=clerk)
        many_lines = posting.invoice_post(proposal=large, actor=clerk)

        def median_render(invoice, times):
            durations = []
            for _ in range(times):
                started = time.perf_counter()
                pdf = documents.invoice_pdf(invoice)
                durations.append(time.perf_counter() - started)
            info = subprocess.run(
                ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
            ).stdout.decode()
            pages = int(
                next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
            )
            return statistics.median(durations), pages

        documents.invoice_pdf(one_page)  # warm up fonts and templates
        small_seconds, small_pages = median_render(one_page, 7)
        large_seconds, large_pages = median_render(many_lines, 3)
        checks += [
            (
                f"one-page PDF ({small_pages} page), median of 7",
                f"{small_seconds:.3f} s",
                f"< {TARGET_ONE_PAGE_SECONDS} s",
                small_seconds < TARGET_ONE_PAGE_SECONDS,
            ),
            (
                f"200-line PDF ({large_pages} pages), median of 3",
                f"{large_seconds:.3f} s",
                f"< {TARGET_MANY_LINES_SECONDS} s",
                large_seconds < TARGET_MANY_LINES_SECONDS,
            ),
        ]
    if not options.keep:
        drop(options.database)

    for title, run in breakdowns:
        print_stages(f"where a posting's time goes, {title}", run, count)
    print(f"{'benchmark':<56}{'figure':>14}{'target':>16}{'':>6}")
    for label, figure, target, met in checks:
        print(f"{label:<56}{figure:>14}{target:>16}{'PASS' if met else 'FAIL':>6}")
    passed = all(check[-1] for check in checks)
    print("result:", "PASS" if passed else "FAIL")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
