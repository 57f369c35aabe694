"""The dashboard: the landing page after log-in, per role, with a bounded number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding.models import FundingLimit
from invoicing.proposals import generation, workflow
from tests.factories import (
    BillingRuleFactory,
    FundingLimitFactory,
    MilestoneFactory,
    UserFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db


def test_login_lands_on_the_dashboard(client, user_with_role):
    user_with_role("finance_clerk", username="karin")
    response = client.post(reverse("login"), {"username": "karin", "password": "secret-password-1"})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_dashboard_shows_what_needs_doing(client, people):
    proposal = approved_e1(people)  # approved: nothing waiting
    contract, project, source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "10")
    [waiting] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=waiting, actor=people["clerk"])
    MilestoneFactory(
        contract=proposal.contract,
        due_date=datetime.date(2020, 1, 1),
        description="Late design review",
    )
    limit = FundingLimitFactory(source=source, amount=Decimal("1000"))
    FundingLimit.objects.filter(pk=limit.pk).update(used_amount=Decimal("900"))

    client.force_login(people["approver"])
    html = client.get(reverse("home")).content.decode()
    assert f"#{waiting.pk} {contract.code}" in html
    assert "Late design review" in html and "Overdue" in html
    assert "90 %" in html  # the funding limit
    assert reverse("invoicing:proposal_detail", args=[waiting.pk]) in html

    client.force_login(people["clerk"])
    html = client.get(reverse("home")).content.decode()
    assert f"#{waiting.pk} {contract.code}" not in html  # clerks do not approve


def test_dashboard_runs_a_bounded_number_of_queries(client, people, django_assert_max_num_queries):
    client.force_login(people["approver"])
    proposal = approved_e1(people)
    MilestoneFactory(
        contract=proposal.contract, due_date=datetime.date(2020, 1, 1), description="Kick-off"
    )
    # (the first view has the billable figures worked out by the in-process task, then reads
    # them again: the active contracts counted and the kept rows summed, twice)
    with django_assert_max_num_queries(33) as few:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Kick-off" in response.content.decode()
    for number in range(4):
        contract, project, _source = contract_with_customer(code=f"DASH-{number}")
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        hours(project, WorkerFactory(sales_rate=Decimal("100")), "3")
        MilestoneFactory(
            contract=contract, due_date=datetime.date(2021, 1, 1), description=f"Review {number}"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kick-off" in html and "Review 0" in html and "Review 3" in html  # overdue
    billable = reverse("invoicing:billable_contract", args=[contract.pk])
    assert billable in html and "DASH-3" in html  # 300.00 of hours, billable now


def test_the_approval_figure_and_its_list_agree_for_an_approver_who_also_submits(client, people):
    # Regression: the figure left out the approver's own submissions but linked to every
    # submitted proposal.
    both = UserFactory(username="both", role="approver")
    both.groups.add(*UserFactory(role="finance_clerk").groups.all())
    mine, theirs = [], []
    for submitter, bucket in ((both, mine), (people["clerk"], theirs)):
        contract, project, _source = contract_with_customer()
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        hours(project, WorkerFactory(sales_rate=Decimal("100")), "1")
        [proposal] = generation.proposals_generate(
            contract=contract, up_to_date=DAY, actor=submitter
        )
        bucket.append(workflow.proposal_submit(proposal=proposal, actor=submitter))
    client.force_login(both)
    html = client.get(reverse("home")).content.decode()
    assert "?mine=to_approve" in html
    listed = client.get(reverse("invoicing:proposal_list") + "?mine=to_approve").content.decode()
    assert reverse("invoicing:proposal_detail", args=[theirs[0].pk]) in listed
    assert reverse("invoicing:proposal_detail", args=[mine[0].pk]) not in listed


def test_dashboard_counts_the_active_contracts_instead_of_loading_them(client, people):
    """Every active contract (and its customer) was loaded on every view to check that the kept
    billable figures covered them all and to pick the milestone chart's contracts: 1,000
    contracts and their customers, ~70 ms of the 300 ms budget (issue 17, bench_pages)."""
    client.force_login(people["approver"])
    approved_e1(people)
    client.get(reverse("home"))  # the first view works the figures out
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    reads = [
        query["sql"]
        for query in queries
        if query["sql"].startswith('SELECT "contracts_projectcontract"."id"')
    ]
    assert reads == []
