"""The allocation engine explains itself in parts (kind and parameters), which the simulator
writes in its reader's language (issue 16, item 1)."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from funding.allocation import EXPLANATION_TEXTS
from funding.explanations import EXPLANATION_MESSAGES
from tests.funding.test_services import f1_contract
from tests.test_language_leaks import html_text, leaks


def test_every_part_of_an_explanation_is_a_message_of_the_catalogue():
    """The engine's English texts and the msgids are the same, kind for kind."""
    with translation.override("en"):
        assert {kind: str(text) for kind, text in EXPLANATION_MESSAGES.items()} == (
            EXPLANATION_TEXTS
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words", "figures"),
    [
        ("sv", "nedskalad till", ("3\xa0750,00", "5\xa0000,00")),
        ("da", "nedskaleret til", ("3.750,00", "5.000,00")),
    ],
)
def test_the_simulator_explains_in_the_readers_language(
    client, user_with_role, language, words, figures
):
    contract, _sources = f1_contract()
    client.force_login(user_with_role("read_only"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(
        reverse("funding:simulate", args=[contract.pk]),
        {"amount": "5000.00", "date": "2026-03-01", "kind": "hour"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert words in html
    assert all(figure in html for figure in figures)
    assert leaks(html_text(response.content), language) == []
