"""Filters of the transaction list. Contract, project and worker are chosen by typing (a
big installation has thousands of each: see ``contracts/typeahead.py``)."""

import django_filters
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from contracts.date_inputs import DatePickerInput
from contracts.filters import StyledFilterSet
from contracts.models import Category, Project, ProjectContract, TransactionKind, Worker
from contracts.typeahead import TypeaheadSelect, choices_matching
from invoicing.transactions.models import BillingStatus, ImportBatch, ProjectTransaction


def contract_choice_filter(field_name: str = "contract") -> django_filters.ModelChoiceFilter:
    """A list's contract filter, chosen by typing: ``?contract=<id>`` links keep working (the
    proposal and invoice lists share it with this one)."""
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        queryset=ProjectContract.objects.order_by("code"),
        label=_("Contract"),
        empty_label=_("All"),
        widget=TypeaheadSelect(
            reverse_lazy("invoicing:transaction_filter_choices", args=["contract"])
        ),
    )


class TransactionFilter(StyledFilterSet):
    contract = contract_choice_filter("project__contract")
    project = django_filters.ModelChoiceFilter(
        queryset=Project.objects.order_by("code"),
        label=_("Project"),
        empty_label=_("All"),
        widget=TypeaheadSelect(
            reverse_lazy("invoicing:transaction_filter_choices", args=["project"])
        ),
    )
    kind = django_filters.ChoiceFilter(
        choices=TransactionKind.choices, label=_("Kind"), empty_label=_("All")
    )
    billing_status = django_filters.ChoiceFilter(
        choices=BillingStatus.choices, label=_("Status"), empty_label=_("All")
    )
    worker = django_filters.ModelChoiceFilter(
        queryset=Worker.objects.order_by("code"),
        label=_("Worker"),
        empty_label=_("All"),
        widget=TypeaheadSelect(
            reverse_lazy("invoicing:transaction_filter_choices", args=["worker"])
        ),
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


# The filters chosen by typing, and the fields a typed text is looked for in.
TYPEAHEAD_FIELDS = {
    "contract": ("code", "name"),
    "project": ("code", "name"),
    "worker": ("code", "name"),
}


def filter_choices(name: str, text: str) -> list[dict]:
    """The rows the type-ahead filter ``name`` offers for ``text``, with the label its widget
    shows (one query). ``KeyError`` for a filter that is not chosen by typing."""
    search_fields = TYPEAHEAD_FIELDS[name]
    choice_filter = TransactionFilter.base_filters[name]
    field = choice_filter.field
    return [
        {"pk": row.pk, "label": field.label_from_instance(row)}
        for row in choices_matching(choice_filter.queryset, text, fields=search_fields)
    ]
