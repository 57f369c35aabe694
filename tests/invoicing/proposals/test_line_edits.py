"""A draft's lines: text, quantity and price changed by the clerk (each through its service,
all or nothing from the page); the approver sees the generated values next to the changed
ones; removing a line asks first."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from invoicing.proposals import drafts, workflow
from invoicing.proposals.models import ProposalLine
from tests.invoicing.builders import generated_e1

pytestmark = pytest.mark.django_db


def hour_line(proposal) -> ProposalLine:
    return proposal.lines.get(line_type="transaction")


def test_quantity_change_bills_the_new_quantity_and_keeps_the_generated_one(people):
    # Given E1's draft: 10 hours at 100.00
    proposal, record = generated_e1(people)

    # When the clerk bills 8 hours
    line = drafts.proposal_line_quantity_change(
        proposal=proposal, line=hour_line(proposal), quantity=D("8"), actor=people["clerk"]
    )

    # Then the line bills 800.00 and remembers the 10 generated hours
    assert (line.quantity, line.amount, line.original_quantity) == (D("8"), D("800.00"), D("10"))
    record.refresh_from_db()
    assert record.quantity == D("8")


def test_a_zero_quantity_is_refused_and_nothing_changes(people):
    proposal, _record = generated_e1(people)
    with pytest.raises(ValidationError, match="more than zero"):
        drafts.proposal_line_quantity_change(
            proposal=proposal, line=hour_line(proposal), quantity=D("0"), actor=people["clerk"]
        )
    assert hour_line(proposal).amount == D("1000.00")


def test_a_changed_text_survives_a_later_price_change(people):
    proposal, _record = generated_e1(people)
    generated = hour_line(proposal).description
    drafts.proposal_line_description_change(
        proposal=proposal, line=hour_line(proposal), description="Design work, March",
        actor=people["clerk"],
    )  # fmt: skip
    drafts.proposal_line_price_change(
        proposal=proposal, line=hour_line(proposal), sales_price=D("110"), actor=people["clerk"]
    )
    line = hour_line(proposal)
    assert (line.description, line.original_description) == ("Design work, March", generated)
    assert line.amount == D("1100.00")


def test_changing_the_text_back_forgets_the_original(people):
    proposal, _record = generated_e1(people)
    generated = hour_line(proposal).description
    for text in ("Other text", generated):
        drafts.proposal_line_description_change(
            proposal=proposal, line=hour_line(proposal), description=text, actor=people["clerk"]
        )
    assert hour_line(proposal).original_description == ""


def test_the_page_changes_all_three_at_once_in_swedish(client, people):
    proposal, _record = generated_e1(people)
    client.force_login(people["clerk"])
    url = reverse("invoicing:proposal_lines", args=[proposal.pk])
    client.cookies["django_language"] = "sv"
    client.post(url, {"operation": "edit", "line": hour_line(proposal).pk,
                      "description": "Konsulttimmar", "quantity": "7,5",
                      "sales_price": "1 200,00"})  # fmt: skip
    line = hour_line(proposal)
    assert (line.description, line.quantity, line.amount) == (
        "Konsulttimmar",
        D("7.5"),
        D("9000.00"),
    )


def test_a_refused_part_leaves_the_whole_line_as_it_was(client, people):
    proposal, _record = generated_e1(people)
    before = hour_line(proposal)
    client.force_login(people["clerk"])
    url = reverse("invoicing:proposal_lines", args=[proposal.pk])
    response = client.post(url, {"operation": "edit", "line": before.pk,
                                 "description": "New text", "quantity": "abc"}, follow=True)  # fmt: skip
    assert "Enter the quantity as a number" in response.content.decode()
    after = hour_line(proposal)
    assert (after.description, after.quantity) == (before.description, before.quantity)


def test_the_approver_sees_the_generated_values_next_to_the_changed_ones(client, people):
    proposal, _record = generated_e1(people)
    generated = hour_line(proposal).description
    drafts.proposal_line_description_change(
        proposal=proposal, line=hour_line(proposal), description="Design work",
        actor=people["clerk"],
    )  # fmt: skip
    drafts.proposal_line_quantity_change(
        proposal=proposal, line=hour_line(proposal), quantity=D("8"), actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    client.force_login(people["approver"])

    html = client.get(proposal.get_absolute_url()).content.decode()

    assert f"generated: {generated}" in html
    assert "was 10.00" in html


def test_removing_a_line_asks_first(client, people):
    proposal, _record = generated_e1(people)
    client.force_login(people["clerk"])
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert "from the proposal? Its work returns to uninvoiced." in html
