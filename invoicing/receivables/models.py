"""The receivables ledger (DOMAIN.md section 11): payments and their allocations to invoices,
credit applied to invoices (credit notes settling what they correct, customer credit used on
another invoice) and refunds of customer credit.

Every row is a record of something that happened: never edited, never deleted (the services
write them, the admin only shows them and, on PostgreSQL, a trigger refuses UPDATE and DELETE,
migration 0012_receivables_ledger). A mistaken payment is undone by a reversing payment with the opposite amount.
What an invoice still owes is computed from these rows only (``selectors.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import MONEY, Customer
from invoicing.invoices.models import Invoice


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    BANKGIRO = "bankgiro", _("Bankgiro")
    PLUSGIRO = "plusgiro", _("Plusgiro")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money received from a customer in one currency on one day, allocated to its invoices;
    what is not allocated is customer credit. A reversal is a payment of the opposite amount
    that names the payment it reverses (``reverses``)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments"
    )
    currency = models.CharField(_("currency"), max_length=3)
    paid_on = models.DateField(_("payment date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(
        _("method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.BANK_TRANSFER,
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), on_delete=models.PROTECT, related_name="reversal",
        null=True, blank=True,
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            # A payment is positive; its reversal negative and names what it reverses.
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount__gt=0)
                | Q(reverses__isnull=False, amount__lt=0),
                name="payment_sign_matches_reversal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount} {self.currency}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class PaymentAllocation(models.Model):
    """The part of a payment that pays one invoice (negative on a reversal)."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="allocations"
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("document", "invoice"),
        on_delete=models.PROTECT,
        related_name="payment_allocations",
    )
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["payment", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_allocation_not_zero"),
            models.UniqueConstraint(
                fields=["payment", "invoice"], name="payment_allocation_once_per_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.amount}"


class CreditApplication(models.Model):
    """Credit used to settle an invoice: a credit note settling the invoice it corrects (written
    when the credit note is posted), or customer credit a clerk applies to another invoice."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="credit_applications",
    )
    currency = models.CharField(_("currency"), max_length=3)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("document", "invoice"),
        on_delete=models.PROTECT,
        related_name="credit_applications",
    )
    credit_note = models.ForeignKey(
        Invoice, verbose_name=_("credit note"), on_delete=models.PROTECT,
        related_name="credit_settlements", null=True, blank=True,
    )  # fmt: skip
    applied_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit application")
        verbose_name_plural = _("credit applications")
        ordering = ["-applied_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_application_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.amount}"


class CustomerRefund(models.Model):
    """Customer credit paid back to the customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="refunds"
    )
    currency = models.CharField(_("currency"), max_length=3)
    refunded_on = models.DateField(_("refund date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(
        _("method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.BANK_TRANSFER,
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-refunded_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="customer_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.refunded_on} {self.amount} {self.currency}"
