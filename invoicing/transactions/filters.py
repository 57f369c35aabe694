"""Filters of the transaction list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from contracts.date_inputs import DatePickerInput
from contracts.filters import StyledFilterSet
from contracts.models import Category, Project, ProjectContract, TransactionKind, Worker
from invoicing.transactions.models import BillingStatus, ImportBatch, ProjectTransaction


class TransactionFilter(StyledFilterSet):
    contract = django_filters.ModelChoiceFilter(
        field_name="project__contract",
        queryset=ProjectContract.objects.order_by("code"),
        label=_("Contract"),
        empty_label=_("All"),
    )
    project = django_filters.ModelChoiceFilter(
        queryset=Project.objects.order_by("code"), label=_("Project"), empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        choices=TransactionKind.choices, label=_("Kind"), empty_label=_("All")
    )
    billing_status = django_filters.ChoiceFilter(
        choices=BillingStatus.choices, label=_("Status"), empty_label=_("All")
    )
    worker = django_filters.ModelChoiceFilter(
        queryset=Worker.objects.order_by("code"), label=_("Worker"), empty_label=_("All")
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.order_by("code"), label=_("Category"), empty_label=_("All")
    )
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))
    import_batch = django_filters.ModelChoiceFilter(
        queryset=ImportBatch.objects.all(), label=_("Import"), empty_label=_("All")
    )

    class Meta:
        model = ProjectTransaction
        fields = [
            "contract",
            "project",
            "kind",
            "billing_status",
            "category",
            "worker",
            "date_from",
            "date_to",
        ]

    @property
    def form(self):
        form = super().form
        for name, field in form.fields.items():
            if name.startswith("date_"):
                field.widget = DatePickerInput(field.widget.attrs)
        form.fields["import_batch"].widget = form.fields["import_batch"].hidden_widget()
        return form
