"""The dashboard's kept billable figures (invoicing/proposals/billable_figures.py): what they
show is what ``billable_preview`` says, never older than the allowed age, worked out again on
another day or when a contract becomes active, and read in a number of queries that does not
grow with the data."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.models import ContractStatus, MilestoneStatus, ProjectContract
from invoicing import dashboard
from invoicing.proposals import billable_figures, generation, workflow
from invoicing.proposals.billable import billable_preview
from invoicing.proposals.models import BillableFigure, InvoiceProposal, ProposalStatus
from invoicing.proposals.state import NothingToBill
from tests.factories import BillingRuleFactory, MilestoneFactory, WorkerFactory
from tests.invoicing.builders import contract_with_customer, hours

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 4, 15)
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def two_contracts(people):
    contracts = []
    for code in ("FIG-A", "FIG-B"):
        contract, project, _source = contract_with_customer(code=code)
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        contracts.append((contract, project))
    return contracts


def live(today=TODAY) -> tuple[list[tuple], int]:
    """What billable_preview says now of the active contracts, as the dashboard lists it."""
    active = list(ProjectContract.objects.filter(status=ContractStatus.ACTIVE))
    previews = [
        preview
        for preview in billable_preview(contracts=active, up_to_date=today)
        if preview.total or preview.milestones
    ]
    previews.sort(key=lambda preview: (-preview.total, preview.contract.code))
    rows = [(p.contract.pk, p.total, p.on_hold, p.milestones) for p in previews]
    return rows, len(rows)


def shown(user, today=TODAY) -> tuple[list[tuple], int]:
    figures = dashboard.dashboard(user=user, today=today)
    rows = [
        (row.contract_id, row.total, row.on_hold, row.milestones) for row in figures["billable"]
    ]
    return rows, figures["billable_count"]


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("hours"), st.integers(0, 1), st.integers(1, 40)),
        st.tuples(st.just("generate"), st.integers(0, 1)),
        st.tuples(st.just("cancel"), st.integers(0, 1)),
        st.tuples(st.just("milestone"), st.integers(0, 1)),
        st.tuples(st.just("close"), st.integers(0, 1)),
        st.tuples(st.just("reopen"), st.integers(0, 1)),
    ),
    min_size=1,
    max_size=6,
)


def act(action, contracts, people):
    name, index, *rest = action
    contract, project = contracts[index]
    if name == "hours":
        hours(project, WorkerFactory(sales_rate=D("100")), str(rest[0]), date=TODAY)
    elif name == "generate":
        try:
            with transaction.atomic():
                generation.proposals_generate(
                    contract=contract, up_to_date=TODAY, actor=people["clerk"]
                )
        except NothingToBill:
            pass
    elif name == "cancel":
        for proposal in InvoiceProposal.objects.filter(
            contract=contract, status=ProposalStatus.DRAFT
        ):
            workflow.proposal_cancel(proposal=proposal, actor=people["clerk"])
    elif name == "milestone":
        MilestoneFactory(
            contract=contract, status=MilestoneStatus.COMPLETED, completed_at=timezone.now()
        )
    elif name == "close":
        ProjectContract.objects.filter(pk=contract.pk).update(status=ContractStatus.CLOSED)
    elif name == "reopen":
        ProjectContract.objects.filter(pk=contract.pk).update(status=ContractStatus.ACTIVE)


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_once_their_age_is_up_the_kept_figures_are_what_billable_preview_says(
    two_contracts, people, actions, monkeypatch
):
    """After any sequence of work, proposals, milestones and contracts closing or opening, the
    dashboard shows billable_preview's figures as soon as the kept ones are too old, and never
    anything else than what it said when it last ran."""
    clock = [timezone.now()]
    monkeypatch.setattr(billable_figures.timezone, "now", lambda: clock[0])
    with transaction.atomic():
        assert shown(people["clerk"]) == live()
        for action in actions:
            before = shown(people["clerk"])
            act(action, two_contracts, people)
            # Within the allowed age the figures stay as they were, unless the active
            # contracts changed (then they are worked out at once).
            kept = shown(people["clerk"])
            assert kept in (before, live())
            clock[0] += datetime.timedelta(minutes=11)  # past the ten minutes allowed
            assert shown(people["clerk"]) == live()
            for row in BillableFigure.objects.filter(contract__status=ContractStatus.ACTIVE):
                [preview] = billable_preview(contracts=[row.contract], up_to_date=TODAY)
                for name in billable_figures.FIGURE_FIELDS:
                    assert getattr(row, name) == getattr(preview, name), name
        transaction.set_rollback(True)


def test_figures_are_worked_out_again_on_another_day(two_contracts, people):
    contract, project = two_contracts[0]
    hours(project, WorkerFactory(sales_rate=D("100")), "5", date=TODAY + datetime.timedelta(days=1))
    assert shown(people["clerk"]) == ([], 0)  # dated tomorrow: not billable today
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert shown(people["clerk"], today=tomorrow) == ([(contract.pk, D("500.00"), D("0"), 0)], 1)


def test_a_contract_that_becomes_active_is_shown_at_once(two_contracts, people):
    shown(people["clerk"])
    contract, project = contract_with_customer(code="FIG-NEW", status=ContractStatus.DRAFT)[:2]
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "2", date=TODAY)
    assert shown(people["clerk"]) == ([], 0)
    ProjectContract.objects.filter(pk=contract.pk).update(status=ContractStatus.ACTIVE)
    assert shown(people["clerk"]) == ([(contract.pk, D("200.00"), D("0"), 0)], 1)


def test_within_the_allowed_age_the_page_says_when_the_figures_were_worked_out(
    client, two_contracts, people, monkeypatch
):
    contract, project = two_contracts[0]
    moment = timezone.now().replace(hour=9, minute=41)
    monkeypatch.setattr(billable_figures.timezone, "now", lambda: moment)
    client.force_login(people["clerk"])
    client.get(reverse("home"))
    hours(project, WorkerFactory(sales_rate=D("100")), "3")
    html = client.get(reverse("home")).content.decode()
    assert "as of" in html and "FIG-A" not in html  # worked out before the hours
    # The billable-now page works them out live and keeps them for the dashboard.
    assert "FIG-A" in client.get(reverse("invoicing:billable_now")).content.decode()
    html = client.get(reverse("home")).content.decode()
    assert reverse("invoicing:billable_contract", args=[contract.pk]) in html
    assert "300.00" in html


def test_current_figures_are_read_in_the_same_queries_however_much_data(
    client, two_contracts, people, django_assert_max_num_queries
):
    client.force_login(people["clerk"])
    client.get(reverse("home"))  # works the figures out and warms the caches
    with django_assert_max_num_queries(40) as few:
        first = client.get(reverse("home"))
    assert first.status_code == 200
    reading = [query["sql"] for query in few.captured_queries]  # a request empties the log
    for number in range(3):
        contract, project = contract_with_customer(code=f"FIG-MORE-{number}")[:2]
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        for _ in range(4):
            hours(project, WorkerFactory(sales_rate=D("100")), "1")
    client.get(reverse("home"))  # new active contracts: worked out again
    with django_assert_max_num_queries(len(reading)):
        response = client.get(reverse("home"))
    assert "FIG-MORE-2" in response.content.decode()
    assert BillableFigure.objects.count() == 5
    # Reading the kept figures never works through the shares.
    assert not any("invoicing_transactionallocation" in sql for sql in reading)


def test_the_kept_rows_of_contracts_no_longer_active_are_not_read_and_go(two_contracts, people):
    shown(people["clerk"])
    assert BillableFigure.objects.count() == 2
    (kept, _project), (closed, _other) = two_contracts
    hours(_other, WorkerFactory(sales_rate=D("100")), "1", date=TODAY)
    ProjectContract.objects.filter(pk=closed.pk).update(status=ContractStatus.CLOSED)
    assert shown(people["clerk"]) == ([], 0)
    billable_figures.billable_figures_refresh(today=TODAY)
    assert list(BillableFigure.objects.values_list("contract_id", flat=True)) == [kept.pk]


def test_with_workers_a_view_never_works_the_figures_out_itself(
    client, two_contracts, people, monkeypatch, django_assert_max_num_queries
):
    """With tasks on workers the dashboard shows the kept figures marked as being updated and
    queues one refresh, however many views find them old; it never reads the shares (with a
    large unbilled backlog that took as long as the billable-now page, in the request)."""
    from invoicing.proposals import tasks

    contract, project = two_contracts[0]
    moment = [timezone.now().replace(hour=9, minute=41)]
    monkeypatch.setattr(billable_figures.timezone, "now", lambda: moment[0])
    client.force_login(people["clerk"])
    client.get(reverse("home"))  # worked out (in-process tasks)
    hours(project, WorkerFactory(sales_rate=D("100")), "3")
    moment[0] += datetime.timedelta(minutes=11)
    with override_settings(TASKS=DATABASE_TASKS):
        for _view in range(3):
            with django_assert_max_num_queries(40) as seen:
                html = client.get(reverse("home")).content.decode()
            read = [query["sql"] for query in seen.captured_queries]
            assert not any("invoicing_transactionallocation" in sql for sql in read)
            assert "being updated" in html and "FIG-A" not in html
        [queued] = DBTaskResult.objects.all()
        assert queued.task_path.endswith("billable_figures_refresh_task")
        # A worker runs it: the next view shows the new figures, no longer marked.
        tasks.billable_figures_refresh_task.call(*queued.args_kwargs["args"])
        html = client.get(reverse("home")).content.decode()
    assert "FIG-A" in html and "being updated" not in html


def test_with_workers_and_no_figures_yet_the_dashboard_says_they_are_being_worked_out(
    client, two_contracts, people
):
    client.force_login(people["clerk"])
    with override_settings(TASKS=DATABASE_TASKS):
        html = client.get(reverse("home")).content.decode()
    assert "The figures are being worked out" in html
    assert "Nothing is billable now." not in html
    tile = html.split("Contracts with billable work")[1].split("</a>")[0]
    assert ">0<" not in tile and "…" in tile  # not a count of none before it is known
