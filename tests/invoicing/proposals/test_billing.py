"""Tests of the pure billing rules (DOMAIN.md sections 4, 5 and 10). No database.

The worked examples U1, P1, P2, M1, M2, E1 and T1 are named tests with exact figures. The
hypothesis tests check the invariants against small references written here with ``Fraction``:
billing plans add back exactly, retention is never released twice, on-account deductions never
exceed the prepayment nor the invoice, thresholds fire once, cumulative rules add back.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contracts.money import currency_decimals, minor_unit, round_money
from invoicing.proposals.billing import (
    BillingLine,
    CappedAmount,
    ProgressBudgetLine,
    TimeMaterialItem,
    automatic_progress_amount,
    fee_line,
    lines_total,
    manual_progress_amount,
    on_account_deduction,
    thresholds_crossed,
    time_and_material_lines,
    unit_of_delivery_amount,
)
from invoicing.proposals.billing_checks import (
    AMOUNT_NOT_DECIMAL,
    AMOUNT_NOT_IN_MINOR_UNIT,
    DUPLICATE_CATEGORY,
    MILESTONE_AMOUNT_AND_PERCENT,
    MILESTONE_AMOUNT_NEGATIVE,
    MILESTONE_NEITHER,
    MILESTONE_NOT_IN_SCHEDULE,
    PERCENT_OUT_OF_RANGE,
    PLAN_PERCENT_NOT_POSITIVE,
    PLAN_PERCENTS_NOT_HUNDRED,
    PLAN_TOO_SMALL,
    UNKNOWN_ITEM_KIND,
    UNKNOWN_LINE_KIND,
    UNKNOWN_TEMPLATE,
    BillingError,
    BillingInputInvalid,
    BillingPlanInvalid,
    MilestoneTermsInvalid,
    PercentOutOfRange,
)
from invoicing.proposals.billing_plans import (
    BILLING_PLAN_TEMPLATES,
    MilestoneTerms,
    billing_plan_from_template,
    billing_plan_split,
    milestone_amount,
    milestone_schedule_amounts,
)
from invoicing.proposals.totals import (
    RetentionLedger,
    TaxableLine,
    invoice_totals,
    retention_base,
    retention_given_back,
    retention_line,
    retention_release_line,
)

D = Decimal
CURRENCIES = ("SEK", "EUR", "JPY", "KWD")


def examples(count: int) -> settings:
    """Hypothesis settings: ``count`` cases, no deadline, no example database on disk."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def hours(quantity: str, rate: str, category="DEV", reference=None) -> TimeMaterialItem:
    return TimeMaterialItem("hour", category, D(quantity), D(rate), D("0"), reference=reference)


def expense(amount: str, category="SUP", reference=None) -> TimeMaterialItem:
    return TimeMaterialItem("expense", category, D(1), D("0"), D(amount), reference=reference)


def half_up(value: Fraction) -> int:
    """Reference half-up rounding of a non-negative exact amount in minor units."""
    floor = value.numerator // value.denominator
    return floor + (value - floor >= Fraction(1, 2))


def in_minor(amount: Decimal, currency: str) -> Fraction:
    return Fraction(amount) / Fraction(minor_unit(currency))


# --------------------------------------------------------------------------------------------
# Worked examples (DOMAIN.md section 4)
# --------------------------------------------------------------------------------------------


def test_example_u1_first_of_five_training_sessions_bills_one_session():
    # Given 5 training sessions at 10,000.00, none invoiced yet
    # When the first session has been delivered
    line = unit_of_delivery_amount(
        unit_price=D("10000.00"),
        total_units=D(5),
        units_delivered=D(1),
        units_invoiced=D(0),
        currency="SEK",
    )

    # Then one session is invoiced
    assert line is not None
    assert line.amount == D("10000.00")
    assert line.kind == "unit"
    assert line.quantity == D(1)
    assert line.unit_price == D("10000.00")


def test_example_p1_manual_progress_fifteen_percent_of_the_value():
    # Given a contract value of 100,000.00 and nothing billed yet
    # When the project manager enters 15 % complete after month 1
    line = manual_progress_amount(
        contract_value=D("100000.00"),
        percent_complete=D(15),
        billed_to_date=D("0.00"),
        currency="SEK",
    )

    # Then 15,000.00 is invoiced
    assert line is not None
    assert line.amount == D("15000.00")
    assert line.kind == "progress"


def test_example_p2_automatic_progress_rounds_once_to_8666_67():
    # Given Development cost 15,000 / revenue 20,000 and Installation cost 5,000 / revenue 10,000
    budget = [
        ProgressBudgetLine("Development", D("15000.00"), D("20000.00"), D("5000.00")),
        ProgressBudgetLine("Installation", D("5000.00"), D("10000.00"), D("1000.00")),
    ]

    # When the actual costs are 5,000 and 1,000 and nothing was billed before
    result = automatic_progress_amount(lines=budget, billed_to_date=D("0.00"), currency="SEK")

    # Then 1/3 x 20,000 + 20 % x 10,000 = 8,666.67, rounded once
    assert result.line is not None
    assert result.line.amount == D("8666.67")
    assert result.earned == D("8666.67")
    assert result.category_percents == {"Development": D("33.3333"), "Installation": D("20.0000")}
    # and the overall completion is 8,666.66... / 30,000, truncated
    assert result.percent_complete == D("28.8888")


def test_example_m1_completing_the_first_fixed_milestone_bills_10000():
    # Given a value of 50,000.00 with milestones of 10,000 / 20,000 / 20,000
    schedule = [
        MilestoneTerms("Mar", "Milestone 31 March", D("10000.00"), None),
        MilestoneTerms("Apr", "Milestone 30 April", D("20000.00"), None),
        MilestoneTerms("May", "Milestone 31 May", D("20000.00"), None),
    ]

    # When the first milestone is completed
    line = milestone_amount(schedule[0], contract_value=D("50000.00"), currency="SEK")

    # Then 10,000.00 is invoiced for it
    assert line.amount == D("10000.00")
    assert line.kind == "milestone"
    assert line.reference == "Mar"
    assert line.description == "Milestone 31 March"
    amounts = milestone_schedule_amounts(schedule, contract_value=D("50000.00"), currency="SEK")
    assert sum(amounts.values()) == D("50000.00")


def test_example_m2_percentage_schedule_of_400000():
    # Given a schedule of 20 % at signing, 30 % first delivery, 15 % second, 35 % final
    percents = [D(20), D(30), D(15), D(35)]
    schedule = [
        MilestoneTerms(index, name, None, percent)
        for index, (name, percent) in enumerate(
            zip(("Signing", "First delivery", "Second delivery", "Final"), percents, strict=True)
        )
    ]

    # When the contract value is 400,000.00
    parts = billing_plan_split(contract_value=D("400000.00"), percents=percents, currency="SEK")
    lines = [
        milestone_amount(terms, contract_value=D("400000.00"), currency="SEK", schedule=schedule)
        for terms in schedule
    ]

    # Then the milestones bill 80,000 / 120,000 / 60,000 / 140,000
    expected = [D("80000.00"), D("120000.00"), D("60000.00"), D("140000.00")]
    assert parts == expected
    assert [line.amount for line in lines] == expected
    assert sum(parts) == D("400000.00")


def test_example_e1_fee_of_ten_percent_on_200_hours():
    # Given 200 hours at 100.00 billed time-and-material
    work = time_and_material_lines(
        items=[hours("200", "100.00")],
        chargeable_category_ids=None,
        caps={},
        billed_per_category={},
        currency="SEK",
    )

    # When a 10 % management fee is added on the hours
    fee = fee_line(base_amount=work.total, fee_percent=D(10), currency="SEK")

    # Then hours 20,000.00 + fee 2,000.00 = 22,000.00
    assert work.total == D("20000.00")
    assert fee.amount == D("2000.00")
    assert fee.kind == "fee"
    assert lines_total([*work.lines, fee]) == D("22000.00")


def test_example_t1_hours_and_office_supplies_under_cap():
    # Given 800 hours at 150.00 and office supplies of 2,000.00 with a cap of 10,000.00
    items = [hours("800", "150.00", reference="t1"), expense("2000.00", reference="t2")]

    # When the period is billed
    result = time_and_material_lines(
        items=items,
        chargeable_category_ids=None,
        caps={"SUP": D("10000.00")},
        billed_per_category={},
        currency="SEK",
    )

    # Then 120,000.00 + 2,000.00 = 122,000.00 and no cap bound
    assert [line.amount for line in result.lines] == [D("120000.00"), D("2000.00")]
    assert [line.kind for line in result.lines] == ["hour", "expense"]
    assert [line.reference for line in result.lines] == ["t1", "t2"]
    assert result.total == D("122000.00")
    assert result.capped == ()


def test_retention_withheld_and_released():
    # Given an invoice of 122,000.00 on a contract that retains 10 %
    withheld = retention_line(lines_total=D("122000.00"), retention_percent=D(10), currency="SEK")

    # Then -12,200.00 is withheld
    assert withheld is not None
    assert withheld.amount == D("-12200.00")
    assert withheld.kind == "retention"

    # When the agreed stage is reached, the retention is released in full on a later invoice
    release = retention_release_line(
        retained_to_date=-withheld.amount, released_to_date=D("0.00"), currency="SEK"
    )
    assert release is not None
    assert release.amount == D("12200.00")
    assert release.kind == "retention"

    # And it is never released again
    again = retention_release_line(
        retained_to_date=D("12200.00"), released_to_date=release.amount, currency="SEK"
    )
    assert again is None


# --------------------------------------------------------------------------------------------
# Unit of delivery
# --------------------------------------------------------------------------------------------


def test_unit_of_delivery_never_bills_more_than_the_total_units():
    # Given 5 sessions, 4 invoiced, and 7 reported delivered (more than agreed)
    line = unit_of_delivery_amount(
        unit_price=D("10000.00"),
        total_units=D(5),
        units_delivered=D(7),
        units_invoiced=D(4),
        currency="SEK",
    )

    # Then only the fifth session is billed
    assert line is not None
    assert line.quantity == D(1)
    assert line.amount == D("10000.00")


def test_unit_of_delivery_nothing_new_gives_no_line():
    # Given all 5 sessions delivered and invoiced
    line = unit_of_delivery_amount(
        unit_price=D("10000.00"),
        total_units=D(5),
        units_delivered=D(5),
        units_invoiced=D(5),
        currency="SEK",
    )

    # Then nothing is billed
    assert line is None


def test_unit_of_delivery_with_a_fine_unit_price_adds_back_to_the_rounded_value():
    # Given 3 units at 0.335 (finer than the minor unit) delivered one invoice at a time
    amounts = []
    for delivered in (1, 2, 3):
        line = unit_of_delivery_amount(
            unit_price=D("0.335"),
            total_units=D(3),
            units_delivered=D(delivered),
            units_invoiced=D(delivered - 1),
            currency="SEK",
        )
        amounts.append(line.amount)

    # Then the invoices add up to round(3 x 0.335) = 1.01, not 3 x round(0.335) = 1.02
    assert amounts == [D("0.34"), D("0.33"), D("0.34")]
    assert sum(amounts) == D("1.01")


# --------------------------------------------------------------------------------------------
# Manual progress
# --------------------------------------------------------------------------------------------


def test_manual_progress_bills_the_difference_to_earlier_invoices():
    # Given 15,000.00 billed at 15 %, now 40 % complete
    line = manual_progress_amount(
        contract_value=D("100000.00"),
        percent_complete=D(40),
        billed_to_date=D("15000.00"),
        currency="SEK",
    )

    # Then 25,000.00 more is billed
    assert line.amount == D("25000.00")


def test_manual_progress_decreasing_gives_no_line_unless_credit_is_allowed():
    # Given 40,000.00 billed at 40 % and the estimate revised down to 30 %
    terms = {
        "contract_value": D("100000.00"),
        "percent_complete": D(30),
        "billed_to_date": D("40000.00"),
        "currency": "SEK",
    }

    # When billed without and with credit allowed
    without = manual_progress_amount(**terms)
    with_credit = manual_progress_amount(**terms, allow_credit=True)

    # Then nothing is billed by default, and a -10,000.00 correction when asked for
    assert without is None
    assert with_credit is not None
    assert with_credit.amount == D("-10000.00")


def test_manual_progress_unchanged_gives_no_line():
    line = manual_progress_amount(
        contract_value=D("100000.00"),
        percent_complete=D(15),
        billed_to_date=D("15000.00"),
        currency="SEK",
    )
    assert line is None


@pytest.mark.parametrize("percent", [D("-0.01"), D("100.01"), D(250)])
def test_manual_progress_refuses_a_percent_outside_0_to_100(percent):
    with pytest.raises(PercentOutOfRange) as refused:
        manual_progress_amount(
            contract_value=D("100000.00"),
            percent_complete=percent,
            billed_to_date=D("0.00"),
            currency="SEK",
        )
    assert str(refused.value) == PERCENT_OUT_OF_RANGE.format(
        what="The percent complete", percent=percent
    )


def test_manual_progress_at_100_percent_adds_back_to_the_value():
    # Given an awkward value billed at 33.33 %, 66.67 % and 100 %
    value = D("100000.01")
    billed = D("0.00")
    for percent in (D("33.33"), D("66.67"), D(100)):
        line = manual_progress_amount(
            contract_value=value, percent_complete=percent, billed_to_date=billed, currency="SEK"
        )
        billed += line.amount

    # Then the invoices add up to the value exactly
    assert billed == value


# --------------------------------------------------------------------------------------------
# Automatic progress
# --------------------------------------------------------------------------------------------


def test_automatic_progress_caps_each_category_at_100_percent():
    # Given Development overrun (20,000 actual on a 15,000 budget), Installation at 20 %
    budget = [
        ProgressBudgetLine("Development", D("15000.00"), D("20000.00"), D("20000.00")),
        ProgressBudgetLine("Installation", D("5000.00"), D("10000.00"), D("1000.00")),
    ]

    # When billed, with 8,666.67 billed before
    result = automatic_progress_amount(lines=budget, billed_to_date=D("8666.67"), currency="SEK")

    # Then Development earns its full revenue, not 133 % of it: 22,000.00 - 8,666.67
    assert result.category_percents["Development"] == D("100.0000")
    assert result.earned == D("22000.00")
    assert result.line.amount == D("13333.33")
    assert result.percent_complete == D("73.3333")


def test_automatic_progress_rounds_the_sum_once_not_each_category():
    # Given two categories each half done on a revenue budget of 0.01 (0.005 each, exactly)
    budget = [
        ProgressBudgetLine("A", D("2.00"), D("0.01"), D("1.00")),
        ProgressBudgetLine("B", D("2.00"), D("0.01"), D("1.00")),
    ]

    # When billed
    result = automatic_progress_amount(lines=budget, billed_to_date=D(0), currency="SEK")

    # Then the exact sum 0.01 is billed, not 0.01 + 0.01 rounded per category
    assert result.line.amount == D("0.01")
    assert result.percent_complete == D("50.0000")


def test_automatic_progress_zero_cost_budget_counts_as_done_once_it_has_cost():
    # Given a category with no cost budget, first without and then with actual cost
    idle = ProgressBudgetLine("Travel", D("0.00"), D("1000.00"), D("0.00"))
    busy = ProgressBudgetLine("Travel", D("0.00"), D("1000.00"), D("0.01"))

    # When billed
    before = automatic_progress_amount(lines=[idle], billed_to_date=D(0), currency="SEK")
    after = automatic_progress_amount(lines=[busy], billed_to_date=D(0), currency="SEK")

    # Then it is 0 % before and 100 % after
    assert before.line is None
    assert before.percent_complete == D("0.0000")
    assert after.line.amount == D("1000.00")
    assert after.percent_complete == D("100.0000")


def test_automatic_progress_counts_only_chargeable_categories():
    budget = [
        ProgressBudgetLine("Development", D("15000.00"), D("20000.00"), D("5000.00")),
        ProgressBudgetLine("Installation", D("5000.00"), D("10000.00"), D("1000.00")),
    ]
    result = automatic_progress_amount(
        lines=budget,
        billed_to_date=D(0),
        currency="SEK",
        chargeable_category_ids={"Installation"},
    )
    assert result.line.amount == D("2000.00")
    assert result.percent_complete == D("20.0000")
    assert set(result.category_percents) == {"Installation"}


def test_automatic_progress_decrease_is_credited_only_when_allowed():
    budget = [ProgressBudgetLine("Development", D("100.00"), D("300.00"), D("10.00"))]
    kept = automatic_progress_amount(lines=budget, billed_to_date=D("50.00"), currency="SEK")
    credited = automatic_progress_amount(
        lines=budget, billed_to_date=D("50.00"), currency="SEK", allow_credit=True
    )
    assert kept.line is None
    assert kept.earned == D("30.00")
    assert credited.line.amount == D("-20.00")


def test_automatic_progress_refuses_a_category_twice():
    line = ProgressBudgetLine("Development", D("1.00"), D("1.00"), D("1.00"))
    with pytest.raises(BillingInputInvalid) as refused:
        automatic_progress_amount(lines=[line, line], billed_to_date=D(0), currency="SEK")
    assert str(refused.value) == DUPLICATE_CATEGORY.format(category="Development")


# --------------------------------------------------------------------------------------------
# Milestones and billing plans
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", sorted(BILLING_PLAN_TEMPLATES))
@pytest.mark.parametrize(
    ("value", "currency"),
    [
        (D("100000.01"), "SEK"),
        (D("0.01"), "SEK"),
        (D("99999.99"), "EUR"),
        (D("1000001"), "JPY"),
        (D("7"), "JPY"),
        (D("1000.001"), "KWD"),
    ],
)
def test_billing_plan_templates_add_back_exactly_on_awkward_values(template, value, currency):
    # When a schedule is filled from the template
    parts = billing_plan_from_template(template, contract_value=value, currency=currency)

    # Then the parts add back to the value exactly, each in the minor unit
    percents = BILLING_PLAN_TEMPLATES[template]
    assert len(parts) == len(percents)
    assert sum(parts) == value
    exponent = -currency_decimals(currency)
    assert all(part.as_tuple().exponent == exponent for part in parts)
    # and every part but the last is its half-up share
    for part, percent in zip(parts[:-1], percents[:-1], strict=True):
        exact = Fraction(value) * Fraction(percent) / 100 / Fraction(minor_unit(currency))
        assert in_minor(part, currency) == half_up(exact)


def test_billing_plan_last_part_takes_the_remainder():
    # Given 100,000.01 split 25/25/50: 25 % is 25,000.0025, rounded to 25,000.00 twice
    parts = billing_plan_from_template("25/25/50", contract_value=D("100000.01"), currency="SEK")

    # Then the last part takes 50,000.01
    assert parts == [D("25000.00"), D("25000.00"), D("50000.01")]


def test_billing_plan_in_yen_has_no_decimals():
    parts = billing_plan_from_template("30/30/40", contract_value=D("1000001"), currency="JPY")
    assert parts == [D("300000"), D("300000"), D("400001")]


@pytest.mark.parametrize(
    "percents", [[D(25), D(25), D(40)], [D(50), D(50), D("0.01")], [], [D("99.99")]]
)
def test_billing_plan_refuses_percents_not_adding_to_100(percents):
    with pytest.raises(BillingPlanInvalid) as refused:
        billing_plan_split(contract_value=D("1000.00"), percents=percents, currency="SEK")
    assert str(refused.value) == PLAN_PERCENTS_NOT_HUNDRED.format(total=sum(percents, D(0)))


def test_billing_plan_refuses_a_zero_or_negative_part():
    with pytest.raises(BillingPlanInvalid) as refused:
        billing_plan_split(contract_value=D("1000.00"), percents=[D(100), D(0)], currency="SEK")
    assert str(refused.value) == PLAN_PERCENT_NOT_POSITIVE.format(percent=D(0))
    with pytest.raises(PercentOutOfRange):
        billing_plan_split(contract_value=D("1000.00"), percents=[D(110), D(-10)], currency="SEK")


def test_billing_plan_refuses_a_value_too_small_to_give_a_non_negative_last_part():
    # Given 3 yen split in six parts of 16.7 % and a last of 16.5 %: each of the first five is
    # 0.501 yen, rounded up to 1, which leaves -2 for the last part
    percents = [D("16.7")] * 5 + [D("16.5")]
    with pytest.raises(BillingPlanInvalid) as refused:
        billing_plan_split(contract_value=D(3), percents=percents, currency="JPY")
    assert str(refused.value) == PLAN_TOO_SMALL.format(
        value=D(3),
        currency="JPY",
        percents="16.7/16.7/16.7/16.7/16.7/16.5",
        last=D(-2),
    )


def test_billing_plan_refuses_an_unknown_template():
    with pytest.raises(BillingPlanInvalid) as refused:
        billing_plan_from_template("50/50", contract_value=D("1.00"), currency="SEK")
    assert str(refused.value) == UNKNOWN_TEMPLATE.format(
        template="50/50", templates="25/25/50, 30/30/40, 20/30/30/20, 40/30/30"
    )


def test_milestone_percent_alone_and_within_its_schedule():
    # Given three milestones of about a third each on 100.01
    schedule = [
        MilestoneTerms("a", "First", None, D("33.33")),
        MilestoneTerms("b", "Second", None, D("33.33")),
        MilestoneTerms("c", "Third", None, D("33.34")),
    ]

    # When each is billed with the schedule, and the last one alone
    with_schedule = [
        milestone_amount(terms, contract_value=D("100.01"), currency="SEK", schedule=schedule)
        for terms in schedule
    ]
    alone = milestone_amount(schedule[2], contract_value=D("100.01"), currency="SEK")

    # Then the schedule adds back to the value exactly; alone it is just its percent
    assert [line.amount for line in with_schedule] == [D("33.33"), D("33.33"), D("33.35")]
    assert sum(line.amount for line in with_schedule) == D("100.01")
    assert alone.amount == D("33.34")


def test_milestone_schedule_mixes_fixed_amounts_and_percents():
    schedule = [
        MilestoneTerms(1, "Signing fee", D("5000.00"), None),
        MilestoneTerms(2, "Half", None, D(50)),
        MilestoneTerms(3, "Other half", None, D(50)),
    ]
    amounts = milestone_schedule_amounts(schedule, contract_value=D("100.01"), currency="SEK")
    assert amounts == {1: D("5000.00"), 2: D("50.01"), 3: D("50.00")}


def test_milestone_terms_need_exactly_one_of_amount_and_percent():
    with pytest.raises(MilestoneTermsInvalid) as both:
        MilestoneTerms(7, "Both", D("1.00"), D(10))
    with pytest.raises(MilestoneTermsInvalid) as neither:
        MilestoneTerms(8, "Neither", None, None)
    assert str(both.value) == MILESTONE_AMOUNT_AND_PERCENT.format(milestone=7)
    assert str(neither.value) == MILESTONE_NEITHER.format(milestone=8)
    with pytest.raises(MilestoneTermsInvalid) as negative:
        MilestoneTerms(9, "Negative", D("-0.01"), None)
    assert str(negative.value) == MILESTONE_AMOUNT_NEGATIVE.format(milestone=9, amount=D("-0.01"))
    with pytest.raises(MilestoneTermsInvalid):
        MilestoneTerms(10, "Zero percent", None, D(0))
    with pytest.raises(PercentOutOfRange):
        MilestoneTerms(11, "Too much", None, D(101))
    # a milestone that bills nothing (the model allows it) gives a zero line
    checkpoint = MilestoneTerms(12, "Acceptance", D("0.00"), None)
    assert milestone_amount(checkpoint, contract_value=D("1.00"), currency="SEK").amount == 0


def test_milestone_not_in_its_schedule_is_refused():
    stray = MilestoneTerms("x", "Stray", D("1.00"), None)
    other = MilestoneTerms("y", "Other", D("1.00"), None)
    with pytest.raises(MilestoneTermsInvalid) as refused:
        milestone_amount(stray, contract_value=D("2.00"), currency="SEK", schedule=[other])
    assert str(refused.value) == MILESTONE_NOT_IN_SCHEDULE.format(milestone="x")


def test_milestone_fixed_amount_with_too_many_decimals_is_refused():
    terms = MilestoneTerms("m", "Odd", D("10.005"), None)
    with pytest.raises(BillingInputInvalid) as refused:
        milestone_amount(terms, contract_value=D("100.00"), currency="SEK")
    assert str(refused.value) == AMOUNT_NOT_IN_MINOR_UNIT.format(
        what="A milestone amount", amount=D("10.005"), currency="SEK", decimals=2
    )


# --------------------------------------------------------------------------------------------
# Fee
# --------------------------------------------------------------------------------------------


def test_fee_rounds_half_up_and_credits_symmetrically():
    # Given hours of 0.05 and a fee of 10 % (0.005 exactly)
    fee = fee_line(base_amount=D("0.05"), fee_percent=D(10), currency="SEK")
    credit = fee_line(base_amount=D("-0.05"), fee_percent=D(10), currency="SEK")

    # Then the fee rounds half-up, and a credit of the hours credits the same fee
    assert fee.amount == D("0.01")
    assert credit.amount == D("-0.01")


def test_fee_refuses_a_percent_over_100():
    with pytest.raises(PercentOutOfRange):
        fee_line(base_amount=D("100.00"), fee_percent=D("100.5"), currency="SEK")


# --------------------------------------------------------------------------------------------
# Time and material
# --------------------------------------------------------------------------------------------


def test_time_and_material_cap_binds_and_reports_the_excess():
    # Given office supplies capped at 10,000.00, of which 7,000.00 was billed before
    items = [
        hours("10", "150.00", reference="h1"),
        expense("2000.00", reference="e1"),
        expense("2500.00", reference="e2"),
        expense("400.00", reference="e3"),
    ]

    # When the period is billed
    result = time_and_material_lines(
        items=items,
        chargeable_category_ids=None,
        caps={"SUP": D("10000.00")},
        billed_per_category={"SUP": D("7000.00")},
        currency="SEK",
    )

    # Then supplies bill only the 3,000.00 left: e1 in full, e2 in part, e3 not at all
    assert [(line.reference, line.amount) for line in result.lines] == [
        ("h1", D("1500.00")),
        ("e1", D("2000.00")),
        ("e2", D("1000.00")),
    ]
    assert result.total == D("4500.00")
    assert result.capped == (
        CappedAmount("SUP", D("4900.00"), D("3000.00"), D("10000.00"), D("7000.00"), ("e2", "e3")),
    )
    assert result.capped[0].excess == D("1900.00")
    # the line cut by the cap still says what was delivered
    assert result.lines[2].quantity == D(1)
    assert result.lines[2].unit_price == D("2500.00")


def test_time_and_material_cap_already_used_up_bills_nothing_in_the_category():
    result = time_and_material_lines(
        items=[expense("100.00", reference="e1")],
        chargeable_category_ids=None,
        caps={"SUP": D("10000.00")},
        billed_per_category={"SUP": D("10000.00")},
        currency="SEK",
    )
    assert result.lines == ()
    assert result.capped == (
        CappedAmount("SUP", D("100.00"), D("0.00"), D("10000.00"), D("10000.00"), ("e1",)),
    )


def test_time_and_material_skips_non_chargeable_categories_and_transactions():
    # Given development hours, installation hours and a non-chargeable purchase
    items = [
        hours("2", "100.00", category="DEV", reference="dev"),
        hours("3", "100.00", category="INST", reference="inst"),
        TimeMaterialItem(
            "item", "DEV", D(1), D("50.00"), D("40.00"), reference="cost", is_chargeable=False
        ),
    ]

    # When only DEV is a chargeable category
    result = time_and_material_lines(
        items=items,
        chargeable_category_ids={"DEV"},
        caps={},
        billed_per_category={},
        currency="SEK",
    )

    # Then only the development hours are billed
    assert [line.reference for line in result.lines] == ["dev"]
    assert result.total == D("200.00")


def test_time_and_material_prices_expenses_at_cost_and_items_at_sales_price():
    items = [
        TimeMaterialItem("expense", "SUP", D(3), D("99.00"), D("10.005"), reference="e"),
        TimeMaterialItem("item", "HW", D(2), D("75.50"), D("60.00"), reference="i"),
        TimeMaterialItem(
            "hour", "DEV", D("1.5"), D("100.00"), D("60.00"), amount_hint=D("149.99"), reference="h"
        ),
    ]
    result = time_and_material_lines(
        items=items, chargeable_category_ids=None, caps={}, billed_per_category={}, currency="SEK"
    )
    assert [line.amount for line in result.lines] == [D("30.02"), D("151.00"), D("149.99")]
    assert [line.unit_price for line in result.lines] == [D("10.005"), D("75.50"), D("100.00")]


def test_time_and_material_refuses_an_on_account_transaction():
    item = TimeMaterialItem("on_account", None, D(1), D("1.00"), D("1.00"))
    with pytest.raises(BillingInputInvalid) as refused:
        time_and_material_lines(
            items=[item],
            chargeable_category_ids=None,
            caps={},
            billed_per_category={},
            currency="SEK",
        )
    assert str(refused.value) == UNKNOWN_ITEM_KIND.format(
        kind="on_account", kinds="hour, expense, item, fee"
    )


# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------


def test_retention_release_in_parts_never_exceeds_what_was_retained():
    first = retention_release_line(
        retained_to_date=D("12200.00"),
        released_to_date=D("0.00"),
        currency="SEK",
        up_to=D("5000.00"),
    )
    rest = retention_release_line(
        retained_to_date=D("12200.00"),
        released_to_date=first.amount,
        currency="SEK",
        up_to=D("9000.00"),
    )
    assert first.amount == D("5000.00")
    assert rest.amount == D("7200.00")


def test_retention_not_withheld_on_a_credit_or_at_zero_percent():
    assert retention_line(lines_total=D("-100.00"), retention_percent=D(10), currency="SEK") is None
    assert retention_line(lines_total=D("100.00"), retention_percent=D(0), currency="SEK") is None


def test_retention_release_when_over_released_gives_no_line():
    line = retention_release_line(
        retained_to_date=D("100.00"), released_to_date=D("150.00"), currency="SEK"
    )
    assert line is None


def taxed(amount: str, line_type: str = "transaction") -> TaxableLine:
    return TaxableLine(D(amount), D(25), "SE 25 %", line_type=line_type)


def totals_at(percent: str, lines: list[TaxableLine]):
    return invoice_totals(
        lines=lines,
        retention_percent=D(percent),
        retention_tax=(D(25), "SE 25 %", "S"),
        currency="SEK",
    )


def test_retention_is_not_withheld_on_a_release_line():
    # Given the 4th P1 invoice: 15,000.00 of progress and 2,500.00 of retention released, at 5 %
    totals = totals_at("5", [taxed("15000.00"), taxed("2500.00", "retention_release")])

    # Then 5 % of the 15,000.00 of work is withheld, not of 17,500.00 (875.00 before)
    assert totals.net == D("17500.00")
    assert totals.retention.amount == D("-750.00")
    assert totals.vat == D("4187.50")  # 25 % of 17,500.00 - 750.00
    assert totals.gross == D("20937.50")


def test_a_release_alone_withholds_nothing():
    assert totals_at("10", [taxed("2200.00", "retention_release")]).retention is None


def test_on_account_deductions_reduce_the_retention_base():
    # Given a prepayment of 5,000.00 billed on account at 10 % retention (500.00 withheld),
    # then 3,000.00 of hours less 3,000.00 deducted, then 4,000.00 less the 2,000.00 left
    first = totals_at("10", [taxed("5000.00")])
    second = totals_at("10", [taxed("3000.00"), taxed("-3000.00", "deduction")])
    third = totals_at("10", [taxed("4000.00"), taxed("-2000.00", "deduction")])

    # Then the deducted work is not retained twice: 700.00 in all on the 7,000.00 billed, and
    # the invoice the prepayment covers stays at zero instead of turning into a credit note
    assert first.retention.amount == D("-500.00")
    assert second.retention is None
    assert second.gross == 0
    assert third.retention.amount == D("-200.00")
    assert retention_base([taxed("4000.00"), taxed("-2000.00", "deduction")]) == D("2000.00")


def test_retention_given_back_in_parts_adds_up_to_what_was_withheld():
    # Given 100.00 withheld on a base of 300.00, credited in three parts of 100.00
    given_back = D(0)
    parts = []
    for credited_before in (D("0.00"), D("100.00"), D("200.00")):
        part = retention_given_back(
            withheld_on_invoice=D("100.00"),
            invoice_base=D("300.00"),
            credited_base_before=credited_before,
            credited_base_now=D("100.00"),
            given_back_before=given_back,
            outstanding=D("100.00") - given_back,
            currency="SEK",
        )
        parts.append(part)
        given_back += part
    # Then each part is the rounded cumulative share less what was given back already
    assert parts == [D("33.33"), D("33.34"), D("33.33")]


def test_retention_given_back_never_exceeds_what_is_outstanding():
    # Given 2,200.00 withheld of which 2,000.00 was released already
    share = retention_given_back(
        withheld_on_invoice=D("2200.00"),
        invoice_base=D("22000.00"),
        credited_base_before=D("0.00"),
        credited_base_now=D("22000.00"),
        given_back_before=D("0.00"),
        outstanding=D("200.00"),
        currency="SEK",
    )
    # Then crediting the whole invoice gives back only the 200.00 still held
    assert share == D("200.00")
    assert RetentionLedger(D("2200.00"), D("2000.00"), share).outstanding == 0


def test_a_release_never_exceeds_what_credit_notes_left_outstanding():
    line = retention_release_line(
        retained_to_date=D("2200.00"),
        released_to_date=D("0.00"),
        given_back_to_date=D("200.00"),
        currency="SEK",
    )
    assert line.amount == D("2000.00")
    assert (
        retention_release_line(
            retained_to_date=D("2200.00"),
            released_to_date=D("0.00"),
            given_back_to_date=D("2200.00"),
            currency="SEK",
        )
        is None
    )


# --------------------------------------------------------------------------------------------
# On-account
# --------------------------------------------------------------------------------------------


def test_on_account_deduction_offsets_the_prepayment_until_used_up():
    # Given a prepayment of 30,000.00 invoiced on account
    prepaid = D("30000.00")
    deducted = D("0.00")
    deductions = []

    # When three invoices of 12,000.00, 15,000.00 and 9,000.00 follow
    for total in (D("12000.00"), D("15000.00"), D("9000.00")):
        line = on_account_deduction(
            invoice_total=total, prepaid=prepaid, deducted_to_date=deducted, currency="SEK"
        )
        deductions.append(line.amount)
        deducted -= line.amount

    # Then the deductions offset the prepayment and stop when it is used up
    assert deductions == [D("-12000.00"), D("-15000.00"), D("-3000.00")]
    assert deducted == prepaid
    assert (
        on_account_deduction(
            invoice_total=D("500.00"), prepaid=prepaid, deducted_to_date=deducted, currency="SEK"
        )
        is None
    )


def test_on_account_deduction_never_makes_the_invoice_negative():
    # Given 20,000.00 of prepayment left and an invoice of 4,500.00
    line = on_account_deduction(
        invoice_total=D("4500.00"),
        prepaid=D("20000.00"),
        deducted_to_date=D("0.00"),
        currency="SEK",
    )

    # Then only 4,500.00 is deducted
    assert line.amount == D("-4500.00")
    assert line.kind == "deduction"
    assert (
        on_account_deduction(
            invoice_total=D("-10.00"),
            prepaid=D("20000.00"),
            deducted_to_date=D("0.00"),
            currency="SEK",
        )
        is None
    )


# --------------------------------------------------------------------------------------------
# Thresholds, lines and inputs
# --------------------------------------------------------------------------------------------


def test_thresholds_crossed_by_the_default_quarters():
    assert thresholds_crossed(previous_percent=D(0), current_percent=D("28.8888")) == (25,)
    assert thresholds_crossed(previous_percent=D(25), current_percent=D(100)) == (50, 75, 100)
    assert thresholds_crossed(previous_percent=D(50), current_percent=D(50)) == ()
    assert thresholds_crossed(previous_percent=D(80), current_percent=D(60)) == ()
    assert thresholds_crossed(
        previous_percent=D(10), current_percent=D(40), thresholds=(D("33.3"), 10, 40)
    ) == (D("33.3"), 40)


def test_lines_total_rounds_hand_built_lines_to_the_currency():
    lines = [
        BillingLine("a", "item", D("10.004")),
        BillingLine("b", "fee", D("0.005")),
        BillingLine("c", "deduction", D("-5.00")),
    ]
    assert lines_total(lines, currency="SEK") == D("5.01")
    assert lines_total([]) == D(0)


def test_billing_line_refuses_an_unknown_kind_and_floats():
    with pytest.raises(BillingInputInvalid) as unknown:
        BillingLine("x", "gift", D("1.00"))
    assert str(unknown.value) == UNKNOWN_LINE_KIND.format(
        kind="gift",
        kinds="hour, expense, item, fee, on_account, retention, deduction, milestone, "
        "progress, unit",
    )
    with pytest.raises(BillingInputInvalid) as floating:
        BillingLine("x", "item", 1.5)
    assert str(floating.value) == AMOUNT_NOT_DECIMAL.format(what="A line amount", value=1.5)
    assert BillingLine("x", "item", D("1.00")).quantity == D(1)


def test_inputs_are_checked_before_anything_is_computed():
    with pytest.raises(BillingError):
        fee_line(base_amount=D("1.00"), fee_percent=D(10), currency="sek")
    with pytest.raises(BillingInputInvalid):
        unit_of_delivery_amount(
            unit_price=D("-1"),
            total_units=D(1),
            units_delivered=D(1),
            units_invoiced=D(0),
            currency="SEK",
        )
    with pytest.raises(BillingInputInvalid):
        on_account_deduction(
            invoice_total=D("1.00"), prepaid=D("1.001"), deducted_to_date=D(0), currency="SEK"
        )
    with pytest.raises(BillingInputInvalid):
        automatic_progress_amount(
            lines=[ProgressBudgetLine("x", D("NaN"), D(1), D(1))],
            billed_to_date=D(0),
            currency="SEK",
        )


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

currencies = st.sampled_from(CURRENCIES)


def money(currency: str, max_minor: int = 10**12, min_minor: int = 0):
    exponent = -currency_decimals(currency)
    return st.integers(min_minor, max_minor).map(lambda units: D(units).scaleb(exponent))


@st.composite
def plan_percents(draw) -> list[Decimal]:
    """Positive percentages (2 or 4 decimals) adding up to exactly 100."""
    decimals = draw(st.sampled_from((0, 2, 4)))
    whole = 100 * 10**decimals
    count = draw(st.integers(1, min(8, whole)))
    cuts = sorted(draw(st.sets(st.integers(1, whole - 1), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, whole]
    return [D(high - low).scaleb(-decimals) for low, high in zip(bounds, bounds[1:], strict=False)]


@examples(300)
@given(currencies.flatmap(lambda c: st.tuples(st.just(c), money(c))), plan_percents())
def test_property_billing_plan_adds_back_and_parts_are_near_their_share(drawn, percents):
    currency, value = drawn
    unit = Fraction(minor_unit(currency))
    exact = [Fraction(value) * Fraction(percent) / 100 / unit for percent in percents]
    try:
        parts = billing_plan_split(contract_value=value, percents=percents, currency=currency)
    except BillingPlanInvalid:
        # refused only when the half-up parts before the last already exceed the value
        assert sum(half_up(share) for share in exact[:-1]) > in_minor(value, currency)
        return
    assert sum(parts) == value
    assert all(part >= 0 for part in parts)
    for part, share in zip(parts[:-1], exact[:-1], strict=True):
        assert abs(in_minor(part, currency) - share) < 1
        assert in_minor(part, currency).denominator == 1


@examples(200)
@given(
    currencies.flatmap(lambda c: st.tuples(st.just(c), money(c, 10**9), money(c, 10**9))),
    st.lists(st.one_of(st.none(), st.integers(0, 10**9)), max_size=5),
)
def test_property_retention_release_never_exceeds_retained(drawn, limits):
    currency, retained, released = drawn
    assume(released <= retained)
    exponent = -currency_decimals(currency)
    # When released in several goes, some limited, some not
    for limit in limits:
        up_to = None if limit is None else D(limit).scaleb(exponent)
        line = retention_release_line(
            retained_to_date=retained, released_to_date=released, currency=currency, up_to=up_to
        )
        if line is not None:
            assert line.amount > 0
            if up_to is not None:
                assert line.amount <= up_to
            released += line.amount
        # Then the total released never exceeds the retained total
        assert released <= retained
    final = retention_release_line(
        retained_to_date=retained, released_to_date=released, currency=currency
    )
    assert (final.amount if final else 0) + released == retained


@examples(200)
@given(
    currencies.flatmap(
        lambda c: st.tuples(
            st.just(c),
            money(c, 10**9),
            st.lists(money(c, 10**9, -(10**6)), max_size=6),
        )
    )
)
def test_property_on_account_deduction_within_prepayment_and_invoice(drawn):
    currency, prepaid, invoice_totals = drawn
    deducted = D(0)
    for total in invoice_totals:
        line = on_account_deduction(
            invoice_total=total, prepaid=prepaid, deducted_to_date=deducted, currency=currency
        )
        if line is None:
            assert total <= 0 or deducted == prepaid
            continue
        deduction = -line.amount
        assert 0 < deduction <= prepaid - deducted
        assert total + line.amount >= 0  # the invoice never goes negative
        assert deduction == min(prepaid - deducted, total)
        deducted += deduction
    assert deducted <= prepaid


percent_values = st.integers(0, 10_000).map(lambda hundredths: D(hundredths).scaleb(-2))


@examples(300)
@given(
    st.lists(percent_values, min_size=3, max_size=3).map(sorted),
    st.lists(percent_values, max_size=6, unique=True),
)
def test_property_thresholds_crossed_monotone_and_fire_once(points, thresholds):
    low, middle, high = points
    thresholds = tuple(thresholds) or (25, 50, 75, 100)
    first = thresholds_crossed(previous_percent=low, current_percent=middle, thresholds=thresholds)
    second = thresholds_crossed(
        previous_percent=middle, current_percent=high, thresholds=thresholds
    )
    whole = thresholds_crossed(previous_percent=low, current_percent=high, thresholds=thresholds)
    assert first + second == whole  # split anywhere, each threshold fires exactly once
    assert set(first) <= set(whole)
    assert (
        thresholds_crossed(previous_percent=high, current_percent=low, thresholds=thresholds) == ()
    )
    assert all(low < threshold <= high for threshold in whole)


@examples(200)
@given(
    st.lists(
        st.tuples(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(-100, 2 * 10**7)),
        min_size=1,
        max_size=5,
    ),
    currencies,
)
def test_property_automatic_progress_is_the_exact_sum_rounded_once(budget, currency):
    exponent = -currency_decimals(currency)
    lines = [
        ProgressBudgetLine(
            index, D(cost).scaleb(exponent), D(revenue).scaleb(exponent), D(actual).scaleb(exponent)
        )
        for index, (cost, revenue, actual) in enumerate(budget)
    ]
    result = automatic_progress_amount(lines=lines, billed_to_date=D(0), currency=currency)
    exact = Fraction(0)
    for cost, revenue, actual in budget:
        if actual > 0:
            exact += (min(Fraction(actual, cost), Fraction(1)) if cost else Fraction(1)) * revenue
    assert in_minor(result.earned, currency) == half_up(exact)
    assert result.earned <= sum(line.revenue_budget for line in lines)
    assert D(0) <= result.percent_complete <= D(100)


@examples(100)
@given(
    currencies.flatmap(lambda c: st.tuples(st.just(c), money(c, 10**10))),
    st.lists(percent_values, min_size=1, max_size=6).map(sorted),
)
def test_property_manual_progress_invoices_add_back_to_the_value(drawn, steps):
    currency, value = drawn
    billed = D(0)
    for percent in [*steps, D(100)]:
        line = manual_progress_amount(
            contract_value=value, percent_complete=percent, billed_to_date=billed, currency=currency
        )
        if line is not None:
            assert line.amount > 0
            billed += line.amount
    assert billed == value


@examples(100)
@given(
    st.integers(0, 10**6).map(lambda thousandths: D(thousandths).scaleb(-3)),
    st.integers(1, 20),
    st.lists(st.integers(0, 30), min_size=1, max_size=8).map(sorted),
    currencies,
)
def test_property_unit_of_delivery_never_bills_over_the_total(price, total, deliveries, currency):
    invoiced = D(0)
    billed = D(0)
    for delivered in deliveries:
        line = unit_of_delivery_amount(
            unit_price=price,
            total_units=D(total),
            units_delivered=D(delivered),
            units_invoiced=invoiced,
            currency=currency,
        )
        if line is not None:
            invoiced += line.quantity
            billed += line.amount
    # Then never more than the total units, and the invoices add up to the rounded value of
    # the units delivered (capped at the total)
    assert invoiced <= total
    assert billed == round_money(invoiced * price, currency)
    assert billed == round_money(min(D(deliveries[-1]), D(total)) * price, currency)


LINE_TYPES = ("transaction", "fee", "deduction", "retention_release")


@st.composite
def invoice_lines(draw, currency: str) -> list[TaxableLine]:
    """Lines of an invoice: work (transaction, fee), negative deductions, positive releases."""
    lines = []
    for line_type in draw(st.lists(st.sampled_from(LINE_TYPES), max_size=8)):
        amount = draw(money(currency, 10**9))
        if line_type == "deduction":
            amount = -amount
        lines.append(TaxableLine(amount, D(25), "VAT 25 %", line_type=line_type))
    return lines


@examples(300)
@given(
    currencies.flatmap(lambda c: st.tuples(st.just(c), invoice_lines(c), invoice_lines(c))),
    st.decimals(0, 100, places=2),
)
def test_property_retention_is_never_withheld_on_release_lines(drawn, percent):
    currency, lines, other = drawn
    totals = invoice_totals(
        lines=lines, retention_percent=percent, retention_tax=(D(25), "VAT", "S"), currency=currency
    )
    work = sum((line.amount for line in lines if line.line_type in ("transaction", "fee")), D(0))
    deducted = sum((line.amount for line in lines if line.line_type == "deduction"), D(0))
    withheld = -totals.retention.amount if totals.retention else D(0)
    # The retention is the percentage of the work less the deductions, rounded once
    expected = round_money(max(work + deducted, D(0)) * percent / 100, currency)
    assert withheld == expected
    # Deductions only ever lower it: never more than the percentage of the work lines
    assert withheld <= round_money(work * percent / 100, currency)
    # Release lines never change it: swap them for any other releases, and it stays
    releases = [line for line in other if line.line_type == "retention_release"]
    without = [line for line in lines if line.line_type != "retention_release"]
    swapped = invoice_totals(
        lines=[*without, *releases],
        retention_percent=percent,
        retention_tax=(D(25), "VAT", "S"),
        currency=currency,
    )
    assert swapped.retention == totals.retention
    assert totals.net == sum((line.amount for line in lines), D(0))


@st.composite
def retention_steps(draw, currency: str) -> list[tuple]:
    """A sequence of invoices (their work base), releases (all, or up to a limit) and credits
    (part of an earlier invoice's base, as a fraction of it)."""
    steps = []
    for step in draw(st.lists(st.sampled_from(("invoice", "release", "credit")), max_size=20)):
        if step == "invoice":
            steps.append(("invoice", draw(money(currency, 10**9))))
        elif step == "release":
            limit = draw(st.one_of(st.none(), money(currency, 10**8)))
            steps.append(("release", limit))
        else:
            steps.append(("credit", draw(st.integers(0, 50)), draw(st.fractions(0, 1))))
    return steps


@examples(300)
@given(
    currencies.flatmap(lambda c: st.tuples(st.just(c), retention_steps(c))),
    st.decimals(0, 100, places=2),
)
def test_property_retention_outstanding_never_below_zero(drawn, percent):
    currency, steps = drawn
    ledger = RetentionLedger()
    invoices = []  # [withheld, base, credited base, given back]
    for step in steps:
        if step[0] == "invoice":
            line = retention_line(lines_total=step[1], retention_percent=percent, currency=currency)
            withheld = -line.amount if line else D(0)
            invoices.append([withheld, step[1], D(0), D(0)])
            ledger = RetentionLedger(ledger.withheld + withheld, ledger.released, ledger.given_back)
        elif step[0] == "release":
            line = retention_release_line(
                retained_to_date=ledger.withheld,
                released_to_date=ledger.released,
                given_back_to_date=ledger.given_back,
                currency=currency,
                up_to=step[1],
            )
            if line is not None:
                assert 0 < line.amount <= ledger.outstanding
                ledger = RetentionLedger(
                    ledger.withheld, ledger.released + line.amount, ledger.given_back
                )
        elif invoices:
            invoice = invoices[step[1] % len(invoices)]
            withheld, base, credited, given_back = invoice
            now = round_money(
                Decimal((base - credited) * step[2].numerator) / step[2].denominator, currency
            )
            now = min(now, base - credited)
            share = retention_given_back(
                withheld_on_invoice=withheld,
                invoice_base=base,
                credited_base_before=credited,
                credited_base_now=now,
                given_back_before=given_back,
                outstanding=ledger.outstanding,
                currency=currency,
            )
            assert 0 <= share <= withheld - given_back
            invoice[2] += now
            invoice[3] += share
            ledger = RetentionLedger(ledger.withheld, ledger.released, ledger.given_back + share)
        # withheld - released - given back never goes below zero, whatever the order
        assert ledger.outstanding >= 0
        assert all(0 <= given_back <= withheld for withheld, _b, _c, given_back in invoices)
    if ledger.released == 0:
        # With nothing released, fully credited invoices give all their retention back
        for withheld, base, credited, given_back in invoices:
            if credited == base:
                assert given_back == withheld
