"""Benchmark: posting 1,000 approved proposals, and rendering a one-page and a 200-line invoice
PDF (median of several renders), on PostgreSQL (a fresh database `billing_bench_post`).

    .venv/bin/python tests/benchmarks/bench_posting.py

Not a test: it prints a table.
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


def approved(count: int, lines_each: int):
    from invoicing.proposals.models import InvoiceProposal, ProposalLine
    from tests.factories import FundingSourceFactory, ProjectContractFactory, UserFactory

    clerk = UserFactory(username="karin", role="finance_clerk")
    approver = UserFactory(username="lars", role="approver")
    contract = ProjectContractFactory(code=f"K{count}-{lines_each}")
    source = FundingSourceFactory(contract=contract, customer=contract.customer)
    proposals = InvoiceProposal.objects.bulk_create(
        [
            InvoiceProposal(
                contract=contract,
                funding_source=source,
                up_to_date=datetime.date(2026, 3, 31),
                created_by=clerk,
                status="approved",
                submitted_by=clerk,
                approved_by=approver,
            )  # fmt: skip
            for _ in range(count)
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

    proposals, clerk = approved(1000, 5)
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
    print(f"{'benchmark':<44}{'figure':>16}{'target':>16}{'':>6}")
    print(
        f"{'posting 1,000 approved proposals':<44}{rate:>10,.0f} inv/s{'>= 50 inv/s':>16}{'PASS' if rate >= 50 else 'FAIL':>6}"
    )
    print(
        f"{f'one-page PDF ({small_pages} page), median of 7':<44}{small_seconds:>14.3f} s{'< 0.5 s':>16}{'PASS' if small_seconds < 0.5 else 'FAIL':>6}"
    )
    print(
        f"{f'200-line PDF ({large_pages} pages), median of 3':<44}{large_seconds:>14.3f} s{'< 3 s':>16}{'PASS' if large_seconds < 3 else 'FAIL':>6}"
    )


if __name__ == "__main__":
    main()
