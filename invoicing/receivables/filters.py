"""Filters of the receivables list: which customer (typed: a big installation has thousands),
which currency, all unpaid or only the overdue ones (``?overdue=1`` links keep working)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.currencies import currency_choices
from contracts.filters import StyledFilterSet, TextSearchFilter
from invoicing.invoices.models import Invoice
from invoicing.receivables import selectors


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
        # The queryset is ``selectors.receivables``: ``selectors.overdue`` says which are overdue.
        if not value:
            return queryset
        return selectors.overdue_only(queryset, today=timezone.localdate())
