"""What is billed: project transactions, their funding allocations, and timesheet import batches."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from contracts.currencies import CURRENCY_CHOICES, CURRENCY_CODES
from contracts.models import (
    MONEY,
    RATE,
    BillingRule,
    Category,
    Customer,
    Item,
    LegalEntity,
    LineProperty,
    Milestone,
    Project,
    ProjectContract,
    TransactionKind,
    Worker,
)
from funding.models import FundingLimit, FundingRule, FundingSource

QUANTITY = {"max_digits": 14, "decimal_places": 4}


class BillingStatus(models.TextChoices):
    UNINVOICED = "uninvoiced", _("Uninvoiced")
    IN_PROPOSAL = "in_proposal", _("In proposal")
    INVOICED = "invoiced", _("Invoiced")
    CREDITED = "credited", _("Credited")


# A transaction in one of these states belongs to a document and is frozen.
LOCKED_BILLING_STATUSES = (BillingStatus.IN_PROPOSAL, BillingStatus.INVOICED)


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking")
    INVALID = "invalid", _("Has errors")
    VALIDATED = "validated", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class ImportBatch(models.Model):
    """One uploaded timesheet file: who, when, which file, what it held and what came of it.

    Bulk imports write no per-row history; this row is their audit record.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.VALIDATING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new_rows = models.PositiveIntegerField(_("new rows"), default=0)
    unchanged_rows = models.PositiveIntegerField(_("already imported"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values),
                name="importbatch_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("invoicing:import_detail", kwargs={"pk": self.pk})

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.VALIDATING, ImportStatus.IMPORTING)

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0 if self.is_running else 100
        return min(100, self.processed_rows * 100 // self.total_rows)


class ProjectTransaction(models.Model):
    """Something that happened on a project and may be billed: hours, an expense, an item,
    a fee or an on-account amount. Once in a proposal or invoiced it cannot change."""

    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    date = models.DateField(_("date"))
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,  # the (project, billing_status, date) index leads with it
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="transactions"
    )
    worker = models.ForeignKey(
        Worker,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
        db_index=False,  # rarely filtered; an index would slow every bulk import
    )
    line_property = models.ForeignKey(
        LineProperty,
        verbose_name=_("line property"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
        db_index=False,
    )
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    cost_price = models.DecimalField(_("cost price"), **RATE, validators=[MinValueValidator(0)])
    sales_price = models.DecimalField(_("sales price"), **RATE)
    cost_amount = models.DecimalField(_("cost amount"), **MONEY)
    sales_amount = models.DecimalField(_("sales amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    description = models.CharField(_("description"), max_length=500, blank=True)
    is_chargeable = models.BooleanField(_("chargeable"), default=True)
    billing_status = models.CharField(
        _("billing status"),
        max_length=12,
        choices=BillingStatus.choices,
        default=BillingStatus.UNINVOICED,
    )
    external_reference = models.CharField(
        _("external reference"),
        max_length=100,
        blank=True,
        help_text=_("The id the sending system gave the line; makes re-imports safe."),
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import batch"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
    )
    # On-account lines made by billing rules (milestones, progress, units) name their origin.
    billing_rule = models.ForeignKey(
        BillingRule,
        verbose_name=_("billing rule"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
    )
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("milestone"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("project transaction")
        verbose_name_plural = _("project transactions")
        ordering = ["-date", "-pk"]
        permissions = [
            ("import_projecttransaction", _("Can import project transactions")),
            ("export_projecttransaction", _("Can export project transactions")),
        ]
        indexes = [
            models.Index(fields=["project", "billing_status", "date"]),
            models.Index(fields=["date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~Q(external_reference=""),
                name="projecttransaction_external_reference_unique",
                violation_error_message=_("A transaction with this external reference exists."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=TransactionKind.values),
                name="projecttransaction_kind_valid",
                violation_error_message=_("Choose a valid transaction kind."),
            ),
            models.CheckConstraint(
                condition=Q(billing_status__in=BillingStatus.values),
                name="projecttransaction_billing_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=CURRENCY_CODES),
                name="projecttransaction_currency_iso4217",
                violation_error_message=_("Choose a valid ISO 4217 currency code."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="hour") | Q(worker__isnull=False),
                name="projecttransaction_hours_have_a_worker",
                violation_error_message=_("Hours need a worker."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="item") | Q(item__isnull=False),
                name="projecttransaction_items_have_an_item",
                violation_error_message=_("Item lines need an item."),
            ),
            models.CheckConstraint(
                # Only on-account lines may be negative (deductions of a prepayment).
                condition=Q(kind="on_account") | Q(quantity__gte=0, sales_price__gte=0),
                name="projecttransaction_non_negative_unless_on_account",
                violation_error_message=_("Quantity and sales price cannot be less than zero."),
            ),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0),
                name="projecttransaction_cost_price_non_negative",
                violation_error_message=_("The cost price cannot be less than zero."),
            ),
            models.CheckConstraint(
                # A cost-only line is never billed.
                condition=Q(is_chargeable=True) | Q(billing_status="uninvoiced"),
                name="projecttransaction_non_chargeable_never_billed",
                violation_error_message=_("A non-chargeable line can never be billed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.project.code} {self.get_kind_display()} {self.quantity}"

    def get_absolute_url(self) -> str:
        return reverse("invoicing:transaction_update", kwargs={"pk": self.pk})

    @property
    def is_locked(self) -> bool:
        return self.billing_status in LOCKED_BILLING_STATUSES


class TransactionAllocation(models.Model):
    """The share of one transaction that one funding source pays, and why (rule, limit)."""

    transaction = models.ForeignKey(
        ProjectTransaction,
        verbose_name=_("transaction"),
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    source = models.ForeignKey(
        FundingSource,
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="allocations",
        null=True,
        blank=True,
        help_text=_("Empty when no source could fund the amount (unfunded)."),
        db_index=False,  # the (source, transaction) index leads with it
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    rule = models.ForeignKey(
        FundingRule,
        verbose_name=_("funding rule"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # for display only; deleting a rule is rare
    )
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    percentage = models.DecimalField(
        _("percentage"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    binding_limit = models.ForeignKey(
        FundingLimit,
        verbose_name=_("binding limit"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
    )
    limit_ids = models.JSONField(_("limits charged"), default=list, blank=True)
    rounding_adjustment = models.DecimalField(
        _("rounding adjustment"), max_digits=14, decimal_places=4, default=0
    )
    is_on_hold = models.BooleanField(_("on hold"), default=False)

    class Meta:
        verbose_name = _("funding allocation")
        verbose_name_plural = _("funding allocations")
        ordering = ["transaction", "pk"]
        indexes = [models.Index(fields=["source", "transaction"])]

    def __str__(self) -> str:
        return f"{self.source or _('Unfunded')}: {self.amount}"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PROPOSAL_STATUSES = (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.APPROVED)


class InvoiceProposal(models.Model):
    """A draft invoice for one funding source: draft -> submitted -> approved (-> posted);
    submitted -> draft on rejection (with a reason); draft -> cancelled (frees every line).

    Transitions are django-fsm-2 methods; ``invoicing.services`` locks the row and calls them.
    ``revision`` counts changes to the lines, so an approval can refuse a proposal whose lines
    changed after it was submitted.
    """

    contract = models.ForeignKey(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    funding_source = models.ForeignKey(
        FundingSource,
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="proposals",
        null=True, blank=True, help_text=_("Set when the contract is invoiced per project."),
    )  # fmt: skip
    kind = models.CharField(
        _("transaction kind"), max_length=20, choices=TransactionKind.choices, blank=True,
        help_text=_("Set when the proposals are split by transaction kind."),
    )  # fmt: skip
    status = FSMField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    up_to_date = models.DateField(_("billed up to"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    submitted_revision = models.PositiveIntegerField(_("submitted revision"), null=True, blank=True)
    # A credit proposal corrects a posted invoice and says why.
    credited_invoice = models.ForeignKey(
        "Invoice", verbose_name=_("corrects invoice"), on_delete=models.PROTECT,
        related_name="credit_proposals", null=True, blank=True,
    )  # fmt: skip
    credit_reason = models.TextField(_("reason for the correction"), blank=True)
    rebill_credited = models.BooleanField(_("bill the credited work again"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invoice proposal")
        verbose_name_plural = _("invoice proposals")
        ordering = ["-created_at", "-pk"]
        permissions = [("approve_invoiceproposal", _("Can approve invoice proposals"))]
        indexes = [models.Index(fields=["status", "contract"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="invoiceproposal_status_valid"
            ),
            models.CheckConstraint(
                # The four-eyes rule, guarded by the database as well as by the workflow.
                condition=Q(approved_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(approved_by=F("submitted_by")),
                name="invoiceproposal_approver_is_not_submitter",
                violation_error_message=_("Nobody approves a proposal they submitted themselves."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "posted"]) | Q(approved_by__isnull=False),
                name="invoiceproposal_approved_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.code} · {self.funding_source.name} · #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("invoicing:proposal_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROPOSAL_STATUSES

    def has_lines(self) -> bool:
        return self.lines.exists()

    def unchanged_since_submission(self) -> bool:
        return self.submitted_revision == self.revision

    @transition(
        field=status,
        source=ProposalStatus.DRAFT,
        target=ProposalStatus.SUBMITTED,
        conditions=[has_lines],
    )
    def submit(self, *, by) -> None:
        self.submitted_by = by
        self.submitted_at = timezone.now()
        self.submitted_revision = self.revision
        self.rejection_reason = ""

    @transition(
        field=status, source=ProposalStatus.SUBMITTED, target=ProposalStatus.APPROVED,
        conditions=[unchanged_since_submission], permission="invoicing.approve_invoiceproposal",
    )  # fmt: skip
    def approve(self, *, by) -> None:
        self.approved_by = by
        self.approved_at = timezone.now()

    @transition(field=status, source=ProposalStatus.SUBMITTED, target=ProposalStatus.DRAFT,
                permission="invoicing.approve_invoiceproposal")  # fmt: skip
    def reject(self, *, reason: str) -> None:
        self.rejection_reason = reason
        self.submitted_revision = None

    @transition(field=status, source=ProposalStatus.DRAFT, target=ProposalStatus.CANCELLED)
    def cancel(self) -> None:
        """The service frees the lines (they return to uninvoiced)."""

    @transition(field=status, source=ProposalStatus.APPROVED, target=ProposalStatus.POSTED)
    def post(self) -> None:
        """The posting service creates the invoice in the same transaction."""


class ProposalLineType(models.TextChoices):
    TRANSACTION = "transaction", _("Transaction")
    CREDIT = "credit", _("Credit")
    FEE = "fee", _("Fee")
    RETENTION_RELEASE = "retention_release", _("Retention release")
    DEDUCTION = "deduction", _("On-account deduction")


class ProposalLine(models.Model):
    """One line of a proposal: a funding source's share of a transaction, or a computed line."""

    proposal = models.ForeignKey(
        InvoiceProposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="lines"
    )
    line_type = models.CharField(_("line type"), max_length=20, choices=ProposalLineType.choices)
    # Lines of cancelled proposals keep their description and amount but may lose the link when
    # the transaction is later edited (its allocations are made again).
    allocation = models.ForeignKey(
        TransactionAllocation, verbose_name=_("funding allocation"), on_delete=models.SET_NULL,
        related_name="proposal_lines", null=True, blank=True,
    )  # fmt: skip
    transaction = models.ForeignKey(
        ProjectTransaction, verbose_name=_("transaction"), on_delete=models.PROTECT,
        related_name="proposal_lines", null=True, blank=True,
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices, blank=True)
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=1)
    unit_price = models.DecimalField(_("unit price"), **RATE, null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    credited_line = models.ForeignKey(
        "InvoiceLine", verbose_name=_("credits invoice line"), on_delete=models.PROTECT,
        related_name="credit_proposal_lines", null=True, blank=True,
    )  # fmt: skip
    # True while the proposal is open; a line is in at most one open proposal (constraint below).
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("proposal line")
        verbose_name_plural = _("proposal lines")
        ordering = ["proposal", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation"],
                condition=Q(is_open=True),
                name="proposalline_allocation_in_one_open_proposal",
                violation_error_message=_("This line is already in another open proposal."),
            ),
            models.CheckConstraint(
                condition=Q(line_type__in=ProposalLineType.values), name="proposalline_type_valid"
            ),
            models.CheckConstraint(
                condition=~Q(line_type="transaction")
                | Q(allocation__isnull=False, transaction__isnull=False),
                name="proposalline_transaction_line_has_allocation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class BackgroundJob(models.Model):
    """Work started by a user and done by a background task, with its state."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )

    class Meta:
        abstract = True


class BillingRun(BackgroundJob):
    """Generating proposals for many contracts up to a date, as a background task."""

    up_to_date = models.DateField(_("billed up to"))
    split_by_kind = models.BooleanField(_("one proposal per transaction kind"), default=False)
    total_contracts = models.PositiveIntegerField(_("contracts"), default=0)
    processed_contracts = models.PositiveIntegerField(_("processed"), default=0)
    proposals_created = models.PositiveIntegerField(_("proposals created"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.up_to_date} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if not self.total_contracts:
            return 100
        return self.processed_contracts * 100 // self.total_contracts


class DocumentType(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    SENT = "sent", _("Sent")
    PAID = "paid", _("Paid")


# Columns a posted invoice may still change: its payment state. Everything else is final
# (refused by the services, the admin and, on PostgreSQL, a trigger).
INVOICE_MUTABLE_FIELDS = ("status", "sent_at", "paid_amount", "paid_at", "reminded_at")


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
    paid_amount = models.DecimalField(_("paid"), **MONEY, default=0)
    paid_at = models.DateField(_("paid on"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-sequence_number"]
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

    @property
    def open_amount(self):
        return self.gross_total - self.paid_amount

    @property
    def is_overdue(self) -> bool:
        return (
            self.status != InvoiceStatus.PAID
            and self.due_date < timezone.localdate()
            and self.open_amount > 0
        )

    @property
    def is_partly_paid(self) -> bool:
        return self.status != InvoiceStatus.PAID and self.paid_amount > 0

    @transition(field=status, source=InvoiceStatus.POSTED, target=InvoiceStatus.SENT)
    def mark_sent(self) -> None:
        self.sent_at = timezone.now()

    @transition(
        field=status, source=[InvoiceStatus.POSTED, InvoiceStatus.SENT], target=InvoiceStatus.PAID
    )
    def mark_paid(self, *, on) -> None:
        self.paid_at = on


class InvoiceLine(models.Model):
    """A final line of a posted invoice (never changed, never deleted)."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="lines"
    )
    line_type = models.CharField(_("line type"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=1)
    unit_price = models.DecimalField(_("unit price"), **RATE, null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    tax_label = models.CharField(_("tax group"), max_length=200)
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
        return f"{self.description}: {self.amount}"


class InvoiceTax(models.Model):
    """VAT of one rate on an invoice, computed on the invoice's lines of that rate, half-up."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="taxes"
    )
    label = models.CharField(_("tax group"), max_length=200)
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=2)
    base = models.DecimalField(_("base"), **MONEY)
    amount = models.DecimalField(_("VAT"), **MONEY)

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
