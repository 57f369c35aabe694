"""A proposal line is shown in its reader's language wherever it is shown (issue 16): its page
(the text to edit, the question before removing it), the admin, the API. A text the clerk types
over a generated one is hers: shown and posted as typed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invoicing.proposals import drafts
from tests.invoicing.builders import D
from tests.invoicing.proposals.test_shares import capped_contract, expense, generate, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def part_billed(people):
    """A draft line billing 1,000.00 of a 1,500.00 expense over its cap, generated in English."""
    contract, project, category, _cap, _source = capped_contract("1000.00")
    expense(project, category, "1500.00")
    [proposal] = generate(contract, people).values()
    [line] = proposal.lines.all()
    assert line.description.endswith("part billed: 1,000.00 of 1,500.00")
    return proposal, line


def test_the_draft_page_offers_the_line_to_edit_in_the_readers_language(
    client, people, part_billed
):
    # Given a Swedish clerk on the draft
    proposal, line = part_billed
    client.force_login(people["clerk"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    # When she opens it
    page = client.get(proposal.get_absolute_url()).content.decode()

    # Then the text to edit and the question before removing it are Swedish
    swedish = "fakturerad del: 1\xa0000,00 av 1\xa0500,00"
    assert page.count(swedish) >= 2  # the line, the edit field, the question
    assert "part billed" not in page


def test_sending_the_text_back_as_shown_changes_nothing(client, people, part_billed):
    # Given the Swedish clerk's edit field, which shows the line in Swedish
    proposal, line = part_billed
    client.force_login(people["clerk"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    with translation.override("sv"):
        shown = line.text

    # When she saves the line without touching its text
    client.post(
        reverse("invoicing:proposal_lines", args=[proposal.pk]),
        {"operation": "edit", "line": line.pk, "description": shown},
    )

    # Then it is still the generated line, shown in each reader's language
    line.refresh_from_db()
    assert (line.description_kind, line.original_description) == ("part_billed", "")
    assert proposal.revision == type(proposal).objects.get(pk=proposal.pk).revision


def test_a_typed_text_replaces_the_generated_one_on_pages_and_on_the_invoice(people, part_billed):
    # Given the generated part-billed line
    proposal, line = part_billed

    # When the clerk types her own text
    drafts.proposal_line_description_change(
        proposal=proposal, line=line, description="Office chairs", actor=people["clerk"]
    )

    # Then every reader and the posted invoice see what she typed
    line.refresh_from_db()
    assert (line.text, line.description_kind) == ("Office chairs", "")
    invoice = post(proposal, people)
    assert invoice.lines.get().description == "Office chairs"


def test_the_admin_shows_the_line_in_the_readers_language(client, user_with_role, part_billed):
    proposal, _line = part_billed
    client.force_login(user_with_role("admin", is_staff=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    page = client.get(f"/admin/invoicing/invoiceproposal/{proposal.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "1.000,00 af 1.500,00" in text
    assert "part billed" not in text


def test_the_api_gives_the_line_in_the_requests_language_and_keeps_the_description(
    user_with_role, part_billed
):
    proposal, line = part_billed
    client = APIClient()
    user = user_with_role("finance_clerk")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = client.get(f"/api/v1/proposals/{proposal.pk}/", HTTP_ACCEPT_LANGUAGE="da")
    [data] = response.json()["lines"]
    assert data["description"] == line.description
    assert data["text"].endswith("1.000,00 af 1.500,00")
    assert D(data["amount"]) == D("1000.00")
