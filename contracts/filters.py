"""Search, filters and sorting of the contract and milestone lists."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from contracts import identifiers
from contracts.currencies import currency_choices
from contracts.date_inputs import DatePickerInput
from contracts.models import (
    ContractStatus,
    Customer,
    ExchangeRate,
    LegalEntity,
    Milestone,
    MilestoneStatus,
    ProjectContract,
)
from contracts.typeahead import TypeaheadSelect, choices_matching


class TextSearchFilter(django_filters.CharFilter):
    """Rows whose related object matches typed text (part of any of ``fields``), in place of a
    drop-down of every object: with a thousand contracts and two funders each, such lists are
    thousands of options, and rendering them took more time than the rest of the page."""

    def __init__(self, *, fields: list[str], placeholder=None, **kwargs):
        self.search_fields = fields
        super().__init__(**kwargs)
        if placeholder:
            self.extra.setdefault("widget", forms.TextInput(attrs={"placeholder": placeholder}))

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return qs.filter(query)


class StyledFilterSet(django_filters.FilterSet):
    """A filter form with Bootstrap's classes on its widgets (lists share the look)."""

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
        return form


class ContractFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=ContractStatus.choices, label=_("Status"), empty_label=_("All")
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.order_by("name"), label=_("Customer"), empty_label=_("All")
    )
    legal_entity = django_filters.ModelChoiceFilter(
        queryset=LegalEntity.objects.order_by("name"), label=_("Legal entity"), empty_label=_("All")
    )
    currency = django_filters.ChoiceFilter(
        choices=currency_choices, label=_("Currency"), empty_label=_("All")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("code", "code"),
            ("name", "name"),
            ("customer__name", "customer"),
            ("status", "status"),
            ("contract_value", "value"),
            ("start_date", "start"),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = ProjectContract
        fields = ["q", "status", "customer", "legal_entity", "currency"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value)
            | Q(name__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(customer_reference__icontains=value)
        )


class CustomerFilter(StyledFilterSet):
    """The customer list's search (code, name, VAT number, Peppol identifier, e-mail, city) and
    sorting; the invoicing page adds what the customers owe."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    country = django_filters.ChoiceFilter(
        choices=lambda: _countries_in_use(),
        label=_("Country"),
        empty_label=_("All"),
    )
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("city", "city"), ("country", "country")),
        label=_("Sort by"),
    )

    class Meta:
        model = Customer
        fields = ["q", "country"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        compact = identifiers.compact(value)
        query = (
            Q(code__icontains=value)
            | Q(name__icontains=value)
            | Q(email__icontains=value)
            | Q(city__icontains=value)
        )
        if compact:
            query |= Q(vat_number__icontains=compact) | Q(peppol_identifier__icontains=compact)
        return queryset.filter(query)


def _countries_in_use() -> list[tuple[str, str]]:
    """The countries customers are in, by name in the active language (one query)."""
    used = set(Customer.objects.order_by().values_list("country", flat=True).distinct())
    return [(code, name) for code, name in countries if code in used]


class MilestoneDue(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    THIS_MONTH = "this_month", _("Due this month")
    OPEN = "open", _("Not yet completed")


class MilestoneFilter(StyledFilterSet):
    """The milestones behind the dashboard's figures, across contracts."""

    due = django_filters.ChoiceFilter(
        choices=MilestoneDue.choices, label=_("Due"), empty_label=_("All"), method="filter_due"
    )
    status = django_filters.ChoiceFilter(
        choices=MilestoneStatus.choices, label=_("Status"), empty_label=_("All")
    )
    contract = django_filters.ModelChoiceFilter(
        queryset=ProjectContract.objects.order_by("code"),
        label=_("Contract"),
        empty_label=_("All"),
        widget=TypeaheadSelect(reverse_lazy("contracts:milestone_contract_choices")),
    )

    class Meta:
        model = Milestone
        fields = ["due", "status", "contract"]

    def filter_due(self, queryset, name, value):
        today = timezone.localdate()
        planned = queryset.filter(status=MilestoneStatus.PLANNED)
        if value == MilestoneDue.OVERDUE:
            return planned.filter(due_date__lt=today)
        if value == MilestoneDue.THIS_MONTH:
            month_start = today.replace(day=1)
            month_end = (month_start + datetime.timedelta(days=32)).replace(day=1)
            return planned.filter(due_date__gte=month_start, due_date__lt=month_end)
        if value == MilestoneDue.OPEN:
            return planned
        return queryset


class ExchangeRateFilter(StyledFilterSet):
    currency = django_filters.ChoiceFilter(
        choices=currency_choices, label=_("Currency"), empty_label=_("All")
    )
    quote_currency = django_filters.ChoiceFilter(
        choices=currency_choices, label=_("In currency"), empty_label=_("All")
    )
    rate_date = django_filters.DateFilter(
        field_name="rate_date",
        lookup_expr="lte",
        label=_("On or before"),
        widget=DatePickerInput(),
    )

    class Meta:
        model = ExchangeRate
        fields = ["currency", "quote_currency", "rate_date"]


def milestone_contract_choices(text: str) -> list[dict]:
    """The contracts the milestone list's type-ahead offers for ``text`` (one query)."""
    field = MilestoneFilter.base_filters["contract"].field
    return [
        {"pk": row.pk, "label": field.label_from_instance(row)}
        for row in choices_matching(
            MilestoneFilter.base_filters["contract"].queryset, text, fields=("code", "name")
        )
    ]
