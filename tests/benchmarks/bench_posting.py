"""Benchmark: posting 1,000 approved proposals (spread over 50 contracts, 20 invoices each, as a
monthly billing of almost two years), each with its Peppol e-invoice built and validated inside
the posting; and rendering a one-page and a 200-line invoice PDF (median of several renders),
on PostgreSQL (a fresh database `billing_bench_post`).

    .venv/bin/python tests/benchmarks/bench_posting.py

Not a test: it prints a table, and exits non-zero when a figure misses its target (TARGET_*,
set for the 2-core CI machine).
"""

from __future__ import annotations

import datetime
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BENCH_DB = "billing_bench_post"
SERVER_URL = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Targets for a 2-core machine. Posting was 111 invoices/s before snapshots, the receivables
# ledger and e-invoices; with all three it is about 33/s (validation is 7 to 8 ms of the 30 ms),
# so the failing threshold guards against regressions and the goal (50 invoices/s with
# validation on) is printed beside it, not met. PDFs: about 1.5 to 2 x the measured 0.09 s and
# 0.70 s; the design's looser limits were < 0.5 s and < 3 s.
TARGET_INVOICES_PER_SECOND = 25
GOAL_INVOICES_PER_SECOND = 50
CONTRACTS = 50
TARGET_ONE_PAGE_SECONDS = 0.18
TARGET_MANY_LINES_SECONDS = 1.4


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


def approved(count: int, lines_each: int, contracts: int = 1):
    from invoicing.proposals.models import InvoiceProposal, ProposalLine
    from tests.factories import FundingSourceFactory, ProjectContractFactory, UserFactory

    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", role="approver")
    funded = []
    for number in range(contracts):
        contract = ProjectContractFactory(code=f"K{count}-{lines_each}-{number}")
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


def main() -> None:
    prepare()
    from invoicing.invoices import documents, posting

    proposals, clerk = approved(1000, 5, contracts=CONTRACTS)
    started = time.perf_counter()
    for proposal in proposals:
        posting.invoice_post(proposal=proposal, actor=clerk)
    posting_seconds = time.perf_counter() - started

    [small], clerk = approved(1, 5)
    [large], clerk = approved(1, 200)
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
    rate = len(proposals) / posting_seconds
    checks = [
        (
            f"posting 1,000 proposals (goal {GOAL_INVOICES_PER_SECOND}/s: "
            f"{'met' if rate >= GOAL_INVOICES_PER_SECOND else 'not met'})",
            f"{rate:,.0f} inv/s",
            f">= {TARGET_INVOICES_PER_SECOND} inv/s",
            rate >= TARGET_INVOICES_PER_SECOND,
        ),
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
    print(f"{'benchmark':<44}{'figure':>16}{'target':>16}{'':>6}")
    for label, figure, target, met in checks:
        print(f"{label:<44}{figure:>16}{target:>16}{'PASS' if met else 'FAIL':>6}")
    passed = all(check[-1] for check in checks)
    print("result:", "PASS" if passed else "FAIL")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
