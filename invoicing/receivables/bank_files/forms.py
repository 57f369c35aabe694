"""Forms of the bank file pages: they read what a clerk sent; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.forms import BootstrapFormMixin
from contracts.models import Customer
from contracts.number_fields import NumberField


class BankFileUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Bank file"),
        help_text=_(
            "Bankgirot BgMax (.txt) or ISO 20022 camt.054 (.xml); the format is read from the file."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".txt,.xml,.dat,text/plain,application/xml"
        self._apply_bootstrap()


class CustomerChoiceForm(BootstrapFormMixin, forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.order_by("name"), required=False,
        empty_label=_("Choose the customer who paid"),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class ManualMatchForm(forms.Form):
    """One amount per open invoice of the chosen customer (blank: not paid by this payment)."""

    keep_surplus_as_credit = forms.BooleanField(
        label=_("Keep what is left as customer credit"), required=False
    )

    def __init__(self, *args, invoices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.invoices = list(invoices)
        for invoice in self.invoices:
            self.fields[f"amount_{invoice.pk}"] = NumberField(
                label=invoice.number, max_digits=14, decimal_places=2, required=False
            )

    def rows(self):
        return [(invoice, self[f"amount_{invoice.pk}"]) for invoice in self.invoices]

    def allocations(self):
        return [
            (invoice, self.cleaned_data[f"amount_{invoice.pk}"])
            for invoice in self.invoices
            if self.cleaned_data.get(f"amount_{invoice.pk}") is not None
        ]
