"""Inputs a template writes by hand (outside a Django form) that must still follow the page's
language: ``{% date_input "paid_on" today id="id_paid_on" class="form-control" required=True %}``."""

from __future__ import annotations

from django import template
from django.utils import timezone

from contracts.date_inputs import DatePickerInput

register = template.Library()


@register.simple_tag
def date_input(name, value=None, today=False, **attrs):
    """A date input (see ``contracts.date_inputs``) showing ``value``, or today's date with
    ``today=True``; underscores in attribute names become dashes (``aria_label`` ->
    ``aria-label``), and ``required=False`` leaves it out."""
    if today and not value:
        value = timezone.localdate()
    html_attrs = {
        key.replace("_", "-"): val for key, val in attrs.items() if val not in (None, False)
    }
    return DatePickerInput().render(name, value or None, html_attrs)
