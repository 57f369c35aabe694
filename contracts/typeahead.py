"""Type-ahead choice among many rows (contracts, projects, workers...) for filter forms.

A ``<select>`` with every contract and project of a big installation renders thousands of
options on every page view. This widget renders only the chosen row: a hidden input carries its
id under the filter's name, a search box beside it asks an endpoint of the page (htmx) for the
rows matching what the reader types, and ``static/js/typeahead.js`` puts the one picked into
the hidden input and tells the form it changed. The endpoint answers with
``templates/includes/typeahead_options.html`` from ``choices_matching``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.html import format_html

CHOICES_SHOWN = 20


class TypeaheadSelect(forms.Select):
    """A ``ModelChoiceField``'s widget that looks its rows up as the reader types at ``url``.
    One query to show the chosen row's label, none for the others."""

    def __init__(self, url: str, attrs=None):
        super().__init__(attrs)
        self.url = url

    def chosen_label(self, value) -> str:
        if value in (None, ""):
            return ""
        queryset = getattr(self.choices, "queryset", None)
        field = getattr(self.choices, "field", None)
        if queryset is None or field is None:
            return ""
        try:
            chosen = queryset.filter(pk=value).first()
        except (ValueError, TypeError, ValidationError):
            return ""
        return field.label_from_instance(chosen) if chosen else ""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        value = "" if value is None else str(getattr(value, "pk", value))
        field = getattr(self.choices, "field", None)
        placeholder = getattr(field, "empty_label", None) or ""
        return format_html(
            '<div class="typeahead position-relative" data-typeahead>'
            '<input type="hidden" name="{name}" value="{value}" data-typeahead-value>'
            '<input type="search" id="{id}" class="form-control" value="{label}"'
            ' placeholder="{placeholder}" autocomplete="off" form="" name="q"'
            ' role="combobox" aria-autocomplete="list" aria-expanded="false"'
            ' hx-get="{url}" hx-trigger="focus, input changed delay:250ms" hx-sync="this:replace"'
            ' hx-target="next .typeahead-menu" hx-push-url="false" data-typeahead-search>'
            '<div class="typeahead-menu list-group position-absolute w-100 shadow-sm"'
            ' role="listbox"></div></div>',
            name=name,
            value=value,
            id=attrs.get("id", f"id_{name}"),
            label=self.chosen_label(value),
            placeholder=placeholder,
            url=self.url,
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name)


def choices_matching(queryset: QuerySet, text: str, *, fields: tuple[str, ...]) -> list:
    """The first ``CHOICES_SHOWN`` rows of ``queryset`` with ``text`` in any of ``fields``
    (case-insensitive; all of them when ``text`` is blank). One query."""
    text = text.strip()
    if text:
        query = Q()
        for name in fields:
            query |= Q(**{f"{name}__icontains": text})
        queryset = queryset.filter(query)
    return list(queryset[:CHOICES_SHOWN])
