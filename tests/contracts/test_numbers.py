"""Numbers as people type them (issue 16, item 3): each language's own format and the plain one,
read strictly so that a misplaced separator is refused rather than read as another amount."""

from decimal import Decimal as D

import pytest
from django import forms
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from contracts.forms import BootstrapFormMixin
from contracts.number_fields import NumberField, NumberInput, number_display
from contracts.numbers import number_parse


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("sv", "1 234,50", D("1234.50")),
        ("sv", "1\u00a0234,50", D("1234.50")),  # what Swedish formatting prints
        ("sv", "1\u202f234,50", D("1234.50")),  # narrow no-break space (Babel, CLDR)
        ("sv", "1234,5", D("1234.5")),
        ("sv", "1234.50", D("1234.50")),  # plain
        ("sv", "1.234", D("1.234")),  # Swedish does not group with a point
        ("sv", "\u22125,50", D("-5.50")),  # a typographic minus
        ("da", "1.234,50", D("1234.50")),
        ("da", "1.234.567,8", D("1234567.8")),
        ("da", "1.234", D("1234")),  # Danish grouping wins over the plain reading
        ("da", "1234.50", D("1234.50")),  # plain: two decimals cannot be a group
        ("da", "0,25", D("0.25")),
        ("en", "1,234.50", D("1234.50")),
        ("en", "1,000", D("1000")),
        ("en", "1234.50", D("1234.50")),
        ("en", "-1,000.5", D("-1000.5")),
        ("en", ".5", D("0.5")),
        ("en-gb", "1,234.50", D("1234.50")),
        (None, "12.5", D("12.5")),
    ],
)
def test_number_parse_reads_the_language_and_the_plain_format(language, text, expected):
    assert number_parse(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "1,5"),  # a Swedish 1.5 typed on an English page is not read as 15
        ("en", "1.234,50"),
        ("en", "1 000,50"),
        ("sv", "1,234.50"),
        ("da", "1,234.50"),
        ("sv", "12 34"),  # groups are three digits
        ("da", "1.23,4"),
        ("sv", "abc"),
        ("sv", ""),
        ("en", "1e5"),
        ("en", "NaN"),
        ("en", "Infinity"),
        ("sv", "1,2,3"),
    ],
)
def test_number_parse_refuses_what_is_not_a_number_in_that_language(language, text):
    with pytest.raises(ValueError):
        number_parse(text, language)


@given(
    amount=st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    language=st.sampled_from(["sv", "da", "en"]),
)
def test_what_the_page_shows_reads_back_as_the_same_number(amount, language):
    """Every amount an input shows in a language is read back to itself in that language."""
    with translation.override(language):
        assert number_parse(number_display(amount), language) == amount


class _Form(BootstrapFormMixin, forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)


@pytest.mark.parametrize(
    ("language", "text"), [("sv", "1 000,50"), ("da", "1.000,50"), ("en", "1,000.50")]
)
def test_every_decimal_field_of_a_form_reads_the_language(language, text):
    with translation.override(language):
        form = _Form({"amount": text})
        assert isinstance(form.fields["amount"], NumberField)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["amount"] == D("1000.50")


def test_a_refused_number_says_how_to_write_it_and_keeps_what_was_typed():
    with translation.override("sv"):
        form = _Form({"amount": "1,000.50"})
        assert not form.is_valid()
        assert form.errors["amount"] == ["Ange ett tal, till exempel 1 234,50."]
        assert 'value="1,000.50"' in str(form["amount"])
    with translation.override("da"):
        form = _Form({"amount": "1,000.50"})
        assert form.errors["amount"] == ["Angiv et tal, for eksempel 1.234,50."]


def test_the_field_keeps_its_limits_and_digits():
    with translation.override("en"):
        assert _Form({"amount": "-1"}).errors["amount"]
        assert _Form({"amount": "1.234"}).errors["amount"]  # three decimals on a money field
        assert _Form({"amount": "1,000,000,000,000.00"}).errors["amount"]


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("sv", D("1234.50"), "1\u00a0234,50"),
        ("da", D("1234.50"), "1.234,50"),
        ("en", D("1234.50"), "1,234.50"),
        ("en", D("7.5000"), "7.50"),
        ("en", D("0.1250"), "0.125"),
        ("en", D("10"), "10"),
    ],
)
def test_the_input_shows_the_number_as_the_language_writes_it(language, value, shown):
    with translation.override(language):
        html = NumberInput().render("amount", value)
    assert f'value="{shown}"' in html
    assert 'inputmode="decimal"' in html
    assert 'type="text"' in html
