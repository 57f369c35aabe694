"""Generated texts are data until they are shown (issue 16, item 1): a kind and parameters,
written in the reader's language with numbers its way."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from contracts.numbers import number_parse
from contracts.texts import (
    DeferredText,
    stored_form,
    text_in,
    text_of_stored,
    text_render,
    text_stored,
)
from invoicing.proposals import line_texts
from invoicing.transactions import timesheets


def test_a_fee_line_is_written_in_each_language_with_its_numbers():
    params = line_texts.generated(
        line_texts.FEE,
        rule="Förvaltningsavgift",
        percent=Decimal("10.00"),
        base=Decimal("25725.00"),
        currency="SEK",
    )["description_params"]
    assert text_in("en", "fee", params) == "Förvaltningsavgift: 10 % of 25,725.00"
    assert text_in("sv", "fee", params) == "Förvaltningsavgift: 10 % av 25\xa0725,00"
    assert text_in("da", "fee", params) == "Förvaltningsavgift: 10 % af 25.725,00"


def test_a_credit_line_names_the_credited_line_in_the_readers_language():
    retention = line_texts.generated(
        line_texts.RETENTION, percent=Decimal("5"), base=Decimal("33332.00"), currency="SEK"
    )
    credit = line_texts.generated(
        line_texts.CREDIT,
        line={"kind": retention["description_kind"], "params": retention["description_params"]},
    )
    text = text_in("da", credit["description_kind"], credit["description_params"])
    assert text == "Kredit: Tilbageholdelse 5 % af 33.332,00"


def test_a_typed_or_unknown_text_stays_as_it_was_stored():
    assert text_render("", {}, "Resa till Malmö") == "Resa till Malmö"
    assert text_render("no_longer_a_kind", {"x": 1}, "as stored") == "as stored"
    assert text_of_stored("Typed by hand") == "Typed by hand"


def test_a_history_reason_fits_its_column_and_reads_in_any_language():
    stored = text_stored(line_texts.LINE_REMOVED, line="x" * 300)
    assert len(stored) <= 100
    with translation.override("sv"):
        assert text_of_stored(stored).startswith("Borttagen: xxx")
    released = text_stored(
        line_texts.RETENTION_RELEASED, amount=Decimal("1666.60000000000"), currency="SEK"
    )
    with translation.override("sv"):
        assert text_of_stored(released).endswith("1\xa0666,60")


def test_an_import_error_made_in_english_is_shown_in_swedish():
    with translation.override("en"):
        message = timesheets._(
            "The description is %(length)s characters long; at most %(limit)s fit. Shorten it."
        ) % {"length": 1234, "limit": 500}
    # Text now (the API answers with it), and its msgid and parameters for later.
    assert isinstance(message, DeferredText)
    assert message == "The description is 1234 characters long; at most 500 fit. Shorten it."
    with translation.override("sv"):
        assert text_of_stored(stored_form(message)).startswith(
            "Beskrivningen är 1\xa0234 tecken lång; högst 500 får plats."
        )
    assert stored_form("plain") == "plain"


@pytest.mark.parametrize("language", ["en", "sv", "da"])
@given(amount=st.decimals(min_value=-(10**9), max_value=10**9, places=2))
def test_a_money_parameter_reads_back_as_the_same_amount(language, amount):
    """Whatever amount a text carries, the text shows that amount in the language's format."""
    params = line_texts.generated(
        line_texts.RETENTION, percent=Decimal("5"), base=amount, currency="SEK"
    )["description_params"]
    with translation.override(language):
        text = text_render("retention", params)
    shown = text.split(" % ", 1)[1].split(" ", 1)[1]  # "Retention 5 % of <amount>"
    assert number_parse(shown, language) == amount
