"""Amount, price, quantity and percent fields that read and show numbers in the page's language
(sv ``1 234,50``, da ``1.234,50``, en ``1,234.50``, and plain ``1234.50`` everywhere).

The reading itself is :func:`contracts.numbers.number_parse`; this module puts it behind Django's
form field and widget, so every form gets it by declaring :class:`NumberField`, or, through
``BootstrapFormMixin``, simply by having a ``DecimalField``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core import validators
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from contracts.numbers import number_example, number_parse

NOT_A_NUMBER = _("Enter a number, for example %(example)s.")


def number_clean(text, message=NOT_A_NUMBER) -> Decimal:
    """What a clerk typed as a Decimal in the active language, or a ValidationError that shows
    how to write it (``message`` takes the language's example as ``%(example)s``)."""
    language = get_language()
    try:
        return number_parse(text, language)
    except ValueError as error:
        raise forms.ValidationError(
            message, code="invalid", params={"example": number_example(language)}
        ) from error


def number_display(value: Decimal) -> str:
    """``value`` in the active language's format for an input: grouped, with the decimals it
    has but no trailing zeros past the second (a quantity 7.5000 shows 7,50; 10 shows 10)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        value = value.normalize()
        if value.as_tuple().exponent > -2:
            value = value.quantize(Decimal("0.01"))
    return number_format(value, use_l10n=True, force_grouping=True)


class NumberInput(forms.TextInput):
    """A text input with the numeric keyboard on phones; shows a number as the language writes
    it, and what the user typed unchanged when the form comes back with an error."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return number_display(Decimal(value))
        return super().format_value(value)


class NumberField(forms.DecimalField):
    """A DecimalField that reads the language's format and the plain one (see module doc)."""

    widget = NumberInput
    default_error_messages = {"invalid": NOT_A_NUMBER}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return Decimal(value)
        return number_clean(value, self.error_messages["invalid"])


_BUILT_IN_VALIDATORS = (
    validators.MinValueValidator,
    validators.MaxValueValidator,
    validators.DecimalValidator,
    validators.StepValueValidator,
)


def number_field_like(field: forms.DecimalField) -> NumberField:
    """A NumberField with everything ``field`` was given: limits, digits, label, help, initial
    and any extra validators."""
    attrs = {k: v for k, v in field.widget.attrs.items() if k not in ("step", "min", "max")}
    return NumberField(
        max_value=field.max_value,
        min_value=field.min_value,
        max_digits=field.max_digits,
        decimal_places=field.decimal_places,
        step_size=field.step_size,
        required=field.required,
        label=field.label,
        initial=field.initial,
        help_text=field.help_text,
        disabled=field.disabled,
        show_hidden_initial=field.show_hidden_initial,
        widget=NumberInput(attrs),
        error_messages={k: v for k, v in field.error_messages.items() if k != "invalid"},
        validators=[v for v in field.validators if not isinstance(v, _BUILT_IN_VALIDATORS)],
    )
