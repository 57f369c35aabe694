"""Swedish, Danish and English: translated pages and amounts formatted per language."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from contracts.templatetags.billing_format import money, percent
from tests.factories import ProjectContractFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "1,234,567.50"), ("sv", "1\xa0234\xa0567,50"), ("da", "1.234.567,50")],
)
def test_amounts_are_formatted_per_language(language, expected):
    with translation.override(language):
        assert money(Decimal("1234567.5"), "SEK") == expected


def test_amounts_use_the_currency_decimals():
    with translation.override("en"):
        assert money(Decimal("1234.5"), "JPY") == "1,235"
        assert money(Decimal("1.2345"), "KWD") == "1.235"


def test_percent_drops_needless_decimals():
    with translation.override("sv"):
        assert percent(Decimal("25.00")) == "25 %"
        assert percent(Decimal("12.50")) == "12,50 %"


@pytest.mark.parametrize(
    ("language", "heading", "value"),
    [("sv", "Projektavtal", "100\xa0000,00"), ("da", "Projektkontrakter", "100.000,00")],
)
def test_contract_list_speaks_the_chosen_language(clerk_client, language, heading, value):
    ProjectContractFactory(contract_value=Decimal("100000"))
    clerk_client.post(reverse("set_language"), {"language": language, "next": "/"})
    html = clerk_client.get(reverse("contracts:contract_list")).content.decode()
    assert heading in html
    assert value in html


def test_validation_messages_are_translated(clerk_client):
    clerk_client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    ProjectContractFactory(code="K-1")
    from tests.contracts.test_views import contract_form_data

    response = clerk_client.post(
        reverse("contracts:contract_create"), contract_form_data(code="K-1")
    )
    assert "Koden används redan" in response.content.decode()
