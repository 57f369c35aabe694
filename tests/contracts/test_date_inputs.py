"""Dates as the page's language writes them (issue 16, item 3), not as the browser's operating
system does: sv and en 2026-12-31, da 31.12.2026; ISO read in every language."""

import datetime

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation

from contracts.date_inputs import DatePickerInput, date_clean
from contracts.forms import DATE_INPUT, BootstrapFormMixin

DAY = datetime.date(2026, 3, 9)


class _Form(BootstrapFormMixin, forms.Form):
    day = forms.DateField(widget=DATE_INPUT)


@pytest.mark.parametrize(
    ("language", "shown", "picker_format"),
    [
        ("sv", "2026-03-09", "yyyy-MM-dd"),
        ("da", "09.03.2026", "dd.MM.yyyy"),
        ("en", "2026-03-09", "yyyy-MM-dd"),
    ],
)
def test_the_input_shows_the_date_as_the_language_writes_it(language, shown, picker_format):
    with translation.override(language):
        html = str(_Form(initial={"day": DAY})["day"])
    assert 'type="text"' in html  # not the browser's own date input and its locale
    assert f'value="{shown}"' in html
    assert f'data-date-format="{picker_format}"' in html
    assert "data-datepicker" in html


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("sv", "2026-03-09"),
        ("sv", "20260309"),
        ("da", "09.03.2026"),
        ("da", "9.3.2026"),
        ("da", "09-03-2026"),
        ("da", "2026-03-09"),  # ISO in every language
        ("en", "2026-03-09"),
    ],
)
def test_the_language_formats_and_iso_are_read(language, typed):
    with translation.override(language):
        form = _Form({"day": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == DAY


def test_a_swedish_page_does_not_read_an_american_date():
    """Django's own Swedish formats read 03/09/2026 as 9 March; a Swedish clerk never means
    that, so it is refused rather than booked on the wrong day."""
    with translation.override("sv"):
        assert not _Form({"day": "03/09/2026"}).is_valid()


def test_a_date_outside_a_form_is_refused_with_an_example():
    with translation.override("da"):
        assert date_clean("9.3.2026") == DAY
        with pytest.raises(forms.ValidationError) as refused:
            date_clean("2026-13-40")
        assert refused.value.messages == ["Angiv en dato, for eksempel 31.12.2026."]


def test_the_template_tag_writes_the_same_input_with_today_as_default():
    template = Template(
        '{% load form_inputs %}{% date_input "paid_on" today=True id="id_paid_on" required=True aria_label="Paid" %}'
    )
    with translation.override("da"):
        html = template.render(Context())
    assert f'value="{timezone.localdate():%d.%m.%Y}"' in html
    assert 'id="id_paid_on"' in html and "required" in html and 'aria-label="Paid"' in html
    assert DatePickerInput().render("x", None).count("data-datepicker") == 1
