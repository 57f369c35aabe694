"""Tests of the pure funding allocation engine (DOMAIN.md section 3). No database.

The worked examples F1 and F2 are named tests with exact figures. The hypothesis tests compare
the engine with a small, independent reference written here with ``Fraction`` straight from
the domain text, and check the invariants: exact sums, no limit exceeded, each allocation within
one minor unit of its exact share, rounding to the rounding source, determinism, reversals.
"""

from __future__ import annotations

import datetime
import os
import re
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.money import currency_decimals
from funding.allocation import (
    Allocation,
    AllocationError,
    AllocationLine,
    AllocationResult,
    FundingLimit,
    FundingRule,
    FundingSetup,
    FundingSetupInvalid,
    ReversalNotPossible,
    TransactionFacts,
    allocate,
    allocate_batch,
    reverse,
)

DAY = datetime.date(2024, 5, 15)


# `make test` runs each property with half the cases listed; `make soak` with ten times them.
EXAMPLES_SCALE = float(os.environ.get("PROPERTY_EXAMPLES_SCALE", "0.5"))


def examples(count: int) -> settings:
    """Hypothesis settings: ``count`` cases (scaled by PROPERTY_EXAMPLES_SCALE), no deadline,
    no example database on disk."""
    count = max(10, int(count * EXAMPLES_SCALE))
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def line(source_id, percentage: str) -> AllocationLine:
    return AllocationLine(source_id, Decimal(percentage))


def rule(rule_id, priority: int, *lines: AllocationLine, **criteria) -> FundingRule:
    return FundingRule(rule_id, priority, tuple(lines), **criteria)


def limit(limit_id, source_id, amount: str, **narrowing) -> FundingLimit:
    return FundingLimit(limit_id, source_id, Decimal(amount), **narrowing)


def transaction(amount: str, key="t", currency="SEK", kind="hour", day=DAY, **facts):
    return TransactionFacts(key, Decimal(amount), day, currency, kind, **facts)


def split(result: AllocationResult) -> list[tuple]:
    """(rule_id, source_id, amount) per allocation, in order."""
    return [(a.rule_id, a.source_id, a.amount) for a in result.allocations]


def total(result: AllocationResult) -> Decimal:
    return sum((a.amount for a in result.allocations), Decimal(0))


def f1_setup() -> FundingSetup:
    """Example F1: limits 10,000 / 500 / 750; rules 50 % + 50 %, then source 3, then source 1."""
    return FundingSetup(
        currency="SEK",
        rules=(
            rule(1, 1, line(2, "50"), line(3, "50"), name="Grant first"),
            rule(2, 2, line(3, "100"), name="Organization"),
            rule(3, 3, line(1, "100"), name="Customer"),
        ),
        limits=(limit(1, 1, "10000.00"), limit(2, 2, "500.00"), limit(3, 3, "750.00")),
        source_names={1: "Customer", 2: "Grant", 3: "Organization"},
    )


# --------------------------------------------------------------------------------------------
# Worked examples
# --------------------------------------------------------------------------------------------


def test_example_f1_first_transaction_splits_half_and_half():
    # Given the F1 setup and no usage yet
    setup, usage = f1_setup(), {}

    # When 100.00 is allocated
    result = allocate(transaction("100.00"), setup, usage)

    # Then the priority-1 rule splits it 50/50 between sources 2 and 3
    assert split(result) == [(1, 2, Decimal("50.00")), (1, 3, Decimal("50.00"))]
    assert usage == {1: Decimal("0.00"), 2: Decimal("50.00"), 3: Decimal("50.00")}


def test_example_f1_second_transaction_uses_the_sources_in_order():
    # Given the F1 setup after the first transaction of 100.00
    setup, usage = f1_setup(), {}
    allocate(transaction("100.00", key=1), setup, usage)

    # When 5,000.00 is allocated
    result = allocate(transaction("5000.00", key=2), setup, usage)

    # Then rule 1 takes 900.00 (scaled down by source 2's limit), rule 2 gives source 3 its last
    # 250.00 and rule 3 gives source 1 the remaining 3,850.00
    assert split(result) == [
        (1, 2, Decimal("450.00")),
        (1, 3, Decimal("450.00")),
        (2, 3, Decimal("250.00")),
        (3, 1, Decimal("3850.00")),
    ]
    assert [a.binding_limit_id for a in result.allocations] == [2, 2, 3, None]
    assert result.amounts_by_source() == {
        2: Decimal("450.00"),
        3: Decimal("700.00"),
        1: Decimal("3850.00"),
    }
    # And over both transactions: source 1 = 3,850.00, source 2 = 500.00, source 3 = 750.00
    assert usage == {1: Decimal("3850.00"), 2: Decimal("500.00"), 3: Decimal("750.00")}


def test_example_f1_as_one_batch():
    # Given the F1 setup
    setup = f1_setup()

    # When both transactions go through allocate_batch
    results, usage = allocate_batch(
        [transaction("100.00", key=1), transaction("5000.00", key=2)], setup
    )

    # Then the figures are the same as one by one
    assert [r.transaction_key for r in results] == [1, 2]
    assert split(results[1])[2] == (2, 3, Decimal("250.00"))
    assert usage == {1: Decimal("3850.00"), 2: Decimal("500.00"), 3: Decimal("750.00")}


def test_example_f2_three_sources_used_one_after_the_other():
    """Three sources at 100 % with priorities 1, 2, 3; limits A 1,000, B 500, C 2,000.

    600 -> A 600 (400 left). 600 -> A 400 (exhausted), B 200. 600 -> A skipped, B 300
    (exhausted), C 300. 600 -> C 600. 1,500 -> C its last 1,100, on hold 400.
    Totals A 1,000, B 500, C 2,000, on hold 400.
    """
    # Given
    setup = FundingSetup(
        currency="SEK",
        rules=(
            rule(1, 1, line("A", "100")),
            rule(2, 2, line("B", "100")),
            rule(3, 3, line("C", "100")),
        ),
        limits=(limit(1, "A", "1000.00"), limit(2, "B", "500.00"), limit(3, "C", "2000.00")),
        on_hold_source_id="HOLD",
    )
    amounts = ["600.00", "600.00", "600.00", "600.00", "1500.00"]

    # When
    results, usage = allocate_batch(
        [transaction(amount, key=i) for i, amount in enumerate(amounts)], setup
    )

    # Then
    assert [split(r) for r in results] == [
        [(1, "A", Decimal("600.00"))],
        [(1, "A", Decimal("400.00")), (2, "B", Decimal("200.00"))],
        [(2, "B", Decimal("300.00")), (3, "C", Decimal("300.00"))],
        [(3, "C", Decimal("600.00"))],
        [(3, "C", Decimal("1100.00")), (None, "HOLD", Decimal("400.00"))],
    ]
    assert results[4].allocations[1].is_on_hold
    assert usage == {1: Decimal("1000.00"), 2: Decimal("500.00"), 3: Decimal("2000.00")}


def test_example_f2_third_source_pays_once_either_of_the_first_two_is_exhausted():
    """75 % + 25 % at priority 1 (limits 1,500 and 300), a third source 100 % at priority 2.

    1,000 -> 750 / 250 (the 25 % source has 50 left). 1,000 -> the rule would take 750 / 250,
    but 250 > 50, so the whole rule is scaled to 20 %: 150 / 50; the third pays the other 800.
    400 -> the 25 % source is exhausted, the rule is skipped, the third pays 400.
    Totals 900 / 300 / 1,200.
    """
    # Given
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "75"), line(2, "25")), rule(2, 2, line(3, "100"))),
        limits=(limit(1, 1, "1500.00"), limit(2, 2, "300.00")),
    )

    # When
    results, usage = allocate_batch(
        [
            transaction("1000.00", key=1),
            transaction("1000.00", key=2),
            transaction("400.00", key=3),
        ],
        setup,
    )

    # Then
    assert [split(r) for r in results] == [
        [(1, 1, Decimal("750.00")), (1, 2, Decimal("250.00"))],
        [(1, 1, Decimal("150.00")), (1, 2, Decimal("50.00")), (2, 3, Decimal("800.00"))],
        [(2, 3, Decimal("400.00"))],
    ]
    assert [a.binding_limit_id for a in results[1].allocations] == [2, 2, None]
    assert usage == {1: Decimal("900.00"), 2: Decimal("300.00")}


def test_example_f2_two_rules_of_two_sources_each():
    """75 % + 25 % at priority 1 (limits 3,000 and 500), 50 % + 50 % at priority 2 (limits 400 and
    1,000), on-hold source 9.

    1,000 -> 750 / 250. 2,000 -> rule 1 would take 1,500 / 500, but source 2 has 250 left: scaled
    to half, 750 / 250. The rest 1,000 -> rule 2 would take 500 / 500, but source 3 has 400: scaled
    to 400 / 400 (source 4 gets 400 though it could pay more: the whole rule shrinks). The last
    200 waits on hold. 100 -> both rules skipped (sources 2 and 3 exhausted): 100 on hold.
    """
    # Given
    setup = FundingSetup(
        currency="SEK",
        rules=(
            rule(1, 1, line(1, "75"), line(2, "25")),
            rule(2, 2, line(3, "50"), line(4, "50")),
        ),
        limits=(
            limit(1, 1, "3000.00"),
            limit(2, 2, "500.00"),
            limit(3, 3, "400.00"),
            limit(4, 4, "1000.00"),
        ),
        on_hold_source_id=9,
    )

    # When
    results, usage = allocate_batch(
        [
            transaction("1000.00", key=1),
            transaction("2000.00", key=2),
            transaction("100.00", key=3),
        ],
        setup,
    )

    # Then
    assert [split(r) for r in results] == [
        [(1, 1, Decimal("750.00")), (1, 2, Decimal("250.00"))],
        [
            (1, 1, Decimal("750.00")),
            (1, 2, Decimal("250.00")),
            (2, 3, Decimal("400.00")),
            (2, 4, Decimal("400.00")),
            (None, 9, Decimal("200.00")),
        ],
        [(None, 9, Decimal("100.00"))],
    ]
    assert usage == {
        1: Decimal("1500.00"),
        2: Decimal("500.00"),
        3: Decimal("400.00"),
        4: Decimal("400.00"),
    }


def test_example_f2_quarter_first_then_the_rest():
    """25 % to source 1 at priority 1 (limit 100), 100 % of the rest to source 2 at priority 2.

    200 -> 50 / 150. 400 -> 25 % would be 100 but only 50 is left: 50 / 350. 80 -> source 1 is
    exhausted: 0 / 80. Totals 100 / 580.
    """
    # Given
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "25")), rule(2, 2, line(2, "100"))),
        limits=(limit(1, 1, "100.00"),),
    )

    # When
    results, usage = allocate_batch(
        [transaction("200.00", key=1), transaction("400.00", key=2), transaction("80.00", key=3)],
        setup,
    )

    # Then
    assert [split(r) for r in results] == [
        [(1, 1, Decimal("50.00")), (2, 2, Decimal("150.00"))],
        [(1, 1, Decimal("50.00")), (2, 2, Decimal("350.00"))],
        [(2, 2, Decimal("80.00"))],
    ]
    assert usage == {1: Decimal("100.00")}


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def test_rule_valid_only_in_a_date_range():
    # Given a March-only rule for source 2 before an all-year rule for source 1
    setup = FundingSetup(
        currency="SEK",
        rules=(
            rule(
                1,
                1,
                line(2, "100"),
                valid_from=datetime.date(2024, 3, 1),
                valid_to=datetime.date(2024, 3, 31),
            ),
            rule(2, 2, line(1, "100")),
        ),
    )
    days = [(2024, 2, 29), (2024, 3, 1), (2024, 3, 31), (2024, 4, 1)]

    # When a transaction on each day is allocated
    results, _usage = allocate_batch(
        [transaction("10.00", day=datetime.date(*day)) for day in days], setup
    )

    # Then only the ones in March (both ends included) go to source 2
    assert [r.allocations[0].source_id for r in results] == [1, 2, 2, 1]


def test_specific_rule_wins_over_all_transactions_rule_at_equal_priority():
    # Given an all-transactions rule (lower id) and a category rule at the same priority
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "100")), rule(2, 1, line(2, "100"), category_id=7)),
    )

    # When a transaction of that category and one of another are allocated
    results, _usage = allocate_batch(
        [transaction("10.00", category_id=7), transaction("10.00", category_id=8)], setup
    )

    # Then the category rule goes first for its category only
    assert split(results[0]) == [(2, 2, Decimal("10.00"))]
    assert split(results[1]) == [(1, 1, Decimal("10.00"))]


def test_equal_priority_and_specificity_are_ordered_by_rule_id():
    # Given two all-transactions rules at the same priority, listed with the higher id first
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(8, 1, line(2, "50")), rule(5, 1, line(1, "50"))),
    )

    # When
    result = allocate(transaction("10.00"), setup, {})

    # Then rule 5 takes its 50 % first, rule 8 50 % of the rest
    assert split(result) == [
        (5, 1, Decimal("5.00")),
        (8, 2, Decimal("2.50")),
        (None, None, Decimal("2.50")),
    ]


def test_limit_narrowed_to_one_category():
    # Given source 2 limited to 100.00 for travel only, source 1 after it
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(2, "100")), rule(2, 2, line(1, "100"))),
        limits=(limit(1, 2, "100.00", category_id="travel"),),
    )

    # When a travel and a development transaction of 150.00 are allocated
    results, usage = allocate_batch(
        [
            transaction("150.00", key="travel", category_id="travel"),
            transaction("150.00", key="dev", category_id="development"),
        ],
        setup,
    )

    # Then travel is capped at 100.00, development is not, and only travel uses the limit
    assert split(results[0]) == [(1, 2, Decimal("100.00")), (2, 1, Decimal("50.00"))]
    assert split(results[1]) == [(1, 2, Decimal("150.00"))]
    assert results[1].allocations[0].limit_ids == ()
    assert usage == {1: Decimal("100.00")}


def test_rule_and_limit_on_a_parent_project_cover_its_subprojects():
    # Given a rule and a limit narrowed to project 10, which has subproject 11 (and 12 below it)
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(2, "100"), project_id=10), rule(2, 2, line(1, "100"))),
        limits=(limit(1, 2, "50.00", project_id=10),),
    )

    # When transactions on the grandchild 12 and on the unrelated project 20 are allocated
    results, usage = allocate_batch(
        [
            transaction("40.00", project_id=12, project_ancestor_ids=(11, 10)),
            transaction("40.00", project_id=20),
            transaction("40.00", project_id=11, project_ancestor_ids=(10,)),
        ],
        setup,
    )

    # Then the subproject transactions are funded by source 2 up to the project's limit
    assert split(results[0]) == [(1, 2, Decimal("40.00"))]
    assert split(results[1]) == [(2, 1, Decimal("40.00"))]
    assert split(results[2]) == [(1, 2, Decimal("10.00")), (2, 1, Decimal("30.00"))]
    assert usage == {1: Decimal("50.00")}


def test_rule_narrowed_to_a_kind_worker_and_item():
    # Given a rule for one worker's hours and one for an item
    setup = FundingSetup(
        currency="SEK",
        rules=(
            rule(1, 1, line(2, "100"), kind="hour", worker_id="w1"),
            rule(2, 1, line(3, "100"), item_id="i1"),
            rule(3, 2, line(1, "100")),
        ),
    )

    # When
    results, _usage = allocate_batch(
        [
            transaction("1.00", kind="hour", worker_id="w1"),
            transaction("1.00", kind="expense", worker_id="w1"),
            transaction("1.00", kind="item", item_id="i1"),
        ],
        setup,
    )

    # Then
    assert [r.allocations[0].source_id for r in results] == [2, 1, 3]


# --------------------------------------------------------------------------------------------
# Currencies and rounding
# --------------------------------------------------------------------------------------------


def test_yen_has_no_decimals_and_rounding_goes_to_the_rounding_source():
    # Given a 50/50 rule in JPY with source 1 taking rounding differences
    setup = FundingSetup(
        currency="JPY",
        rules=(rule(1, 1, line(1, "50"), line(2, "50")),),
        rounding_source_id=1,
    )

    # When 1,001 yen is allocated (500.5 each)
    result = allocate(transaction("1001", currency="JPY"), setup, {})

    # Then both are rounded half-up to 501, and the rounding source gives back the extra yen
    assert [str(a.amount) for a in result.allocations] == ["500", "501"]
    assert [a.rounding_adjustment for a in result.allocations] == [Decimal("-1"), Decimal("0")]
    assert total(result) == Decimal("1001")


def test_three_decimal_currencies_round_to_the_fils():
    # Given three lines of 33.33 / 33.33 / 33.34 % in KWD, source 1 takes rounding differences
    setup = FundingSetup(
        currency="KWD",
        rules=(rule(1, 1, line(1, "33.33"), line(2, "33.33"), line(3, "33.34")),),
        rounding_source_id=1,
    )

    # When 10.001 KWD is allocated (exactly 3.3333333, 3.3333333 and 3.3343334)
    result = allocate(transaction("10.001", currency="KWD"), setup, {})

    # Then half-up gives 3.333 + 3.333 + 3.334 = 10.000, and the missing fils goes to source 1
    assert [str(a.amount) for a in result.allocations] == ["3.334", "3.333", "3.334"]
    assert result.allocations[0].rounding_adjustment == Decimal("0.001")
    assert total(result) == Decimal("10.001")


def test_bahraini_dinar_limits_are_kept_to_the_fils():
    # Given a BHD limit of 1.000 on a 100 % source, then a second source
    setup = FundingSetup(
        currency="BHD",
        rules=(rule(1, 1, line(1, "100")), rule(2, 2, line(2, "100"))),
        limits=(limit(1, 1, "1.000"),),
    )

    # When 0.999 and then 0.005 are allocated
    results, usage = allocate_batch(
        [transaction("0.999", currency="BHD"), transaction("0.005", currency="BHD")], setup
    )

    # Then source 1 gets exactly up to its limit
    assert split(results[1]) == [(1, 1, Decimal("0.001")), (2, 2, Decimal("0.004"))]
    assert usage == {1: Decimal("1.000")}


def test_rounding_difference_goes_to_the_rounding_source():
    # Given three lines 33.33 / 33.33 / 33.34 % in SEK, the first source takes rounding
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "33.33"), line(2, "33.33"), line(3, "33.34")),),
        rounding_source_id=1,
    )

    # When 10.00 is allocated (exactly 3.333, 3.333 and 3.334: half-up 3.33 each, 0.01 short)
    result = allocate(transaction("10.00"), setup, {})

    # Then the missing 0.01 goes to the rounding source, not to the largest remainder
    assert split(result) == [
        (1, 1, Decimal("3.34")),
        (1, 2, Decimal("3.33")),
        (1, 3, Decimal("3.33")),
    ]
    assert [a.rounding_adjustment for a in result.allocations] == [
        Decimal("0.01"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    assert "rounding source" in result.allocations[0].explanation


def test_without_rounding_source_in_the_rule_the_largest_remainder_takes_the_difference():
    # Given the same rule but a rounding source that is not in it
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "33.33"), line(2, "33.33"), line(3, "33.34")),),
        rounding_source_id=99,
    )

    # When
    result = allocate(transaction("10.00"), setup, {})

    # Then source 3 (remainder 0.4 of a cent) takes the missing cent
    assert split(result) == [
        (1, 1, Decimal("3.33")),
        (1, 2, Decimal("3.33")),
        (1, 3, Decimal("3.34")),
    ]


def test_half_cent_split_gives_the_extra_cent_back_from_the_rounding_source():
    # Given a 50/50 rule where the second source takes rounding differences
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "50"), line(2, "50")),),
        rounding_source_id=2,
    )

    # When 0.05 is allocated (0.025 each, half-up 0.03 + 0.03 = 0.06)
    result = allocate(transaction("0.05"), setup, {})

    # Then the rounding source gives the extra cent back
    assert split(result) == [(1, 1, Decimal("0.03")), (1, 2, Decimal("0.02"))]
    assert result.allocations[1].rounding_adjustment == Decimal("-0.01")


def test_two_half_units_of_a_nearly_exhausted_source_are_not_both_rounded_up():
    """Source 1 has 0.01 left. 0.02 comes in: rule 1 gives it 25 % = 0.005, rule 2 its last
    0.005 (scaled down by its limit), rule 3 splits the other 0.01 as 0.004 / 0.003 / 0.003.
    Half-up would give source 1 0.01 twice, over its limit, while the total still adds up:
    source 1 gives back one cent (the later line), and the cent goes to the rounding source."""
    # Given
    setup = FundingSetup(
        currency="SEK",
        rules=(
            rule(1, 1, line(1, "25")),
            rule(2, 2, line(1, "100")),
            rule(3, 3, line(2, "40"), line(3, "30"), line(4, "30")),
        ),
        limits=(limit(1, 1, "0.01"),),
        rounding_source_id=4,
    )
    usage = {}

    # When
    result = allocate(transaction("0.02"), setup, usage)

    # Then
    assert split(result) == [(1, 1, Decimal("0.01")), (3, 4, Decimal("0.01"))]
    assert result.allocations[1].rounding_adjustment == Decimal("0.01")
    assert usage == {1: Decimal("0.01")}


# --------------------------------------------------------------------------------------------
# On hold and unfunded
# --------------------------------------------------------------------------------------------


def test_nothing_funded_goes_on_hold():
    # Given every rule's source is exhausted
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "100")),),
        limits=(limit(1, 1, "100.00"),),
        on_hold_source_id="hold",
        source_names={"hold": "Waiting for funding"},
    )
    usage = {1: Decimal("100.00")}

    # When
    result = allocate(transaction("40.00"), setup, usage)

    # Then all of it waits on the on-hold source
    assert split(result) == [(None, "hold", Decimal("40.00"))]
    allocation = result.allocations[0]
    assert allocation.is_on_hold and not allocation.is_unfunded
    assert allocation.explanation == (
        "No rule covered 40.00, so it waits on the on-hold source 'Waiting for funding'."
    )


def test_without_on_hold_source_the_rest_is_an_unfunded_line():
    # Given a 60 % rule and no on-hold source
    setup = FundingSetup(currency="SEK", rules=(rule(1, 1, line(1, "60")),))

    # When
    result = allocate(transaction("100.00"), setup, {})

    # Then the 40.00 left is kept as an unfunded allocation, not dropped
    assert split(result) == [(1, 1, Decimal("60.00")), (None, None, Decimal("40.00"))]
    unfunded = result.allocations[1]
    assert unfunded.is_on_hold and unfunded.is_unfunded
    assert "unfunded" in unfunded.explanation


def test_an_on_hold_source_with_a_limit_overflows_to_unfunded():
    # Given an on-hold source limited to 10.00
    setup = FundingSetup(
        currency="SEK",
        rules=(),
        limits=(limit(1, "hold", "10.00"),),
        on_hold_source_id="hold",
    )

    # When 25.00 is allocated
    result = allocate(transaction("25.00"), setup, {})

    # Then
    assert split(result) == [(None, "hold", Decimal("10.00")), (None, None, Decimal("15.00"))]


def test_zero_amount_gives_no_allocations():
    result = allocate(transaction("0.00"), f1_setup(), {})

    assert result.allocations == ()


# --------------------------------------------------------------------------------------------
# Negative amounts
# --------------------------------------------------------------------------------------------


def test_reversal_in_proportion_gives_headroom_back():
    # Given F1 after 100.00 and 5,000.00
    setup, usage = f1_setup(), {}
    allocate(transaction("100.00", key=1), setup, usage)
    original = allocate(transaction("5000.00", key=2), setup, usage)

    # When 1,000.00 (a fifth) of the second transaction is credited
    credit = reverse(Decimal("-1000.00"), original, setup, usage, transaction_key="c1")

    # Then every original allocation gives back a fifth, and its limits get the headroom back
    assert credit.transaction_key == "c1"
    assert split(credit) == [
        (1, 2, Decimal("-90.00")),
        (1, 3, Decimal("-90.00")),
        (2, 3, Decimal("-50.00")),
        (3, 1, Decimal("-770.00")),
    ]
    assert usage == {1: Decimal("3080.00"), 2: Decimal("410.00"), 3: Decimal("610.00")}
    assert credit.allocations[0].explanation == (
        "Takes back 90.00 of the 450.00 that Rule 'Grant first' (priority 1) gave source "
        "'Grant': the credit of -1,000.00 is spread in proportion over the 5,000.00 originally "
        "allocated; the headroom goes back to limit #2."
    )

    # And the next transaction can use the freed headroom
    again = allocate(transaction("100.00", key=3), setup, usage)
    assert split(again) == [(1, 2, Decimal("50.00")), (1, 3, Decimal("50.00"))]


def test_reversal_through_allocate_with_original_and_rounding():
    # Given an original split of 0.05 into 0.03 / 0.02
    setup = FundingSetup(
        currency="SEK",
        rules=(rule(1, 1, line(1, "50"), line(2, "50")),),
        limits=(limit(1, 1, "1.00"), limit(2, 2, "1.00")),
        rounding_source_id=2,
    )
    usage = {}
    original = allocate(transaction("0.05"), setup, usage)

    # When 0.01 is credited (exactly 0.006 and 0.004)
    credit = allocate(transaction("-0.01", key="credit"), setup, usage, original=original)

    # Then it comes back from source 1 only, and the usage follows
    assert split(credit) == [(1, 1, Decimal("-0.01"))]
    assert usage == {1: Decimal("0.02"), 2: Decimal("0.02")}


def test_second_partial_reversal_takes_earlier_reversals_into_account():
    # Given 100.00 split 50/50 and 80.00 of it already credited
    setup = FundingSetup(currency="SEK", rules=(rule(1, 1, line(1, "50"), line(2, "50")),))
    usage = {}
    original = allocate(transaction("100.00"), setup, usage)
    first = reverse(Decimal("-80.00"), original, setup, usage)

    # When the remaining 20.00 is credited, passing both
    second = reverse(Decimal("-20.00"), original.allocations + first.allocations, setup, usage)

    # Then it splits what is left, and a third credit is refused
    assert split(second) == [(1, 1, Decimal("-10.00")), (1, 2, Decimal("-10.00"))]
    everything = original.allocations + first.allocations + second.allocations
    with pytest.raises(ReversalNotPossible):
        reverse(Decimal("-0.01"), everything, setup, usage)


def test_reversal_of_more_than_was_allocated_is_refused():
    # Given
    setup, usage = f1_setup(), {}
    original = allocate(transaction("100.00"), setup, usage)

    # When / then
    message = "Cannot reverse -100.01: the original allocations total only 100.00."
    with pytest.raises(ReversalNotPossible, match=re.escape(message)):
        reverse(Decimal("-100.01"), original, setup, usage)
    # And nothing changed
    assert usage == {1: Decimal("0.00"), 2: Decimal("50.00"), 3: Decimal("50.00")}


def test_reversal_never_makes_usage_negative():
    # Given an original allocation but usage that was reset in between
    setup, usage = f1_setup(), {}
    original = allocate(transaction("100.00"), setup, usage)
    usage = {2: Decimal("10.00")}

    # When all of it is credited
    reverse(Decimal("-100.00"), original, setup, usage)

    # Then the usage is floored at zero
    assert usage == {1: Decimal("0.00"), 2: Decimal("0.00"), 3: Decimal("0.00")}


def test_reversal_with_unknown_limits_uses_the_transaction():
    # Given an original allocation loaded back without its limit ids
    setup, usage = f1_setup(), {2: Decimal("50.00"), 3: Decimal("50.00")}
    loaded = [
        Allocation(2, Decimal("50.00"), 1, 1, Decimal("50"), None, Decimal("0.00"), False, None),
        Allocation(3, Decimal("50.00"), 1, 1, Decimal("50"), None, Decimal("0.00"), False, None),
    ]

    # When it is credited through allocate with the credit's transaction facts
    credit = allocate(transaction("-100.00"), setup, usage, original=loaded)

    # Then the limits that apply to the transaction get the headroom back
    assert split(credit) == [(1, 2, Decimal("-50.00")), (1, 3, Decimal("-50.00"))]
    assert usage == {1: Decimal("0.00"), 2: Decimal("0.00"), 3: Decimal("0.00")}
    assert "by rule #1 (priority 1)" in loaded[0].explanation


def test_negative_amount_without_original_follows_the_percentages_without_limits():
    # Given F1 with source 2 at 30.00 used and source 3 exhausted
    setup = f1_setup()
    usage = {2: Decimal("30.00"), 3: Decimal("750.00")}

    # When -100.00 is allocated without original allocations
    result = allocate(transaction("-100.00"), setup, usage)

    # Then it follows rule 1's 50/50 without limit checks, and headroom comes back (floored at 0)
    assert split(result) == [(1, 2, Decimal("-50.00")), (1, 3, Decimal("-50.00"))]
    assert usage == {1: Decimal("0.00"), 2: Decimal("0.00"), 3: Decimal("700.00")}
    assert "credit without original allocations" in result.allocations[0].explanation


# --------------------------------------------------------------------------------------------
# Explanations and errors
# --------------------------------------------------------------------------------------------


def test_explanation_names_the_rule_priority_and_binding_limit():
    # Given F1 after the first transaction
    setup, usage = f1_setup(), {}
    allocate(transaction("100.00"), setup, usage)

    # When
    result = allocate(transaction("5000.00"), setup, usage)

    # Then
    explanations = [a.explanation for a in result.allocations]
    assert explanations == [
        "Rule 'Grant first' (priority 1) gave 50 % of 5,000.00 = 2,500.00 to source 'Grant', "
        "scaled down to 450.00 by limit #2 (500.00, 450.00 left).",
        "Rule 'Grant first' (priority 1) gave 50 % of 5,000.00 = 2,500.00 to source "
        "'Organization', scaled down to 450.00 by limit #2 of source 'Grant' (500.00, 450.00 "
        "left).",
        "Rule 'Organization' (priority 2) gave 100 % of 4,100.00 (what was left of 5,000.00) = "
        "4,100.00 to source 'Organization', scaled down to 250.00 by limit #3 (750.00, 250.00 "
        "left).",
        "Rule 'Customer' (priority 3) gave 100 % of 3,850.00 (what was left of 5,000.00) = "
        "3,850.00 to source 'Customer'.",
    ]


def test_allocations_compare_by_value_not_by_explanation_context():
    setup = f1_setup()

    first = allocate(transaction("100.00"), setup, {})
    second = allocate(transaction("100.00"), f1_setup(), {})

    assert first == second


def test_currency_mismatch_is_refused():
    message = "Transaction t is in EUR, but the funding setup is in SEK."

    with pytest.raises(AllocationError, match=re.escape(message)):
        allocate(transaction("1.00", currency="EUR"), f1_setup(), {})


def test_amount_below_the_minor_unit_is_refused():
    message = "The amount of transaction t 1.005 has more decimals than SEK allows (2)."

    with pytest.raises(AllocationError, match=re.escape(message)):
        allocate(transaction("1.005"), f1_setup(), {})


def test_rule_over_one_hundred_percent_is_refused():
    setup = FundingSetup(currency="SEK", rules=(rule(1, 1, line(1, "60"), line(2, "50")),))

    with pytest.raises(
        AllocationError,
        match=re.escape(
            "The allocation lines of funding rule Rule #1 add up to 110 %, more than 100 %."
        ),
    ):
        setup.validate()


@pytest.mark.parametrize(
    ("rules", "limits", "message"),
    [
        ((rule(1, 1),), (), "Funding rule Rule #1 has no allocation lines."),
        (
            (rule(1, 1, line(1, "0")),),
            (),
            "Funding rule Rule #1 gives 0 % to source 1: a percentage must be above 0 and at "
            "most 100.",
        ),
        (
            (rule(1, 1, line(1, "50"), line(1, "50")),),
            (),
            "Funding rule Rule #1 names source 1 on more than one line.",
        ),
        (
            (rule(1, 1, line(1, "50")), rule(1, 2, line(2, "50"))),
            (),
            "Two funding rules have the id 1.",
        ),
        (
            (rule(1, 1, line(1, "50"), valid_from=DAY, valid_to=DAY - datetime.timedelta(1)),),
            (),
            "Funding rule Rule #1 is valid from 2024-05-15 to 2024-05-14: the range is reversed.",
        ),
        ((), (limit(1, 1, "-1.00"),), "Funding limit 1 is -1.00: a limit cannot be negative."),
        ((), (limit(1, 1, "1.00"), limit(1, 2, "1.00")), "Two funding limits have the id 1."),
    ],
)
def test_invalid_setups_are_refused(rules, limits, message):
    setup = FundingSetup(currency="SEK", rules=rules, limits=limits)

    with pytest.raises(FundingSetupInvalid, match=re.escape(message)):
        allocate(transaction("1.00"), setup, {})


def test_unknown_transaction_kind_is_refused():
    with pytest.raises(AllocationError):
        transaction("1.00", kind="gift")


# --------------------------------------------------------------------------------------------
# Property tests against an independent reference
# --------------------------------------------------------------------------------------------

SOURCES = (1, 2, 3, 4)
ON_HOLD = 9
PROJECTS = {10: (), 11: (10,), 12: (11, 10), 20: ()}
DAYS = tuple(datetime.date(2024, 1, 1) + datetime.timedelta(days=7 * i) for i in range(8))
UNFUNDED = ("unfunded", None)


def minor(amount: Decimal, currency: str) -> int:
    value = amount.scaleb(currency_decimals(currency))
    assert value == int(value)
    return int(value)


AWKWARD_PERCENTAGES = ("12.5", "25", "37.5", "50", "33.33", "66.67", "30", "40", "60", "5")


@st.composite
def percentage_parts(draw, count: int) -> list[Decimal]:
    """Up to ``count`` positive percentages adding up to at most 100.

    Either cut from a whole (whole percentages or two decimals), or picked from percentages
    that make half and third minor units, which is where rounding gets interesting.
    """
    if draw(st.booleans()):
        parts = []
        left = Decimal(100)
        for _ in range(count):
            choices = [Decimal(p) for p in AWKWARD_PERCENTAGES if Decimal(p) <= left]
            if not choices:
                break  # fewer lines than sources: the caller drops the extra sources
            part = draw(st.sampled_from(choices))
            parts.append(part)
            left -= part
        return parts
    unit_places = draw(st.sampled_from((0, 2)))
    whole = 100 * 10**unit_places
    budget = whole if draw(st.booleans()) else draw(st.integers(count, whole))
    if budget > count:
        cuts = draw(
            st.lists(
                st.integers(1, budget - 1), min_size=count - 1, max_size=count - 1, unique=True
            )
        )
    else:
        cuts = list(range(1, count))
    bounds = [0, *sorted(cuts), budget]
    return [
        Decimal(high - low).scaleb(-unit_places)
        for low, high in zip(bounds, bounds[1:], strict=False)
    ]


@st.composite
def funding_setups(draw) -> FundingSetup:
    currency = draw(st.sampled_from(("SEK", "JPY", "KWD")))
    decimals = currency_decimals(currency)
    rules = []
    rule_ids = draw(st.permutations(range(1, 6)))
    for rule_id in rule_ids[: draw(st.integers(1, 5))]:
        sources = draw(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=3, unique=True))
        parts = draw(percentage_parts(len(sources)))
        criteria = {}
        if draw(st.integers(0, 2)) == 0:
            criteria["project_id"] = draw(st.sampled_from((10, 11, 20)))
        if draw(st.integers(0, 2)) == 0:
            criteria["category_id"] = draw(st.sampled_from((1, 2)))
        if draw(st.integers(0, 3)) == 0:
            criteria["kind"] = draw(st.sampled_from(("hour", "expense")))
        if draw(st.integers(0, 3)) == 0:
            start, end = sorted(draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=2)))
            criteria["valid_from"], criteria["valid_to"] = start, end
        rules.append(
            FundingRule(
                rule_id,
                draw(st.integers(1, 3)),
                tuple(AllocationLine(s, p) for s, p in zip(sources, parts, strict=False)),
                **criteria,
            )
        )
    limits = []
    for limit_id in range(1, draw(st.integers(0, 6)) + 1):
        narrowing = {}
        if draw(st.integers(0, 3)) == 0:
            narrowing["project_id"] = draw(st.sampled_from((10, 11, 20)))
        if draw(st.integers(0, 3)) == 0:
            narrowing["category_id"] = draw(st.sampled_from((1, 2)))
        if draw(st.integers(0, 4)) == 0:
            narrowing["kind"] = draw(st.sampled_from(("hour", "expense")))
        if draw(st.integers(0, 4)) == 0:
            start, end = sorted(draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=2)))
            narrowing["date_from"], narrowing["date_to"] = start, end
        amount = draw(st.one_of(st.integers(0, 30), st.integers(0, 300_000)))
        limits.append(
            FundingLimit(
                limit_id,
                draw(st.sampled_from((*SOURCES, ON_HOLD))),
                Decimal(amount).scaleb(-decimals),
                **narrowing,
            )
        )
    return FundingSetup(
        currency=currency,
        rules=tuple(rules),
        limits=tuple(limits),
        rounding_source_id=draw(st.sampled_from((None, *SOURCES, ON_HOLD))),
        on_hold_source_id=draw(st.sampled_from((None, ON_HOLD))),
    )


@st.composite
def transactions_for(draw, currency: str, max_size: int = 12, negative: bool = False):
    decimals = currency_decimals(currency)
    count = draw(st.integers(1, max_size))
    result = []
    for key in range(count):
        amount = draw(st.one_of(st.integers(1, 20), st.integers(1, 200_000)))
        if negative and draw(st.booleans()):
            amount = -amount
        project_id = draw(st.sampled_from(tuple(PROJECTS)))
        result.append(
            TransactionFacts(
                key,
                Decimal(amount).scaleb(-decimals),
                draw(st.sampled_from(DAYS)),
                currency,
                draw(st.sampled_from(("hour", "expense"))),
                project_id=project_id,
                category_id=draw(st.sampled_from((1, 2, 3))),
                project_ancestor_ids=PROJECTS[project_id],
            )
        )
    return result


@st.composite
def scenarios(draw, max_size: int = 12, negative: bool = False):
    setup = draw(funding_setups())
    return setup, draw(transactions_for(setup.currency, max_size, negative))


def reference_applies(narrowed, facts: TransactionFacts, start_field, end_field) -> bool:
    """Independent matching: every criterion that is set must hold; dates inclusive."""
    if narrowed.project_id is not None and narrowed.project_id not in (
        facts.project_id,
        *facts.project_ancestor_ids,
    ):
        return False
    for name in ("worker_id", "item_id", "category_id", "category_group_id", "kind"):
        wanted = getattr(narrowed, name, None)
        if wanted is not None and wanted != getattr(facts, name):
            return False
    start, end = getattr(narrowed, start_field), getattr(narrowed, end_field)
    return (start is None or start <= facts.date) and (end is None or facts.date <= end)


def reference_limits(setup: FundingSetup, facts: TransactionFacts, source_id) -> list:
    return [
        lim
        for lim in setup.limits
        if lim.source_id == source_id and reference_applies(lim, facts, "date_from", "date_to")
    ]


def reference_split(setup: FundingSetup, facts: TransactionFacts, used: dict[int, int]):
    """The exact shares (in minor units, as Fractions) of DOMAIN.md section 3, unoptimised.

    Returns ``(shares, headroom)``: shares by key (rule id, source id) / ("on hold", source)
    / ("unfunded", None), and each source's integer headroom at the start (None: no limit).
    """
    currency = setup.currency

    def criteria_count(r: FundingRule) -> int:
        names = ("project_id", "worker_id", "item_id", "category_id", "category_group_id", "kind")
        return sum(getattr(r, name) is not None for name in names)

    def headroom(source_id):
        limits = reference_limits(setup, facts, source_id)
        if not limits:
            return None
        return min(minor(lim.amount, currency) - used.get(lim.id, 0) for lim in limits)

    sources = {ln.source_id for r in setup.rules for ln in r.lines} | {setup.on_hold_source_id}
    start = {source_id: headroom(source_id) for source_id in sources if source_id is not None}
    taken: dict = defaultdict(Fraction)
    rules = sorted(
        (r for r in setup.rules if reference_applies(r, facts, "valid_from", "valid_to")),
        key=lambda r: (r.priority, -criteria_count(r), r.id),
    )
    rest = Fraction(minor(facts.amount, currency))
    shares = {}
    for r in rules:
        if rest == 0:
            break
        factor = Fraction(1)
        exhausted = False
        for ln in r.lines:
            if start[ln.source_id] is None:
                continue
            left = start[ln.source_id] - taken[ln.source_id]
            if left <= 0:
                exhausted = True
                break
            factor = min(factor, left / (Fraction(ln.percentage) / 100 * rest))
        if exhausted:
            continue
        rule_rest = rest
        for ln in r.lines:
            share = factor * Fraction(ln.percentage) / 100 * rule_rest
            shares[(r.id, ln.source_id)] = share
            taken[ln.source_id] += share
            rest -= share
    hold = setup.on_hold_source_id
    if rest and hold is not None:
        take = (
            rest if start[hold] is None else max(Fraction(0), min(rest, start[hold] - taken[hold]))
        )
        if take:
            shares[("on hold", hold)] = take
            rest -= take
    if rest:
        shares[UNFUNDED] = rest
    return shares, start


def key_of(allocation: Allocation):
    if allocation.rule_id is not None:
        return (allocation.rule_id, allocation.source_id)
    if allocation.source_id is None:
        return UNFUNDED
    return ("on hold", allocation.source_id)


def half_up(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    return floor + (value - floor >= Fraction(1, 2))


@examples(700)
@given(scenarios())
def test_property_batch_matches_the_exact_reference(scenario):
    """Sums exact, nothing dropped, no limit exceeded, each allocation within one minor unit."""
    # Given a generated setup and batch
    setup, batch = scenario
    currency = setup.currency

    # When
    results, usage = allocate_batch(batch, setup, {})

    # Then, transaction by transaction, against the reference with the usage carried along
    used: dict[int, int] = defaultdict(int)
    for facts, result in zip(batch, results, strict=True):
        shares, _headroom = reference_split(setup, facts, used)
        assert total(result) == facts.amount  # adds up exactly: nothing dropped
        got = defaultdict(Fraction)
        for allocation in result.allocations:
            assert allocation.amount == allocation.amount.quantize(
                Decimal(1).scaleb(-currency_decimals(currency))
            )
            assert allocation.amount != 0
            got[key_of(allocation)] += minor(allocation.amount, currency)
            for lim in reference_limits(setup, facts, allocation.source_id):
                used[lim.id] += minor(allocation.amount, currency)
            assert set(allocation.limit_ids) == {
                lim.id for lim in reference_limits(setup, facts, allocation.source_id)
            }
        assert set(got) <= set(shares)
        for key, exact in shares.items():
            assert abs(got[key] - exact) < 1, (key, got[key], exact)
        for lim in setup.limits:  # no limit ever exceeded
            assert used[lim.id] <= minor(lim.amount, currency)
    assert {key: minor(value, currency) for key, value in usage.items()} == {
        lim.id: used[lim.id] for lim in setup.limits
    }


@examples(400)
@given(scenarios())
def test_property_rounding_goes_to_the_rounding_source_where_it_can(scenario):
    """A line other than the rounding source's is moved off its half-up rounding only when the
    rounding source's lines could not take that move (already moved, integral, or full)."""
    # Given
    setup, batch = scenario
    currency = setup.currency
    rounding = setup.rounding_source_id

    # When
    results, _usage = allocate_batch(batch, setup, {})

    # Then
    used: dict[int, int] = defaultdict(int)
    for facts, result in zip(batch, results, strict=True):
        shares, headroom = reference_split(setup, facts, used)
        got = defaultdict(int)
        for allocation in result.allocations:
            got[key_of(allocation)] += minor(allocation.amount, currency)
            for lim in reference_limits(setup, facts, allocation.source_id):
                used[lim.id] += minor(allocation.amount, currency)
        per_source = defaultdict(int)
        for key, value in got.items():
            per_source[key[1]] += value
        full = {
            source_id
            for source_id, room in headroom.items()
            if room is not None and per_source[source_id] >= room
        }
        rounding_keys = [
            k for k in shares if rounding is not None and k[1] == rounding and k != UNFUNDED
        ]
        for key, exact in shares.items():
            if key in rounding_keys:
                continue
            moved = got[key] - half_up(exact)
            if moved > 0:
                for other in rounding_keys:
                    value = shares[other]
                    assert got[other] >= value or other[1] in full, (key, other)
            elif moved < 0 and key[1] not in full:
                for other in rounding_keys:
                    assert got[other] <= shares[other], (key, other)


@examples(250)
@given(scenarios(negative=True))
def test_property_deterministic_and_batch_equals_a_loop_of_allocate(scenario):
    # Given a batch with some negative amounts
    setup, batch = scenario

    # When it is allocated twice as a batch (once with a fresh, equal setup) and once one by one
    first, first_usage = allocate_batch(batch, setup, {})
    twin = FundingSetup(
        setup.currency,
        setup.rules,
        setup.limits,
        setup.rounding_source_id,
        setup.on_hold_source_id,
    )
    second, second_usage = allocate_batch(batch, twin)
    loop_usage: dict = {}
    looped = [allocate(facts, setup, loop_usage) for facts in batch]

    # Then all three agree exactly, explanations included
    assert first == second == looped
    assert first_usage == second_usage == loop_usage
    assert [a.explanation for r in first for a in r.allocations] == [
        a.explanation for r in looped for a in r.allocations
    ]


@examples(400)
@given(scenarios(max_size=6), st.data())
def test_property_reversal_adds_back_exactly_and_never_makes_usage_negative(scenario, data):
    # Given an allocated batch
    setup, batch = scenario
    currency = setup.currency
    results, usage = allocate_batch(batch, setup, {})
    original = data.draw(st.sampled_from(results))
    allocated = minor(total(original), currency)

    # When part (or all) of one transaction is credited
    magnitude = data.draw(st.integers(0, allocated))
    amount = Decimal(-magnitude).scaleb(-currency_decimals(currency))
    before = dict(usage)
    credit = reverse(amount, original, setup, usage)

    # Then it adds back exactly, in proportion within one minor unit, never more than allocated
    assert total(credit) == amount
    assert all(a.explanation.startswith("Takes back ") for a in credit.allocations)
    originals = defaultdict(int)
    for allocation in original.allocations:
        originals[key_of(allocation)] += minor(allocation.amount, currency)
    for allocation in credit.allocations:
        back = -minor(allocation.amount, currency)
        share = Fraction(magnitude * originals[key_of(allocation)], allocated)
        assert 0 < back <= originals[key_of(allocation)]
        assert abs(back - share) < 1
    # And each limit gets back what was reversed from the allocations that used it, floored at 0
    reversed_per_limit = defaultdict(int)
    for allocation in credit.allocations:
        for limit_id in allocation.limit_ids:
            reversed_per_limit[limit_id] -= minor(allocation.amount, currency)
    for lim in setup.limits:
        expected = max(0, minor(before[lim.id], currency) - reversed_per_limit[lim.id])
        assert minor(usage[lim.id], currency) == expected


@examples(300)
@given(scenarios(negative=True))
def test_property_negative_amounts_without_original_add_up_and_keep_usage_non_negative(scenario):
    # Given a batch mixing positive and negative amounts
    setup, batch = scenario

    # When
    results, usage = allocate_batch(batch, setup, {})

    # Then every result adds up and no usage is negative or above its limit
    for facts, result in zip(batch, results, strict=True):
        assert total(result) == facts.amount
        assert all((a.amount < 0) == (facts.amount < 0) for a in result.allocations)
    for lim in setup.limits:
        assert Decimal(0) <= usage[lim.id] <= lim.amount
