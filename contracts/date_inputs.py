"""Date fields in the page's language, not the browser's: sv and en 2026-12-31, da 31.12.2026.

A browser's own ``<input type="date">`` shows its operating system's format (12/31/2026 on an
American-configured laptop) while our pages print ISO or Danish dates. These inputs are text
inputs that show and read the language's formats (``config/formats/<lang>/formats.py``:
``DATE_INPUT_FORMATS``, the first is the one shown) with a calendar (the vendored
air-datepicker, ``static/js/date-inputs.js``) whose month and day names follow the page's
language. ISO dates are read in every language, so links and tests can always send them."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

NOT_A_DATE = _("Enter a date, for example %(example)s.")
_EXAMPLE = datetime.date(2026, 12, 31)
# strftime directives and the calendar's tokens for the same parts.
_PICKER_TOKENS = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%y": "yy"}


def date_input_format() -> str:
    """The strftime format dates are shown in for the active language."""
    return get_format("DATE_INPUT_FORMATS")[0]


def date_example() -> str:
    """A date as the active language writes it, for placeholders and error messages."""
    return _EXAMPLE.strftime(date_input_format())


def _picker_format(strftime_format: str) -> str:
    for directive, token in _PICKER_TOKENS.items():
        strftime_format = strftime_format.replace(directive, token)
    return strftime_format


def date_clean(text: str) -> datetime.date:
    """A date typed in the active language's formats (or ISO), or a ValidationError with an
    example, for views that read a date outside a form."""
    field = forms.DateField(error_messages={"invalid": NOT_A_DATE})
    try:
        return field.clean(text)
    except forms.ValidationError as error:
        raise forms.ValidationError(
            NOT_A_DATE, code="invalid", params={"example": date_example()}
        ) from error


class DatePickerInput(forms.DateInput):
    """A text input showing the date in the language's format, with the calendar attached."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "data-datepicker": "", **(attrs or {})})

    def get_context(self, name, value, attrs):
        # The language is the one active when the page renders, not when the form was defined.
        attrs = {
            "data-date-format": _picker_format(date_input_format()),
            "placeholder": date_example(),
            **(attrs or {}),
        }
        return super().get_context(name, value, attrs)
