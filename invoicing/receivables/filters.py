"""Filters of the receivables list: which customer (typed: a big installation has thousands),
which currency, all unpaid or only the overdue ones (``?overdue=1`` links keep working)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from contracts.currencies import currency_choices
from contracts.filters import StyledFilterSet, TextSearchFilter
from invoicing.invoices.models import Invoice


class ReceivableFilter(StyledFilterSet):
    customer = TextSearchFilter(
        fields=["customer__name", "customer__code"],
        label=_("Customer"),
        placeholder=_("Name or code"),
    )
    currency = django_filters.ChoiceFilter(
        choices=currency_choices, label=_("Currency"), empty_label=_("All")
    )
    overdue = django_filters.ChoiceFilter(
        choices=[("1", _("Only overdue"))],
        label=_("Due"),
        empty_label=_("All unpaid"),
        method="filter_overdue",
    )

    class Meta:
        model = Invoice
        fields = ["customer", "currency", "overdue"]

    def filter_overdue(self, queryset, name, value):
        # ``is_overdue`` is the annotation of ``selectors.receivables``: ``selectors.overdue``.
        return queryset.filter(is_overdue=True) if value else queryset
