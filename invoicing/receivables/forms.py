"""Forms of the receivables pages: they read what a clerk typed; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.date_inputs import DatePickerInput
from contracts.number_fields import NumberField
from invoicing.receivables.models import PaymentMethod


class PaymentForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Payment date"), widget=DatePickerInput, initial=timezone.localdate
    )
    amount = NumberField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        error_messages={
            "invalid": _("Enter the amount paid as a number, for example %(example)s.")
        },
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        help_text=_("OCR, FIK or bank reference"),
    )
    payer = forms.CharField(label=_("Payer"), required=False, max_length=200)
    keep_surplus_as_credit = forms.BooleanField(
        label=_("Keep the surplus as customer credit"), required=False
    )


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class CreditApplyForm(forms.Form):
    amount = NumberField(label=_("Amount"), max_digits=14, decimal_places=2, required=False)


class RefundForm(forms.Form):
    refunded_on = forms.DateField(
        label=_("Refund date"), widget=DatePickerInput, initial=timezone.localdate
    )
    amount = NumberField(label=_("Amount"), max_digits=14, decimal_places=2)
    method = forms.ChoiceField(
        label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER
    )
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)


class StatementFilterForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DatePickerInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DatePickerInput)

    def __init__(self, *args, currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in currencies]
