"""Contract documents: statements of work, signed contracts, amendments (comments and
notifications are in collaboration)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.agreements import ProjectContract

# ------------------------------------------------------------------------------------------
# Contract documents (comments and notifications are in collaboration)
# ------------------------------------------------------------------------------------------


class DocumentKind(models.TextChoices):
    STATEMENT_OF_WORK = "statement_of_work", _("Statement of work")
    SIGNED_CONTRACT = "signed_contract", _("Signed contract")
    AMENDMENT = "amendment", _("Amendment")
    CORRESPONDENCE = "correspondence", _("Correspondence")
    OTHER = "other", _("Other")


class ContractDocument(models.Model):
    """A file kept with a contract. Its type is checked from its content, not only its name."""

    contract = models.ForeignKey(
        ProjectContract, verbose_name=_("contract"), on_delete=models.CASCADE,
        related_name="documents",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="contract-documents/%Y/")
    file_name = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")
        ordering = ["contract", "-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.contract.code}: {self.title}"
