"""Forms of the books' pages: they read what a clerk typed; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.date_inputs import DatePickerInput
from contracts.models import Category, LegalEntity, TransactionKind
from contracts.models.parties import VatCategory
from invoicing.ledger.models import AccountPurpose, ExportFormat, account_number_validator


class Styled:
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = css


def _month_start() -> datetime.date:
    return timezone.localdate().replace(day=1)


class JournalFilterForm(Styled, forms.Form):
    legal_entity = forms.ModelChoiceField(
        label=_("Legal entity"), queryset=LegalEntity.objects.order_by("name"), required=False,
        empty_label=_("All legal entities"),
    )  # fmt: skip
    date_from = forms.DateField(label=_("From"), required=False, widget=DatePickerInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DatePickerInput)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class VoucherReverseForm(Styled, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=150)
    reversed_on = forms.DateField(
        label=_("Date of the reversal"), widget=DatePickerInput, initial=timezone.localdate
    )


class AccountForm(Styled, forms.Form):
    number = forms.CharField(
        label=_("Account"), max_length=10, validators=[account_number_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )  # fmt: skip
    name = forms.CharField(label=_("Account name"), max_length=100)


class RuleForm(Styled, forms.Form):
    purpose = forms.ChoiceField(label=_("Used for"), choices=[("", "—"), *AccountPurpose.choices])
    account = forms.CharField(
        label=_("Account"), max_length=10, validators=[account_number_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )  # fmt: skip
    kind = forms.ChoiceField(
        label=_("Transaction kind"), choices=[("", "—"), *TransactionKind.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("code"), required=False,
        empty_label="—",
    )  # fmt: skip
    vat_category = forms.ChoiceField(
        label=_("VAT category"), choices=[("", "—"), *VatCategory.choices], required=False
    )
    vat_rate = forms.DecimalField(
        label=_("VAT rate"), max_digits=5, decimal_places=2, min_value=0, max_value=100,
        required=False, widget=forms.NumberInput(attrs={"step": "0.01", "style": "width: 6em"}),
    )  # fmt: skip


AccountFormSet = forms.formset_factory(AccountForm, extra=2, can_delete=True)
RuleFormSet = forms.formset_factory(RuleForm, extra=2, can_delete=True)


class ExportForm(Styled, forms.Form):
    legal_entity = forms.ModelChoiceField(
        label=_("Legal entity"), queryset=LegalEntity.objects.order_by("name")
    )
    date_from = forms.DateField(label=_("From"), widget=DatePickerInput, initial=_month_start)
    date_to = forms.DateField(label=_("To"), widget=DatePickerInput, initial=timezone.localdate)
    export_format = forms.ChoiceField(
        label=_("Format"), choices=ExportFormat.choices, initial=ExportFormat.SIE
    )
    confirm_overlap = forms.BooleanField(
        label=_("Export again although the period was exported before"), required=False
    )
