"""The dispatch log: every e-mail that carried a posted document to a customer, or tried to.

Its own module (not ``receivables/models.py``) so that the log can be read without the ledger;
``invoicing/models.py`` imports it so Django finds it. Rows are records: only ever inserted (the
admin shows them read-only and, on PostgreSQL, a trigger refuses UPDATE and DELETE, migration
0022_invoice_dispatches).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from invoicing.invoices.models import Invoice


class DispatchKind(models.TextChoices):
    DOCUMENT = "document", _("Invoice e-mail")
    REMINDER = "reminder", _("Reminder")


class DispatchResult(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class InvoiceDispatch(models.Model):
    """One attempt to e-mail an invoice or credit note (or a reminder of it) to the customer:
    to whom, with which subject and files (each with its SHA-256), and whether the mail server
    took it. The attempts of one request (the clerk's click, the API call, one row of a bulk
    send) share ``request_key`` and count up ``attempt``; at most one of them is sent, so a
    task run again after success sends nothing."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("document", "invoice"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=DispatchKind.choices, default=DispatchKind.DOCUMENT
    )
    request_key = models.UUIDField(_("request"), db_index=True)
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    to = models.CharField(_("to"), max_length=500)
    cc = models.CharField(_("cc"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # [{"filename": ..., "content_type": ..., "size": ..., "sha256": ...}, ...]
    attachments = models.JSONField(_("documents attached"), default=list, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=DispatchResult.choices)
    error = models.TextField(_("error"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("invoice e-mail")
        verbose_name_plural = _("invoice e-mails")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_key", "attempt"], name="dispatch_attempt_unique_per_request"
            ),
            models.UniqueConstraint(
                fields=["request_key"],
                condition=Q(result="sent"),
                name="dispatch_sent_once_per_request",
            ),
            models.CheckConstraint(
                condition=Q(result__in=["sent", "failed"]), name="dispatch_result_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice.number} → {self.to} ({self.get_result_display()})"

    @property
    def is_sent(self) -> bool:
        return self.result == DispatchResult.SENT
