"""Derived lines follow their base (issue 12, item 1): a rule's fee line and the prepayment
deduction are computed again from the draft's current lines whenever a line is added, removed
or repriced; a manual fee is left alone; what is posted is what the preview showed."""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoicing.invoices import posting
from invoicing.proposals import billing, drafts, generation, selectors, workflow
from invoicing.proposals.models import ProposalLine
from tests.factories import BillingRuleFactory, WorkerFactory
from tests.invoicing.builders import DAY, D, contract_with_customer, hours, total

pytestmark = pytest.mark.django_db


def e1_in_four_lines(people):
    """E1 recorded as four transactions: 50 + 60 + 40 + 50 = 200 h x 100.00 = 20,000.00, and a
    10 % management fee of 2,000.00 (22,000.00)."""
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(
        contract=contract, rule_type="fee", name="Management fee", fee_percent=D("10"),
        projects=[project],
    )  # fmt: skip
    worker = WorkerFactory(sales_rate=D("100.00"))
    for day, quantity in zip((2, 3, 4, 5), ("50", "60", "40", "50"), strict=True):
        hours(project, worker, quantity, date=datetime.date(2026, 3, day))
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    return proposal


def hour_lines(proposal):
    return list(proposal.lines.filter(line_type="transaction", kind="hour").order_by("pk"))


def rule_fee(proposal):
    return proposal.lines.get(line_type="fee", description__startswith="Management fee")


def test_e1_generated_in_four_lines(people):
    proposal = e1_in_four_lines(people)
    fee = rule_fee(proposal)
    assert fee.fee_rule.rule_type == "fee"  # the line knows the rule that made it
    assert fee.amount == D("2000.00")
    assert fee.description == "Management fee: 10 % of 20,000.00"
    assert total(proposal) == D("22000.00")


def test_fee_follows_a_price_change(people):
    """The regression of issue 12 ("Stale derived lines"): the fee stayed at 10 % of the old
    hour total after a price was raised."""
    proposal = e1_in_four_lines(people)
    line = hour_lines(proposal)[1]  # 60 h
    drafts.proposal_line_price_change(
        proposal=proposal, line=line, sales_price=D("120.00"), actor=people["clerk"]
    )
    # 50 x 100 + 60 x 120 + 40 x 100 + 50 x 100 = 21,200.00; the fee is 2,120.00.
    fee = rule_fee(proposal)
    assert fee.amount == D("2120.00")
    assert fee.description == "Management fee: 10 % of 21,200.00"
    assert total(proposal) == D("23320.00")
    proposal.refresh_from_db()
    assert proposal.revision == 1  # an approval sees the change


def test_fee_follows_a_removed_line(people):
    proposal = e1_in_four_lines(people)
    drafts.proposal_line_remove(
        proposal=proposal, line=hour_lines(proposal)[2], actor=people["clerk"]
    )  # 40 h
    fee = rule_fee(proposal)
    assert fee.amount == D("1600.00")  # 10 % of 16,000.00
    assert fee.description == "Management fee: 10 % of 16,000.00"
    assert total(proposal) == D("17600.00")


def test_fee_line_is_gone_when_no_hours_are_left(people):
    proposal = e1_in_four_lines(people)
    for line in hour_lines(proposal):
        drafts.proposal_line_remove(proposal=proposal, line=line, actor=people["clerk"])
    assert not proposal.lines.exists()
    assert total(proposal) == 0


def test_a_manual_fee_is_left_alone(people):
    proposal = e1_in_four_lines(people)
    manual = drafts.proposal_fee_add(
        proposal=proposal, description="Travel time", amount=D("450"), actor=people["clerk"]
    )
    assert manual.fee_rule is None
    drafts.proposal_line_price_change(
        proposal=proposal, line=hour_lines(proposal)[0], sales_price=D("80"), actor=people["clerk"]
    )  # 50 x 80 = 4,000.00: hours 19,000.00
    drafts.proposal_line_remove(
        proposal=proposal, line=hour_lines(proposal)[0], actor=people["clerk"]
    )  # 60 h: hours 13,000.00
    manual.refresh_from_db()
    assert (manual.description, manual.amount) == ("Travel time", D("450.00"))
    assert rule_fee(proposal).amount == D("1300.00")
    assert total(proposal) == D("14750.00")  # 13,000 + 1,300 + 450


def test_posting_after_an_edit_posts_the_recomputed_fee(people):
    proposal = e1_in_four_lines(people)
    drafts.proposal_line_price_change(
        proposal=proposal, line=hour_lines(proposal)[1], sales_price=D("120.00"), actor=people["clerk"]
    )  # fmt: skip
    preview = selectors.proposal_summary(proposal=proposal)
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    invoice = posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )
    assert invoice.lines.get(line_type="fee").amount == D("2120.00")
    assert (invoice.net_total, invoice.gross_total) == (preview["net"], preview["gross"])
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        D("23320.00"),
        D("5830.00"),
        D("29150.00"),
    )


def test_the_page_shows_the_original_and_the_changed_price(client, people):
    proposal = e1_in_four_lines(people)
    drafts.proposal_line_price_change(
        proposal=proposal, line=hour_lines(proposal)[1], sales_price=D("120.00"), actor=people["clerk"]
    )  # fmt: skip
    # A second change still compares with the price the proposal was made with.
    drafts.proposal_line_price_change(
        proposal=proposal, line=hour_lines(proposal)[-1], sales_price=D("125.00"), actor=people["clerk"]
    )  # fmt: skip
    changed = proposal.lines.get(transaction__quantity=D("60"))
    assert changed.original_sales_price == D("100.00")
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    client.force_login(people["approver"])
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert "was 100.00, now 125.00" in html
    assert "Management fee: 10 % of 21,500.00" in html  # 50 + 60 x 125 + 40 + 50 h at 100
    assert html.count("was 100.00") == 1  # the lines that kept their price say nothing


# --------------------------------------------------------------------------------------------
# Property: whatever is removed or repriced, the rule's fee is fee_line(current hours)
# --------------------------------------------------------------------------------------------

EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("remove"), st.integers(0, 3)),
        st.tuples(
            st.just("price"),
            st.integers(0, 3),
            st.decimals(min_value=0, max_value=500, places=2, allow_nan=False),
        ),
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture
def e1_draft(people):
    return e1_in_four_lines(people), people["clerk"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=EDITS)
def test_the_rule_fee_always_equals_the_fee_on_the_current_hours(e1_draft, edits):
    proposal, clerk = e1_draft
    with transaction.atomic():  # each example starts from the generated draft
        for edit in edits:
            lines = hour_lines(proposal)
            if not lines:
                break
            line = lines[edit[1] % len(lines)]
            if edit[0] == "remove":
                drafts.proposal_line_remove(proposal=proposal, line=line, actor=clerk)
            else:
                drafts.proposal_line_price_change(
                    proposal=proposal, line=line, sales_price=edit[2], actor=clerk
                )
            base = sum((line.amount for line in hour_lines(proposal)), D("0"))
            fees = list(ProposalLine.objects.filter(proposal=proposal, fee_rule__isnull=False))
            if base:
                expected = billing.fee_line(base_amount=base, fee_percent=D("10"), currency="SEK")
                assert [fee.amount for fee in fees] == [expected.amount]
                assert fees[0].description.endswith(f"of {base:,.2f}")
            else:
                assert fees == []
            assert total(proposal) == base + sum((fee.amount for fee in fees), D("0"))
        transaction.set_rollback(True)


def test_the_prepayment_deduction_follows_the_hours(people):
    """Prepayment 5,000.00 posted; 3 x 1,000.00 of hours deduct 3,000.00 (total 0.00). Removing
    one line deducts 2,000.00; raising a price to 300.00 deducts what the hours then come to,
    never more than is left of the prepayment."""
    from tests.invoicing.proposals.test_generation import mark_posted, prepayment

    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    prepayment(project, "5000")
    [prepaid] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    mark_posted(prepaid, people)
    worker = WorkerFactory(sales_rate=D("100"))
    for day in (2, 3, 4):
        hours(project, worker, "10", date=datetime.date(2026, 3, day))
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert proposal.lines.get(line_type="deduction").amount == D("-3000.00")
    drafts.proposal_line_remove(
        proposal=proposal, line=hour_lines(proposal)[0], actor=people["clerk"]
    )
    assert proposal.lines.get(line_type="deduction").amount == D("-2000.00")
    assert total(proposal) == D("0.00")
    drafts.proposal_line_price_change(
        proposal=proposal, line=hour_lines(proposal)[0], sales_price=D("300"), actor=people["clerk"]
    )  # 3,000.00 + 1,000.00 of hours; 5,000.00 left to deduct
    assert proposal.lines.get(line_type="deduction").amount == D("-4000.00")
    assert total(proposal) == D("0.00")
