"""Who invoices and who is invoiced: legal entities, customers, payment terms and tax groups."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.currencies import CURRENCY_CHOICES
from contracts.models.base import (
    PERCENT,
    AddressMixin,
    CodedModel,
    Language,
    code_constraints,
    country_constraint,
    currency_constraint,
    percentage_constraint,
)


class PaymentTerms(CodedModel):
    """How long a customer has to pay: the due date is the invoice date plus ``net_days``."""

    net_days = models.PositiveSmallIntegerField(_("days net"), validators=[MaxValueValidator(365)])
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        constraints = [
            *code_constraints("paymentterms"),
            models.CheckConstraint(
                condition=Q(net_days__lte=365),
                name="paymentterms_net_days_at_most_365",
                violation_error_message=_("Payment terms cannot be longer than 365 days."),
            ),
        ]


class TaxGroup(CodedModel):
    """The VAT treatment of a line: a rate, or reverse charge, or exempt (both at 0 %)."""

    rate = models.DecimalField(_("VAT rate (%)"), **PERCENT)
    is_reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    is_exempt = models.BooleanField(_("exempt"), default=False)
    note = models.CharField(
        _("text on invoice"),
        max_length=200,
        blank=True,
        help_text=_("Printed on the invoice, e.g. 'Reverse charge, art. 196 VAT directive'."),
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("tax group")
        verbose_name_plural = _("tax groups")
        constraints = [
            *code_constraints("taxgroup"),
            percentage_constraint("rate", "taxgroup", _("The VAT rate")),
            models.CheckConstraint(
                condition=Q(is_reverse_charge=False, is_exempt=False) | Q(rate=0),
                name="taxgroup_special_treatment_has_zero_rate",
                violation_error_message=_(
                    "Reverse-charge and exempt tax groups must have a zero VAT rate."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(is_reverse_charge=True, is_exempt=True),
                name="taxgroup_not_both_reverse_charge_and_exempt",
                violation_error_message=_(
                    "A tax group is either reverse charge or exempt, not both."
                ),
            ),
        ]


class LegalEntity(CodedModel, AddressMixin):
    """The company that invoices, with its own invoice-number series and bank details."""

    base_currency = models.CharField(_("base currency"), max_length=3, choices=CURRENCY_CHOICES)
    invoice_number_prefix = models.CharField(
        _("invoice number prefix"), max_length=10, blank=True, help_text=_("e.g. 'INV-'")
    )
    organization_number = models.CharField(_("organization number"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bankgiro = models.CharField(_("bank giro"), max_length=20, blank=True)
    locked_until = models.DateField(
        _("books closed up to"),
        null=True,
        blank=True,
        help_text=_("Nothing can be posted with an invoice date on or before this date."),
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        constraints = [
            *code_constraints("legalentity"),
            currency_constraint("base_currency", "legalentity"),
            country_constraint("country", "legalentity"),
        ]


class Customer(CodedModel, AddressMixin):
    """Who is invoiced. Documents are rendered in the customer's language."""

    language = models.CharField(
        _("document language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    email = models.EmailField(_("invoice e-mail"), blank=True)
    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            *code_constraints("customer"),
            country_constraint("country", "customer"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values),
                name="customer_language_supported",
                violation_error_message=_("Choose English, Swedish or Danish."),
            ),
        ]
