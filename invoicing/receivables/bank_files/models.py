"""Imported bank files and the payments in them.

A ``BankFile`` is one file as the bank sent it (its SHA-256 is unique: the same file twice is
one row). Each payment in it is a ``BankFilePayment``: what the bank says (amount, currency,
date, payer, references), what the matcher found, and what became of it: booked as a
``Payment`` (through ``payments.payment_record``), kept as customer credit, waiting in the
queue for a clerk, or skipped (a payment another file already brought, a deduction). A bank
reference is unique across files, so the same payment never waits or is booked twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.models import MONEY, Customer
from invoicing.receivables.models import Payment


class BankFileKind(models.TextChoices):
    BGMAX = "bgmax", _("Bankgirot BgMax")
    CAMT054 = "camt054", _("ISO 20022 camt.054")


class BankFileStatus(models.TextChoices):
    PREVIEWED = "previewed", _("To confirm")
    CONFIRMED = "confirmed", _("Confirmed")


class BankFile(models.Model):
    kind = models.CharField(_("format"), max_length=10, choices=BankFileKind.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    content = models.BinaryField(_("content"), editable=False)
    identifier = models.CharField(_("bank's identifier"), max_length=100, blank=True)
    is_test = models.BooleanField(_("test file"), default=False)
    notes = models.JSONField(_("notes"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=BankFileStatus.choices, default=BankFileStatus.PREVIEWED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("invoicing:bank_file", args=[self.pk])


class BankPaymentState(models.TextChoices):
    MATCHED = "matched", _("To book")
    UNMATCHED = "unmatched", _("Unmatched")
    BOOKED = "booked", _("Booked")
    CREDIT = "credit", _("Kept as customer credit")
    SKIPPED = "skipped", _("Skipped")


class MatchKind(models.TextChoices):
    MATCHED = "matched", _("Matched")
    PARTLY_MATCHED = "partly_matched", _("Partly matched")
    UNMATCHED = "unmatched", _("Unmatched")


class BankFilePayment(models.Model):
    bank_file = models.ForeignKey(
        BankFile, verbose_name=_("bank file"), on_delete=models.CASCADE, related_name="payments"
    )
    position = models.PositiveIntegerField(_("position"))
    line = models.PositiveIntegerField(_("line"), default=0)
    bank_reference = models.CharField(_("bank reference"), max_length=100)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    booked_on = models.DateField(_("payment date"))
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=50, blank=True)
    payer_address = models.CharField(_("payer's address"), max_length=200, blank=True)
    payer_organization_number = models.CharField(
        _("payer's organisation number"), max_length=20, blank=True
    )
    payee_account = models.CharField(_("paid to account"), max_length=50, blank=True)
    references = models.JSONField(_("references"), default=list, blank=True)
    texts = models.JSONField(_("messages"), default=list, blank=True)
    is_deduction = models.BooleanField(_("deduction"), default=False)
    match_kind = models.CharField(
        _("match"), max_length=20, choices=MatchKind.choices, default=MatchKind.UNMATCHED
    )
    # What the matcher found: {"allocations": [{"invoice": id, "number": ..., "amount": ...}],
    # "surplus": ..., "reasons": [{"code": ..., ...}]} (reasons are said by matching.reason_text).
    match = models.JSONField(_("match details"), default=dict, blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    state = models.CharField(
        _("state"), max_length=10, choices=BankPaymentState.choices,
        default=BankPaymentState.UNMATCHED,
    )  # fmt: skip
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="bank_payment",
        null=True, blank=True,
    )  # fmt: skip

    class Meta:
        verbose_name = _("bank file payment")
        verbose_name_plural = _("bank file payments")
        ordering = ["bank_file", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_reference"],
                condition=~Q(state="skipped"),
                name="bank_payment_reference_once",
                violation_error_message=_("This bank reference was already imported."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=["booked", "credit"], payment__isnull=False)
                | (~Q(state__in=["booked", "credit"]) & Q(payment__isnull=True)),
                name="bank_payment_booked_has_payment",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_reference} {self.amount} {self.currency}"
