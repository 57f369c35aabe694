"""Search, filters and sorting of the contract list."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.currencies import CURRENCY_CHOICES
from contracts.models import ContractStatus, Customer, LegalEntity, ProjectContract


class ContractFilter(django_filters.FilterSet):
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
        choices=CURRENCY_CHOICES, label=_("Currency"), empty_label=_("All")
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

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            field.widget.attrs.setdefault("class", "form-select")
        return form

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
