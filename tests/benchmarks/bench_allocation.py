"""Benchmark of the funding allocation engine: 100,000 transactions through allocate_batch.

Run from the repository root: ``.venv/bin/python tests/benchmarks/bench_allocation.py``.
Not collected by pytest. The data are generated from a fixed seed, so every run allocates the
same transactions: a realistic mix of timesheet hours (hours x rate) and expenses on several
projects (with subprojects), workers and categories, against 5 rules (all-transactions and
narrowed ones, one valid only part of the year) and 4 limited sources, plus an on-hold source
and a rounding source. The limits run out part-way through, so rules get scaled and skipped.
"""

from __future__ import annotations

import datetime
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from funding.allocation import (  # noqa: E402 - needs the repository root on sys.path
    AllocationLine,
    FundingLimit,
    FundingRule,
    FundingSetup,
    TransactionFacts,
    allocate_batch,
)

TRANSACTION_COUNT = 100_000
# About 1.9 x the time measured on a 2-core machine (190,000 transactions/s, 0.53 s).
TARGET_PER_SECOND = 100_000
RUNS = 3
SEED = 20240601

CUSTOMER, GRANT, INTERNAL, EU_PROGRAMME, ON_HOLD = 1, 2, 3, 4, 9
DEVELOPMENT, INSTALLATION, CONSULTING = 1, 2, 3
TRAVEL, OFFICE_SUPPLIES, EQUIPMENT = 10, 11, 12
LABOUR, COSTS = 100, 200
# project id -> ancestors (parent first)
PROJECTS = {10: (), 11: (10,), 12: (10,), 20: (), 30: (), 31: (30,), 32: (31, 30)}


def build_setup() -> FundingSetup:
    """5 rules (two all-transactions, three narrowed, one date-limited), 4 limited sources."""

    def line(source_id: int, percentage: str) -> AllocationLine:
        return AllocationLine(source_id, Decimal(percentage))

    rules = (
        FundingRule(
            1,
            1,
            (line(EU_PROGRAMME, "60"), line(GRANT, "40")),
            project_id=10,
            name="EU programme on project 10",
        ),
        FundingRule(2, 1, (line(GRANT, "50"), line(INTERNAL, "25")), name="Grant and internal"),
        FundingRule(3, 2, (line(INTERNAL, "100"),), kind="expense", name="Internal pays costs"),
        FundingRule(
            4,
            2,
            (line(EU_PROGRAMME, "66.67"), line(CUSTOMER, "33.33")),
            valid_from=datetime.date(2024, 3, 1),
            valid_to=datetime.date(2024, 9, 30),
            name="EU co-funding, Mar-Sep",
        ),
        FundingRule(5, 3, (line(CUSTOMER, "100"),), name="Customer pays the rest"),
    )
    limits = (
        FundingLimit(1, CUSTOMER, Decimal("280000000.00")),
        FundingLimit(2, GRANT, Decimal("150000000.00")),
        FundingLimit(3, GRANT, Decimal("9000000.00"), category_id=TRAVEL),
        FundingLimit(4, INTERNAL, Decimal("95000000.00")),
        FundingLimit(
            5,
            EU_PROGRAMME,
            Decimal("120000000.00"),
            date_from=datetime.date(2024, 1, 1),
            date_to=datetime.date(2024, 12, 31),
        ),
    )
    return FundingSetup(
        currency="SEK",
        rules=rules,
        limits=limits,
        rounding_source_id=CUSTOMER,
        on_hold_source_id=ON_HOLD,
        source_names={
            CUSTOMER: "Customer AB",
            GRANT: "Research grant",
            INTERNAL: "Internal R&D",
            EU_PROGRAMME: "EU programme",
            ON_HOLD: "On hold",
        },
    )


def build_transactions(count: int = TRANSACTION_COUNT, seed: int = SEED) -> list[TransactionFacts]:
    """``count`` transactions, the same for the same seed: ~80 % hours, ~20 % expenses."""
    generator = random.Random(seed)
    start = datetime.date(2024, 1, 1)
    project_ids = list(PROJECTS)
    rates = [Decimal(rate) for rate in ("650.00", "850.00", "995.00", "1150.00", "1450.00")]
    quarter_hours = [Decimal(quarters) / 4 for quarters in range(1, 41)]
    transactions = []
    for number in range(count):
        project_id = generator.choice(project_ids)
        day = start + datetime.timedelta(days=generator.randrange(366))
        if generator.random() < 0.8:
            amount = generator.choice(quarter_hours) * generator.choice(rates)
            transaction = TransactionFacts(
                key=number,
                amount=amount.quantize(Decimal("0.01")),
                date=day,
                currency="SEK",
                kind="hour",
                project_id=project_id,
                worker_id=generator.randrange(1, 41),
                category_id=generator.choice((DEVELOPMENT, INSTALLATION, CONSULTING)),
                category_group_id=LABOUR,
                project_ancestor_ids=PROJECTS[project_id],
            )
        else:
            transaction = TransactionFacts(
                key=number,
                amount=Decimal(generator.randrange(5_000, 2_500_000)).scaleb(-2),
                date=day,
                currency="SEK",
                kind="expense",
                project_id=project_id,
                worker_id=generator.randrange(1, 41),
                category_id=generator.choice((TRAVEL, OFFICE_SUPPLIES, EQUIPMENT)),
                category_group_id=COSTS,
                project_ancestor_ids=PROJECTS[project_id],
            )
        transactions.append(transaction)
    return transactions


def check_invariants(setup: FundingSetup, transactions, results, usage) -> bool:
    """Every result adds back to its amount exactly and no limit ends above its amount."""
    for transaction, result in zip(transactions, results, strict=True):
        if sum((allocation.amount for allocation in result.allocations), Decimal(0)) != (
            transaction.amount
        ):
            return False
    return all(usage.get(limit.id, Decimal(0)) <= limit.amount for limit in setup.limits)


def main() -> None:
    setup = build_setup()
    transactions = build_transactions()
    timings = []
    results: list = []
    for _run in range(RUNS):
        # A fresh setup each run: the per-setup caches (plans, decimals) start cold every time.
        # The previous run's results are freed before the clock starts.
        setup = build_setup()
        results = []
        started = time.perf_counter()
        results, usage = allocate_batch(transactions, setup, {})
        timings.append(time.perf_counter() - started)
    best = min(timings)
    per_second = len(transactions) / best
    exact = check_invariants(setup, transactions, results, usage)
    passed = exact and per_second >= TARGET_PER_SECOND
    allocation_count = sum(len(result.allocations) for result in results)
    rows = [
        ("transactions", f"{len(transactions):,}"),
        ("allocations", f"{allocation_count:,}"),
        ("seconds (best of 3)", f"{best:.3f}"),
        ("transactions per second", f"{per_second:,.0f}"),
        ("target per second", f"{TARGET_PER_SECOND:,}"),
        ("sums back exactly, limits kept", "yes" if exact else "NO"),
        ("result", "PASS" if passed else "FAIL"),
    ]
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value:>12}")
    print("final usage: " + ", ".join(f"limit {key} = {value:,}" for key, value in usage.items()))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
