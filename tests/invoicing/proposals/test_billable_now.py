"""Billable now is what generation creates (issue 12, item 5): the same choice of shares,
coverage, caps, fees and the amounts that milestones, units and progress make; what is on hold
or over a cap is shown apart and never counted."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contracts.models import ProjectType
from invoicing.proposals import generation, selectors
from invoicing.proposals.models import ProposalLine
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    FundingLimitFactory,
    FundingSourceFactory,
    MilestoneFactory,
    ProjectFactory,
    WorkerFactory,
)
from tests.invoicing.builders import contract_with_customer, hours
from tests.invoicing.proposals.test_generation import mark_posted, prepayment

pytestmark = pytest.mark.django_db
D = Decimal


class RolledBack(Exception):
    pass


def billable(contract) -> dict:
    [row] = selectors.billable_now(contracts=[contract])
    return row


def generated_total(contract, actor) -> Decimal:
    """What generation creates up to today, rolled back so that nothing stays."""
    created = {}
    try:
        with transaction.atomic():
            proposals = generation.proposals_generate(
                contract=contract, up_to_date=timezone.localdate(), actor=actor
            )
            created["total"] = sum(
                (line.amount for line in ProposalLine.objects.filter(proposal__in=proposals)),
                D("0"),
            )
            raise RolledBack
    except RolledBack:
        pass
    return created["total"]


def p1_contract(_people=None):
    contract, project, _source = contract_with_customer(
        project_type=ProjectType.FIXED_PRICE, contract_value=D("100000")
    )
    BillingRuleFactory(
        contract=contract, rule_type="progress_manual", percent_complete=D("15"), projects=[project]
    )
    return contract


def test_manual_progress_is_billable_now_and_generation_bills_the_same(people):
    contract = p1_contract()
    assert billable(contract)["total"] == D("15000.00")  # P1: 15 % of 100,000.00
    assert generated_total(contract, people["clerk"]) == D("15000.00")


def test_a_completed_milestone_is_billable_now(people):
    contract, project, _source = contract_with_customer(project_type=ProjectType.FIXED_PRICE)
    BillingRuleFactory(contract=contract, rule_type="milestone", projects=[project])
    MilestoneFactory(
        contract=contract, amount=D("15000"), status="completed", completed_at=timezone.now()
    )
    assert billable(contract)["total"] == D("15000.00")
    assert generated_total(contract, people["clerk"]) == D("15000.00")


def on_hold_contract(_people=None):
    contract, project, source = contract_with_customer()
    FundingSourceFactory(contract=contract, name="On hold", is_on_hold=True)
    FundingLimitFactory(source=source, amount=D("500"))
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "10", date=timezone.localdate())
    return contract


def test_an_amount_on_hold_is_shown_apart_and_not_billable(people, client):
    contract = on_hold_contract()
    row = billable(contract)
    assert (row["total"], row["on_hold"]) == (D("500.00"), D("500.00"))
    assert generated_total(contract, people["clerk"]) == D("500.00")
    client.force_login(people["clerk"])
    html = client.get(reverse("invoicing:billable_contract", args=[contract.pk])).content.decode()
    assert "On hold" in html and "500.00" in html


def fee_contract(_people=None):
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(contract=contract, rule_type="fee", fee_percent=D("10"), projects=[project])
    worker = WorkerFactory(sales_rate=D("100"))
    hours(project, worker, "7.5", date=timezone.localdate())
    hours(project, worker, "3.33", date=timezone.localdate())
    return contract


def cap_contract(_people=None):
    contract, project, _source = contract_with_customer()
    category = CategoryFactory(kind="hour")
    rule = BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    rule.caps.create(category=category, amount=D("1000"))
    worker = WorkerFactory(sales_rate=D("100"))
    for quantity in ("4", "5", "3"):
        hours(project, worker, quantity, category=category, date=timezone.localdate())
    return contract


def milestone_and_hours_contract(_people=None):
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(contract=contract, rule_type="milestone", projects=[project])
    MilestoneFactory(
        contract=contract, amount=D("2500"), status="completed", completed_at=timezone.now()
    )
    hours(project, WorkerFactory(sales_rate=D("120")), "2.25", date=timezone.localdate())
    return contract


def mixed_contract(_people=None):
    """Two funders, two projects invoiced apart, a fee on one of them, hours in a capped
    category and in two that are not: the summed shares and the ones read one by one meet."""
    contract, project, _customer = contract_with_customer(invoicing_scope="project")
    other = ProjectFactory(contract=contract)
    grant = FundingSourceFactory(contract=contract, name="Grant")
    rule = contract.funding_rules.get()
    rule.lines.update(percentage=D("60"))
    rule.lines.create(source=grant, percentage=D("40"))
    capped, free, more = (CategoryFactory(kind="hour") for _ in range(3))
    time_material = BillingRuleFactory(
        contract=contract, rule_type="time_material", projects=[project, other]
    )
    time_material.caps.create(category=capped, amount=D("700"))
    BillingRuleFactory(contract=contract, rule_type="fee", fee_percent=D("7.5"), projects=[other])
    worker = WorkerFactory(sales_rate=D("100"))
    for quantity, where, category in (
        ("4", project, capped), ("3.5", other, free), ("5", other, capped),
        ("2.25", project, more), ("1.1", other, more), ("6", project, capped),
    ):  # fmt: skip
        hours(where, worker, quantity, category=category, date=timezone.localdate())
    return contract


def test_billable_now_reads_shares_one_by_one_only_under_a_cap(people, monkeypatch):
    """At a large backlog the preview must not hold a share per transaction: shares are summed
    in the database, except in categories a cap limits (where the cap cuts depends on order)."""
    contract = mixed_contract()
    read_one_by_one = []
    share = generation._share
    monkeypatch.setattr(
        generation, "_share", lambda row, names: read_one_by_one.append(row) or share(row, names)
    )
    row = billable(contract)
    monkeypatch.undo()
    capped_shares = 3 * 2  # three capped transactions, two funders each
    assert len(read_one_by_one) == capped_shares
    assert row["over_cap"] > 0
    assert row["total"] == generated_total(contract, people["clerk"])


def test_cap_is_shown_apart(people):
    # 400 + 500 + 300 against a cap of 1,000: the third is split, 100 within and 200 over
    row = billable(cap_contract())
    assert (row["total"], row["over_cap"]) == (D("1000.00"), D("200.00"))


def prepaid_contract(people):
    """A prepayment posted, then hours and a fee: the deduction takes the prepayment back."""
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    prepayment(project, "5000")
    [prepaid] = generation.proposals_generate(
        contract=contract, up_to_date=timezone.localdate(), actor=people["clerk"]
    )
    mark_posted(prepaid, people)
    BillingRuleFactory(contract=contract, rule_type="fee", fee_percent=D("10"), projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "30", date=timezone.localdate())
    return contract


def test_a_prepayment_deduction_is_taken_off_billable_now(people):
    row = billable(prepaid_contract(people))
    assert (row["work"], row["fees"], row["deductions"], row["total"]) == (
        D("3000.00"),
        D("300.00"),
        D("-3300.00"),
        D("0.00"),
    )


def two_milestones_past_a_limit_contract(_people=None):
    """Two completed milestones, 1,000.00 and 2,500.00, and a customer limit of 3,000.00: the
    first takes 1,000.00 of the headroom, so only 2,000.00 of the second is funded (found by
    the cycle state machine: billable now funded each milestone against the whole headroom and
    showed 3,500.00 while generation billed 3,000.00)."""
    contract, project, source = contract_with_customer()
    FundingLimitFactory(source=source, amount=D("3000.00"))
    BillingRuleFactory(contract=contract, rule_type="milestone", projects=[project])
    for sequence, amount in enumerate((D("1000"), D("2500")), start=1):
        MilestoneFactory(
            contract=contract, sequence=sequence, amount=amount, status="completed",
            completed_at=timezone.now(),
        )  # fmt: skip
    return contract


def test_milestones_due_together_share_the_limit_headroom(people):
    row = billable(two_milestones_past_a_limit_contract())
    assert (row["on_account"], row["on_hold"], row["total"]) == (
        D("3000.00"),
        D("500.00"),
        D("3000.00"),
    )


@pytest.mark.parametrize(
    "setup",
    [
        p1_contract,
        on_hold_contract,
        fee_contract,
        cap_contract,
        mixed_contract,
        milestone_and_hours_contract,
        two_milestones_past_a_limit_contract,
    ],
)
def test_billable_now_equals_what_generation_creates(people, setup):
    contract = setup(people)
    before = billable(contract)
    assert before["total"] == generated_total(contract, people["clerk"])
    assert billable(contract) == before  # generation was rolled back: nothing moved


def test_the_billable_now_list_works_out_one_page_of_contracts(
    client, people, settings, monkeypatch, django_assert_max_num_queries
):
    """All contracts' figures at once held the worker for minutes at a million transactions
    (bench_pages): the list is paginated by contract code and works out only its page."""
    from invoicing.proposals import views

    settings.PAGE_SIZE = 3
    worker = WorkerFactory(sales_rate=D("100"))

    def contracts_with_hours(first, count):
        for number in range(first, first + count):
            contract, project, _source = contract_with_customer(code=f"BN-{number:02d}")
            BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
            hours(project, worker, str(number + 1), date=timezone.localdate())

    contracts_with_hours(0, 7)
    asked = []
    preview = views.billable.billable_preview
    monkeypatch.setattr(
        views.billable,
        "billable_preview",
        lambda *, contracts, up_to_date: (
            asked.append([c.code for c in contracts])
            or preview(contracts=contracts, up_to_date=up_to_date)
        ),
    )
    client.force_login(people["clerk"])
    url = reverse("invoicing:billable_now")
    client.get(url)  # warm-up
    with django_assert_max_num_queries(60) as first:
        html = client.get(url).content.decode()
    queries = len(first.captured_queries)  # the next request empties the log
    assert asked[-1] == ["BN-00", "BN-01", "BN-02"]
    assert "BN-03" not in html and "Page 1 of 3" in html
    html = client.get(url + "?page=3").content.decode()
    assert asked[-1] == ["BN-06"] and "700.00" in html
    contracts_with_hours(7, 7)
    with django_assert_max_num_queries(queries):
        html = client.get(url).content.decode()
    assert "Page 1 of 5" in html
