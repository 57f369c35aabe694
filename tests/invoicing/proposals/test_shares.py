"""Shares, not transactions, are billed: each funder's share of a transaction goes its own way
(proposed, posted, cancelled, credited) and the transaction's status is derived from all of
them; a share that crosses a not-to-exceed cap is split at the cap."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from funding.models import FundingRule
from invoicing import control
from invoicing.invoices import credits, posting
from invoicing.proposals import billable, drafts, generation, workflow
from invoicing.proposals.shares import share_figures_by_funder
from invoicing.transactions import services
from invoicing.transactions.billing_state import ShareFigures, billing_status_derive
from invoicing.transactions.models import ProjectTransaction
from tests.factories import (
    BillingRuleFactory,
    CategoryFactory,
    FundingRuleLineFactory,
    FundingSourceFactory,
    WorkerFactory,
)
from tests.funding.test_allocation import examples
from tests.invoicing.builders import DAY, D, contract_with_customer, hours, total


def status(record) -> str:
    record.refresh_from_db()
    return record.billing_status


def post(proposal, people):
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    return posting.invoice_post(proposal=proposal, actor=people["clerk"])


def generate(contract, people, up_to_date=DAY):
    proposals = generation.proposals_generate(
        contract=contract, up_to_date=up_to_date, actor=people["clerk"]
    )
    return {proposal.funding_source.name: proposal for proposal in proposals}


def figures(contract, source) -> ShareFigures:
    return share_figures_by_funder(contract=contract).get(source.pk, ShareFigures())


@pytest.fixture
def sixty_forty(db):
    """One transaction of 1,000.00, 60 % paid by the customer and 40 % by a grant."""
    contract, project, customer = contract_with_customer()
    grant = FundingSourceFactory(contract=contract, name="Grant", source_type="grant")
    FundingRule.objects.filter(contract=contract).update(priority=2)  # the customer pays the rest
    FundingRuleLineFactory(rule__contract=contract, rule__priority=1, source=grant, percentage=40)
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    record = hours(project, WorkerFactory(sales_rate=D("100")), "10")
    return contract, record, customer, grant


@pytest.mark.django_db
def test_a_cancelled_funders_share_is_proposed_again_after_the_other_is_posted(sixty_forty, people):
    # Given a transaction 60/40 with one draft per funder
    contract, record, customer, grant = sixty_forty
    drafts = generate(contract, people)
    assert {name: total(p) for name, p in drafts.items()} == {
        "Customer": D("600.00"),
        "Grant": D("400.00"),
    }
    assert status(record) == "in_proposal"

    # When the customer's is posted and the grant's draft cancelled
    post(drafts["Customer"], people)
    assert status(record) == "partly_invoiced"
    workflow.proposal_cancel(proposal=drafts["Grant"], actor=people["clerk"])

    # Then the grant's share is still to bill, and is proposed again
    assert status(record) == "partly_invoiced"
    assert figures(contract, grant) == ShareFigures(amount=D("400.00"))
    again = generate(contract, people)
    assert list(again) == ["Grant"]
    assert total(again["Grant"]) == D("400.00")
    assert status(record) == "partly_invoiced"
    post(again["Grant"], people)
    assert status(record) == "invoiced"
    assert figures(contract, customer) == ShareFigures(D("600.00"), invoiced=D("600.00"))
    assert figures(contract, grant) == ShareFigures(D("400.00"), invoiced=D("400.00"))
    assert figures(contract, grant).uninvoiced == 0


@pytest.mark.django_db
def test_crediting_one_funders_share_to_bill_it_again_frees_only_that_share(sixty_forty, people):
    # Given both shares posted
    contract, record, customer, grant = sixty_forty
    invoices = {name: post(p, people) for name, p in generate(contract, people).items()}
    assert status(record) == "invoiced"

    # When the grant's invoice is credited in full, to be billed again
    grant_invoice = invoices["Grant"]
    [line] = grant_invoice.lines.filter(line_type="transaction")
    credit = credits.credit_proposal_create(
        invoice=grant_invoice, amounts={line.pk: None}, reason="Wrong period", rebill=True,
        actor=people["clerk"],
    )  # fmt: skip
    assert credit.lines.get(credited_line=line).allocation.source == grant
    post(credit, people)

    # Then only the grant's 400.00 is billable again, and the figures add up per funder
    assert status(record) == "partly_invoiced"
    grant_figures = figures(contract, grant)
    assert grant_figures == ShareFigures(
        D("400.00"), invoiced=D("400.00"), credited=D("400.00"), freed=D("400.00")
    )
    assert (grant_figures.uninvoiced, grant_figures.billable) == (D("400.00"), D("400.00"))
    again = generate(contract, people)
    assert {name: total(p) for name, p in again.items()} == {"Grant": D("400.00")}
    post(again["Grant"], people)
    assert status(record) == "invoiced"


@pytest.mark.django_db
def test_a_share_credited_without_billing_it_again_is_closed(sixty_forty, people):
    contract, record, customer, grant = sixty_forty
    invoices = {name: post(p, people) for name, p in generate(contract, people).items()}
    for invoice in invoices.values():
        [line] = invoice.lines.filter(line_type="transaction")
        post(
            credits.credit_proposal_create(
                invoice=invoice, amounts={line.pk: None}, reason="Waived", rebill=False,
                actor=people["clerk"],
            ),
            people,
        )  # fmt: skip
    assert status(record) == "credited"
    closed = figures(contract, customer)
    assert closed == ShareFigures(D("600.00"), invoiced=D("600.00"), credited=D("600.00"))
    assert (closed.uninvoiced, closed.closed, closed.billable) == (D("600.00"), D("600.00"), 0)
    with pytest.raises(generation.NothingToBill):
        generate(contract, people)


def test_billing_status_is_derived_from_the_shares():
    share = ShareFigures(amount=D("100.00"))
    assert billing_status_derive(share) == "uninvoiced"
    assert billing_status_derive(ShareFigures(D("100"), in_proposal=D("100"))) == "in_proposal"
    assert billing_status_derive(ShareFigures(D("100"), invoiced=D("60"))) == "partly_invoiced"
    assert (
        billing_status_derive(ShareFigures(D("100"), in_proposal=D("40"), invoiced=D("60")))
        == "partly_invoiced"
    )
    assert billing_status_derive(ShareFigures(D("100"), invoiced=D("100"))) == "invoiced"
    # a partial credit that is not billed again leaves the rest invoiced
    assert (
        billing_status_derive(ShareFigures(D("100"), invoiced=D("100"), credited=D("20")))
        == "invoiced"
    )
    # the same credit, freed to be billed again, leaves 20.00 to bill
    assert (
        billing_status_derive(
            ShareFigures(D("100"), invoiced=D("100"), credited=D("20"), freed=D("20"))
        )
        == "partly_invoiced"
    )
    credited = ShareFigures(D("100"), invoiced=D("100"), credited=D("100"))
    assert billing_status_derive(credited) == "credited"
    freed = ShareFigures(D("100"), invoiced=D("100"), credited=D("100"), freed=D("100"))
    assert billing_status_derive(freed) == "uninvoiced"


# --------------------------------------------------------------------------------------------
# Not-to-exceed caps
# --------------------------------------------------------------------------------------------


def capped_contract(cap: str):
    contract, project, source = contract_with_customer()
    category = CategoryFactory(code="OFFICE", kind="expense")
    rule = BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    cap_row = rule.caps.create(category=category, amount=D(cap))
    return contract, project, category, cap_row, source


def expense(project, category, amount: str, day: int = 1):
    record = ProjectTransaction(
        kind="expense", date=datetime.date(2026, 3, day), project=project, category=category,
        quantity=D("1"), cost_price=D(amount), sales_price=D(amount), currency="",
    )  # fmt: skip
    return services.transaction_record(record=record, actor=None)


def preview(contract):
    [row] = billable.billable_preview(contracts=[contract], up_to_date=DAY)
    return row


@pytest.mark.django_db
def test_one_expense_larger_than_the_cap_bills_the_cap(people):
    # Given a cap of 1,000.00 and a single expense of 1,500.00
    contract, project, category, _cap, _source = capped_contract("1000.00")
    record = expense(project, category, "1500.00")
    assert (preview(contract).total, preview(contract).over_cap) == (D("1000.00"), D("500.00"))

    # When the contract is billed
    [proposal] = generate(contract, people).values()

    # Then 1,000.00 of it is billed, the 500.00 over the cap stays to bill and is reported
    [line] = proposal.lines.all()
    assert (line.amount, line.allocation.amount, line.unit_price) == (
        D("1000.00"),
        D("1500.00"),
        None,
    )
    assert line.description.endswith("part billed: 1,000.00 of 1,500.00")
    assert (preview(contract).total, preview(contract).over_cap) == (0, D("500.00"))
    post(proposal, people)
    assert status(record) == "partly_invoiced"
    assert (preview(contract).total, preview(contract).over_cap) == (0, D("500.00"))
    with pytest.raises(generation.NothingToBill):
        generate(contract, people)


@pytest.mark.django_db
def test_raising_the_cap_bills_what_was_over_it(people):
    # Given 400.00, 500.00 and 300.00 against a cap of 1,000.00, billed and posted
    contract, project, category, cap, source = capped_contract("1000.00")
    records = [expense(project, category, amount, day) for day, amount in
               enumerate(("400.00", "500.00", "300.00"), start=1)]  # fmt: skip
    [first] = generate(contract, people).values()
    assert [line.amount for line in first.lines.order_by("pk")] == [
        D("400.00"),
        D("500.00"),
        D("100.00"),
    ]
    assert preview(contract).over_cap == D("200.00")

    # When the cap is raised to 1,150.00 while the first proposal is still a draft
    cap.amount = D("1150.00")
    cap.save()

    # Then the 200.00 waits for the draft's line on the same share (reported over the cap)
    assert (preview(contract).total, preview(contract).over_cap) == (0, D("200.00"))
    post(first, people)
    assert (preview(contract).total, preview(contract).over_cap) == (D("150.00"), D("50.00"))
    [second] = generate(contract, people).values()
    [line] = second.lines.all()
    assert (line.transaction_id, line.amount) == (records[2].pk, D("150.00"))
    assert line.description.endswith("part billed: 150.00 of 300.00")
    post(second, people)
    assert [status(record) for record in records] == ["invoiced", "invoiced", "partly_invoiced"]
    customer = figures(contract, source)
    assert customer == ShareFigures(D("1200.00"), invoiced=D("1150.00"))
    assert customer.uninvoiced == D("50.00")


@given(
    parts=st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=8),
    cap=st.integers(min_value=0, max_value=200_000),
    before=st.integers(min_value=0, max_value=100_000),
)
@examples(100)
def test_any_split_of_the_same_work_bills_the_same_within_the_cap(parts, cap, before):
    """However the same total is divided into shares, what is chosen is min(total, room) and
    what is over the cap is the rest, to the cent."""
    cent = D("0.01")
    category = 7
    shares = [
        generation.BillableShare(
            pk,
            part * cent,
            1,
            pk,
            "expense",
            1,
            None,
            category,
            D("1"),
            part * cent,
            part * cent,
            "",
            part * cent,
        )  # fmt: skip
        for pk, part in enumerate(parts, start=1)
    ]
    coverage = [({1}, set(), {category: cap * cent})]
    chosen, capped = generation.shares_choose(
        shares, coverage=coverage, billed_per_category={category: before * cent}
    )
    total_amount = sum(parts) * cent
    room = max(D("0"), (cap - before) * cent)
    assert sum(share.amount for share in chosen) == min(total_amount, room)
    assert sum(share.amount for share in capped) == total_amount - min(total_amount, room)
    assert all(share.amount > 0 for share in (*chosen, *capped))


@pytest.mark.django_db
def test_invoice_control_shows_each_funders_shares_and_the_partly_invoiced_rest(
    client, sixty_forty, people
):
    # Given the customer's 600.00 posted and the grant's 400.00 draft cancelled
    contract, record, customer, grant = sixty_forty
    drafts = generate(contract, people)
    post(drafts["Customer"], people)
    workflow.proposal_cancel(proposal=drafts["Grant"], actor=people["clerk"])

    # When invoice control is read
    summary = control.invoice_control(contract=contract)

    # Then the grant's share is uninvoiced, per funder and in the kind/category row
    assert summary.funders == [
        ("Customer", ShareFigures(D("600.00"), invoiced=D("600.00"))),
        ("Grant", ShareFigures(D("400.00"))),
    ]
    [row] = summary.rows
    assert (row.invoiced, row.in_proposal, row.uninvoiced) == (D("600.00"), 0, D("400.00"))
    client.force_login(people["clerk"])
    page = client.get(reverse("invoicing:invoice_control", args=[contract.pk])).content.decode()
    assert 'id="funders-shares"' in page
    listing = client.get(reverse("invoicing:transaction_list")).content.decode()
    assert "Partly invoiced" in listing


@pytest.mark.django_db
def test_the_migration_frees_shares_stranded_before_and_names_credited_shares(sixty_forty, people):
    # Given a share stranded by the old posting (transaction invoiced, grant's share never
    # billed) and a credit line made before credit lines named their share
    backfill = importlib.import_module("invoicing.migrations.0015_shares_backfill")
    contract, record, customer, grant = sixty_forty
    drafts = generate(contract, people)
    invoice = post(drafts["Customer"], people)
    workflow.proposal_cancel(proposal=drafts["Grant"], actor=people["clerk"])
    ProjectTransaction.objects.filter(pk=record.pk).update(billing_status="invoiced")
    [line] = invoice.lines.filter(line_type="transaction")
    credit = credits.credit_proposal_create(
        invoice=invoice, amounts={line.pk: D("100.00")}, reason="Discount", rebill=False,
        actor=people["clerk"],
    )  # fmt: skip
    credit.lines.update(allocation=None)

    # When the migration runs
    backfill.credit_lines_name_their_share(django_apps, None)
    backfill.statuses_from_shares(django_apps, None)

    # Then the credit names the customer's share and the grant's share can be billed again
    assert credit.lines.get().allocation.source == customer
    assert status(record) == "partly_invoiced"
    assert list(generate(contract, people)) == ["Grant"]


@pytest.mark.django_db
def test_a_hand_picked_share_is_split_at_the_cap_as_a_run_would(people):
    contract, project, category, _cap, _source = capped_contract("1000.00")
    first, second = expense(project, category, "800.00", 1), expense(project, category, "500.00", 2)
    picked = [record.allocations.get().pk for record in (first, second)]
    [proposal] = generation.proposal_create_manual(
        contract=contract, allocation_ids=picked, up_to_date=DAY, actor=people["clerk"]
    )
    assert [line.amount for line in proposal.lines.order_by("pk")] == [D("800.00"), D("200.00")]
    assert (status(first), status(second)) == ("in_proposal", "in_proposal")


@pytest.mark.django_db
def test_a_price_cannot_change_once_another_funders_share_is_invoiced(sixty_forty, people):
    # Given the customer's share posted and the grant's on a draft
    contract, record, customer, grant = sixty_forty
    proposals = generate(contract, people)
    post(proposals["Customer"], people)
    [line] = proposals["Grant"].lines.filter(line_type="transaction")

    # When the grant's line is repriced, it is refused and nothing changes
    with pytest.raises(ValidationError, match="Part of this transaction is invoiced already"):
        drafts.proposal_line_price_change(
            proposal=proposals["Grant"], line=line, sales_price=D("90"), actor=people["clerk"]
        )
    record.refresh_from_db()
    assert (record.sales_price, record.billing_status) == (D("100.0000"), "partly_invoiced")
    assert proposals["Grant"].lines.get(line_type="transaction").amount == D("400.00")


@pytest.mark.django_db
def test_the_transaction_list_shows_the_rest_of_a_partly_invoiced_transaction_as_work_in_progress(
    client, sixty_forty, people
):
    """One funder's share posted, the other's draft cancelled: the transaction is partly
    invoiced and the grant's 400.00 is still to bill (the card used to leave out every
    transaction not wholly uninvoiced)."""
    contract, record, customer, grant = sixty_forty
    drafts = generate(contract, people)
    post(drafts["Customer"], people)
    workflow.proposal_cancel(proposal=drafts["Grant"], actor=people["clerk"])

    client.force_login(people["clerk"])
    response = client.get(reverse("invoicing:transaction_list"), {"contract": contract.pk})

    assert response.status_code == 200
    assert [
        (row["source__name"], row["is_on_hold"], row["amount"])
        for row in response.context["work_in_progress"]
    ] == [("Grant", False, D("400.00"))]
    assert "Work in progress per funder (still to bill)" in response.content.decode()


@pytest.mark.django_db
def test_a_hand_picked_share_all_over_the_cap_is_refused_in_words(people):
    """Picked on a page shown before the cap's room was billed: refused, saying why (it used to
    say "Pick at least one line to bill." to a clerk who had picked one)."""
    contract, project, category, _cap, _source = capped_contract("1000.00")
    first = expense(project, category, "1000.00", 1)
    [proposal] = generate(contract, people).values()
    post(proposal, people)
    second = expense(project, category, "500.00", 2)

    with pytest.raises(ValidationError) as refused:
        generation.proposal_create_manual(
            contract=contract,
            allocation_ids=[second.allocations.get().pk],
            up_to_date=DAY,
            actor=people["clerk"],
        )

    assert refused.value.messages == [
        "None of the lines you picked can be billed now: they are over a not-to-exceed cap or "
        "already billed. Reload the page to see what is billable."
    ]
    assert (status(first), status(second)) == ("invoiced", "uninvoiced")
