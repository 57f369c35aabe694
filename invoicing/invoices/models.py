"""Posted documents: invoices and credit notes, their lines and VAT, internal charges, PDF
batches. Final once posted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, transition

from contracts.models import (
    MONEY,
    RATE,
    Customer,
    LegalEntity,
    ProjectContract,
)
from contracts.texts import money_text
from funding.models import FundingSource
from invoicing.proposals.line_texts import line_text
from invoicing.proposals.models import InvoiceProposal
from invoicing.transactions.models import (
    QUANTITY,
    BackgroundJob,
    ProjectTransaction,
)


class DocumentType(models.TextChoices):
    INVOICE = "invoice", pgettext_lazy("document type", "Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    SENT = "sent", _("Sent")
    PAID = "paid", _("Paid")


# Columns a posted invoice may still change: its payment state. Everything else is final
# (refused by the services, the admin and, on PostgreSQL, a trigger). What is paid and open is
# not stored here: it is computed from the receivables ledger (``receivables/selectors.py``),
# whose one service keeps ``status`` "paid" in step with it.
INVOICE_MUTABLE_FIELDS = ("status", "sent_at", "reminded_at")


class Invoice(models.Model):
    """A posted customer invoice or credit note: numbered, final, in the customer's language."""

    legal_entity = models.ForeignKey(
        LegalEntity,
        verbose_name=_("legal entity"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    sequence_number = models.PositiveIntegerField(_("sequence number"))
    number = models.CharField(_("number"), max_length=30)
    document_type = models.CharField(_("document"), max_length=12, choices=DocumentType.choices)
    proposal = models.OneToOneField(
        InvoiceProposal,
        verbose_name=_("proposal"),
        on_delete=models.PROTECT,
        related_name="invoice",
    )
    contract = models.ForeignKey(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    funding_source = models.ForeignKey(
        FundingSource,
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    language = models.CharField(_("language"), max_length=2)
    currency = models.CharField(_("currency"), max_length=3)
    invoice_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    customer_reference = models.CharField(_("customer reference"), max_length=100, blank=True)
    net_total = models.DecimalField(_("net"), **MONEY)
    retention_total = models.DecimalField(_("retention"), **MONEY, default=0)
    vat_total = models.DecimalField(_("VAT"), **MONEY)
    gross_total = models.DecimalField(_("total"), **MONEY)
    credited_invoice = models.ForeignKey(
        "self", verbose_name=_("credits invoice"), on_delete=models.PROTECT, related_name="credit_notes",
        null=True, blank=True,
    )  # fmt: skip
    credit_reason = models.TextField(_("reason for the correction"), blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    posted_at = models.DateTimeField(_("posted"), auto_now_add=True)
    status = FSMField(
        _("payment status"),
        max_length=10,
        choices=InvoiceStatus.choices,
        default=InvoiceStatus.POSTED,
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    # What the document prints beyond the columns above and the lines and VAT: the parties,
    # contract terms and progress statement as they were at posting (``snapshots.py``). Written
    # once, by the posting transaction; final like the rest of the invoice.
    snapshot = models.JSONField(_("document snapshot"), default=dict, editable=False)

    class Meta:
        verbose_name = pgettext_lazy("document", "invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-sequence_number"]
        indexes = [
            # The top bar's search finds invoices by amount (``invoicing/search.py``).
            models.Index(fields=["gross_total"], name="invoice_gross_total_idx"),
            models.Index(fields=["net_total"], name="invoice_net_total_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "sequence_number"],
                name="invoice_number_unique_per_legal_entity",
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "number"], name="invoice_number_text_unique"
            ),
            models.CheckConstraint(
                condition=Q(document_type="invoice", gross_total__gte=0)
                | Q(document_type="credit_note", gross_total__lte=0),
                name="invoice_sign_matches_document_type",
            ),
            models.CheckConstraint(
                condition=Q(document_type="invoice")
                | Q(credited_invoice__isnull=False) & ~Q(credit_reason=""),
                name="credit_note_names_invoice_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("invoicing:invoice_detail", kwargs={"pk": self.pk})

    @transition(field=status, source=InvoiceStatus.POSTED, target=InvoiceStatus.SENT)
    def mark_sent(self) -> None:
        self.sent_at = timezone.now()

    @transition(
        field=status, source=[InvoiceStatus.POSTED, InvoiceStatus.SENT], target=InvoiceStatus.PAID
    )
    def mark_paid(self) -> None:
        """Nothing is open any more (set by ``receivables.services.invoice_payment_state_sync``)."""

    @transition(
        field=status,
        source=InvoiceStatus.PAID,
        target=RETURN_VALUE(InvoiceStatus.POSTED, InvoiceStatus.SENT),
    )
    def reopen(self) -> str:
        """Something is open again (a payment reversed): back to sent, or posted if never sent."""
        return InvoiceStatus.SENT if self.sent_at else InvoiceStatus.POSTED


class InvoiceLine(models.Model):
    """A final line of a posted invoice (never changed, never deleted)."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("document", "invoice"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    line_type = models.CharField(_("line type"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=500)
    # A generated description is its kind and parameters (``line_texts.py``), written in the
    # reader's language when shown; a typed one has no kind and stays as typed.
    description_kind = models.CharField(
        _("kind of description"), max_length=40, blank=True, default=""
    )
    description_params = models.JSONField(_("description parameters"), default=dict, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=1)
    unit_price = models.DecimalField(_("unit price"), **RATE, null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    tax_label = models.CharField(_("tax group"), max_length=200)
    # The EN 16931 VAT treatment of the line (BT-151) and, for categories charging no VAT, why
    # (a credit line copies its invoice line's). Blank on lines posted before issue 14.
    vat_category = models.CharField(_("VAT category"), max_length=2, blank=True, default="")
    exemption_reason_code = models.CharField(
        _("exemption reason code"), max_length=20, blank=True, default=""
    )
    exemption_reason = models.CharField(
        _("exemption reason"), max_length=200, blank=True, default=""
    )
    transaction = models.ForeignKey(
        ProjectTransaction, verbose_name=_("transaction"), on_delete=models.PROTECT,
        related_name="invoice_lines", null=True, blank=True,
    )  # fmt: skip
    credited_line = models.ForeignKey(
        "self", verbose_name=_("credits line"), on_delete=models.PROTECT, related_name="credit_lines",
        null=True, blank=True,
    )  # fmt: skip

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "pk"]

    def __str__(self) -> str:
        return f"{self.text}: {money_text(self.amount)}"

    @property
    def text(self) -> str:
        """The description in the active language (the reader's)."""
        return line_text(self)


class InvoiceTax(models.Model):
    """VAT of one VAT category and rate on an invoice (EN 16931 BG-23), computed on the
    invoice's lines of that category and rate, half-up, with the exemption reason the category
    needs. Invoices posted before issue 14 have one row per rate and a blank category."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("document", "invoice"),
        on_delete=models.PROTECT,
        related_name="taxes",
    )
    label = models.CharField(_("tax group"), max_length=200)
    vat_category = models.CharField(_("VAT category"), max_length=2, blank=True, default="")
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=2)
    base = models.DecimalField(_("base"), **MONEY)
    amount = models.DecimalField(_("VAT"), **MONEY)
    exemption_reason_code = models.CharField(
        _("exemption reason code"), max_length=20, blank=True, default=""
    )
    exemption_reason = models.CharField(
        _("exemption reason"), max_length=200, blank=True, default=""
    )

    class Meta:
        verbose_name = _("invoice VAT")
        verbose_name_plural = _("invoice VAT")
        ordering = ["invoice", "-rate"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


class InternalCharge(models.Model):
    """What an internal organization funder is charged instead of a customer invoice."""

    proposal = models.OneToOneField(
        InvoiceProposal,
        verbose_name=_("proposal"),
        on_delete=models.PROTECT,
        related_name="internal_charge",
    )
    funding_source = models.ForeignKey(
        FundingSource,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="internal_charges",
    )
    charge_date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    posted_at = models.DateTimeField(_("posted"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal charge")
        verbose_name_plural = _("internal charges")
        ordering = ["-posted_at"]

    def __str__(self) -> str:
        return f"{self.funding_source}: {self.amount}"


class PdfBatch(BackgroundJob):
    """Rendering many invoice PDFs into one ZIP file, as a background task."""

    invoice_ids = models.JSONField(_("invoices"), default=list)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    archive = models.FileField(_("archive"), upload_to="pdf-batches/%Y/%m/", blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("PDF batch")
        verbose_name_plural = _("PDF batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{len(self.invoice_ids)} PDFs ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        total = len(self.invoice_ids)
        return 100 if not total else self.processed * 100 // total


class EInvoiceSyntax(models.TextChoices):
    PEPPOL_BIS_UBL = "peppol-bis-3-ubl", _("Peppol BIS Billing 3.0 (UBL)")
    FACTURX_CII = "factur-x-cii", _("Factur-X EN 16931 (CII, inside the PDF)")


class EInvoice(models.Model):
    """An e-invoice of a posted invoice or credit note: the exact XML bytes that passed their
    rules inside the posting transaction, and their SHA-256. Every posted document has its
    Peppol BIS 3.0 UBL (UBL schema, EN 16931 and Peppol rules); one whose buyer wanted
    Factur-X has its CII too (Factur-X XSD and EN 16931 rules), which its PDF carries inside,
    byte for byte. At most one per syntax. Written once by posting, final like the invoice (on
    PostgreSQL the trigger of the invoice's lines refuses every later INSERT, UPDATE and
    DELETE)."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("document", "invoice"),
        on_delete=models.PROTECT,
        related_name="einvoices",
    )
    syntax = models.CharField(_("syntax"), max_length=20, choices=EInvoiceSyntax.choices)
    xml = models.TextField(_("XML"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-invoice")
        verbose_name_plural = _("e-invoices")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="einvoice_sha256_hex"
            ),
            models.UniqueConstraint(fields=["invoice", "syntax"], name="einvoice_one_per_syntax"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice.number} ({self.get_syntax_display()})"

    @property
    def xml_bytes(self) -> bytes:
        return self.xml.encode("utf-8")

    @property
    def filename(self) -> str:
        if self.syntax == EInvoiceSyntax.FACTURX_CII:
            return f"{self.invoice.number}-factur-x.xml"
        return f"{self.invoice.number}.xml"


class EInvoiceAcknowledgement(models.Model):
    """An access point (or whoever sends e-invoices on) has picked up an e-invoice from the
    outbox. Only ever inserted: the outbox lists the e-invoices without one."""

    einvoice = models.OneToOneField(
        EInvoice,
        verbose_name=_("e-invoice"),
        on_delete=models.PROTECT,
        related_name="acknowledgement",
    )
    acknowledged_at = models.DateTimeField(_("picked up"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("picked up by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    message_reference = models.CharField(
        _("message reference"),
        max_length=200,
        blank=True,
        help_text=_("The access point's id of the message that carried the e-invoice."),
    )

    class Meta:
        verbose_name = _("e-invoice pick-up")
        verbose_name_plural = _("e-invoice pick-ups")
        ordering = ["-acknowledged_at"]

    def __str__(self) -> str:
        return f"{self.einvoice}: {self.acknowledged_at:%Y-%m-%d %H:%M}"
