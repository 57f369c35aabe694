"""Forms for single transactions and timesheet uploads."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.forms import DATE_INPUT, BootstrapFormMixin
from contracts.models import Project
from invoicing.transactions import services
from invoicing.transactions.models import ProjectTransaction

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
TWO_PLACES = Decimal("0.01")
NEGATIVE_QUANTITY = _(
    "The quantity cannot be less than zero; only on-account lines can be negative."
)


class TransactionForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ProjectTransaction
        fields = [
            "kind",
            "date",
            "project",
            "category",
            "worker",
            "item",
            "line_property",
            "quantity",
            "cost_price",
            "sales_price",
            "description",
            "external_reference",
        ]
        widgets = {"date": DATE_INPUT}
        help_texts = {
            "cost_price": _("Leave empty to use the worker's cost rate or the item's cost price."),
            "sales_price": _(
                "Leave empty to use the worker's sales rate or the item's sales price."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.select_related("contract").order_by(
            "code"
        )
        self.fields["cost_price"].required = False
        self.fields["sales_price"].required = False
        for name in ("quantity", "cost_price", "sales_price"):
            value = self.initial.get(name)
            if value is not None and value == value.quantize(TWO_PLACES):
                self.initial[name] = value.quantize(TWO_PLACES)  # 8.00, not 8.0000
        self._apply_bootstrap()

    def clean(self):
        cleaned = super().clean()
        quantity = cleaned.get("quantity")
        if quantity is not None and quantity < 0 and cleaned.get("kind") != "on_account":
            self.add_error("quantity", NEGATIVE_QUANTITY)
        if self.errors:
            return cleaned
        cleaned["cost_price"], cleaned["sales_price"] = services.transaction_prices_default(
            kind=cleaned["kind"],
            worker=cleaned.get("worker"),
            item=cleaned.get("item"),
            cost_price=cleaned.get("cost_price"),
            sales_price=cleaned.get("sales_price"),
        )
        project = cleaned["project"]
        self.instance.currency = project.contract.currency if project.contract_id else "SEK"
        return cleaned


class TimesheetUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Timesheet file (CSV)"),
        help_text=_("Semicolon or comma separated, UTF-8, decimal comma or point."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"
        self._apply_bootstrap()

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 50 MB; split it into smaller files.")
            )
        if not uploaded.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file (a text export of the timesheet)."))
        return uploaded
