"""Work recorded: project transactions, their funding allocations, timesheet import batches,
and the base of every background job of invoicing."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from contracts.currencies import CURRENCY_CHOICES, CURRENCY_CODES
from contracts.models import (
    MONEY,
    RATE,
    BillingRule,
    Category,
    Item,
    LineProperty,
    Milestone,
    Project,
    TransactionKind,
    Worker,
)
from contracts.texts import text_render
from funding.models import FundingLimit, FundingRule, FundingSource
from invoicing.transactions import billing_state

QUANTITY = {"max_digits": 14, "decimal_places": 4}


class BillingStatus(models.TextChoices):
    """Derived from the transaction's funders' shares (``billing_state.billing_status_derive``)."""

    UNINVOICED = billing_state.UNINVOICED, _("Uninvoiced")
    IN_PROPOSAL = billing_state.IN_PROPOSAL, _("In proposal")
    PARTLY_INVOICED = billing_state.PARTLY_INVOICED, _("Partly invoiced")
    INVOICED = billing_state.INVOICED, _("Invoiced")
    CREDITED = billing_state.CREDITED, _("Credited")


# A transaction in one of these states belongs to a document and is frozen.
LOCKED_BILLING_STATUSES = (
    BillingStatus.IN_PROPOSAL,
    BillingStatus.PARTLY_INVOICED,
    BillingStatus.INVOICED,
)


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking")
    INVALID = "invalid", _("Has errors")
    VALIDATED = "validated", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


def job_stale_before() -> datetime.datetime:
    """A running job whose last heartbeat is older than this has lost its worker."""
    return timezone.now() - settings.JOB_STALE_AFTER


class Heartbeat(models.Model):
    """What every background job records so that a dead worker is noticed: the time of its
    last sign of life (written as the work goes on) and which attempt is the current one (a
    task of an earlier attempt that wakes up late finds it superseded and stops)."""

    heartbeat_at = models.DateTimeField(_("last sign of life"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)

    class Meta:
        abstract = True

    @property
    def is_stalled(self) -> bool:
        """Running, but nothing heard from its worker for longer than JOB_STALE_AFTER."""
        return self.is_running and self.heartbeat_at < job_stale_before()

    @property
    def status_label(self) -> str:
        """The status in words, "Stalled" for a running job whose worker stopped."""
        return _("Stalled") if self.is_stalled else self.get_status_display()


class ImportBatch(Heartbeat):
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
    encoding = models.CharField(
        _("read as"),
        max_length=20,
        blank=True,
        choices=[
            ("utf-8", "UTF-8"),
            ("utf-16", "UTF-16"),
            ("windows-1252", _("Windows-1252 (Excel's CSV)")),
        ],
        help_text=_("The character encoding the file was read in."),
    )
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
    # A description a billing rule wrote ("Progress: 12.5 %") is its kind and parameters
    # (``contracts/texts.py``), shown in each reader's language; ``description`` keeps it in
    # the language of whoever billed, for search and exports. Typed and imported ones have no
    # kind. Database defaults, so that the bulk import's COPY need not name them.
    description_kind = models.CharField(
        _("kind of description"), max_length=40, blank=True, default="", db_default=""
    )
    description_params = models.JSONField(
        _("description parameters"), null=True, blank=True, default=None
    )
    is_chargeable = models.BooleanField(_("chargeable"), default=True)
    # Written only by ``proposals.state.transactions_billing_status_refresh`` (derived from the
    # shares, in the same database transaction as every change to them); stored for filters.
    billing_status = models.CharField(
        _("billing status"),
        max_length=16,
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
        db_index=False,  # a partial index below: imported rows leave it empty
    )
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("milestone"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
        db_index=False,  # a partial index below
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    history = HistoricalRecords()

    @property
    def text(self) -> str:
        """The description in the active language (the reader's)."""
        return text_render(self.description_kind, self.description_params, self.description)

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
            # Only on-account lines name a billing rule or a milestone: indexing just those
            # serves every look-up by one (and the database's own checks when one is deleted)
            # and spares a bulk import two index entries a row.
            models.Index(
                fields=["billing_rule"],
                condition=Q(billing_rule__isnull=False),
                name="transaction_billing_rule_idx",
            ),
            # Prepayments (on-account lines no rule or milestone made) are few: "billable now"
            # asks which contracts have one without reading every transaction.
            models.Index(
                fields=["project"],
                condition=Q(
                    kind=TransactionKind.ON_ACCOUNT,
                    billing_rule__isnull=True,
                    milestone__isnull=True,
                ),
                name="transaction_prepayment_idx",
            ),
            models.Index(
                fields=["milestone"],
                condition=Q(milestone__isnull=False),
                name="transaction_milestone_idx",
            ),
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
    # The rule and the binding limit only explain the share on its page (the amount, the
    # source and limit_ids are what is billed and released): they are kept by Django alone,
    # with no foreign-key constraint in the database, whose per-row check cost every bulk
    # import and billing run as much as writing the row. Deleting a rule or limit through
    # Django still empties them (SET_NULL).
    rule = models.ForeignKey(
        FundingRule,
        verbose_name=_("funding rule"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,  # for display only; deleting a rule is rare
        db_constraint=False,
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
        db_constraint=False,  # for display only, as the rule above
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
        indexes = [
            models.Index(fields=["source", "transaction"]),
            # Shares on hold or that no source funds are few: "billable now" and the billing
            # status read them per contract from this small index instead of every share.
            models.Index(
                fields=["transaction"],
                condition=Q(is_on_hold=True) | Q(source__isnull=True),
                name="allocation_held_unfunded_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source or _('Unfunded')}: {self.amount}"


class BackgroundJob(Heartbeat):
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

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING


class JobKind(models.TextChoices):
    """The background jobs that are divided into chunks."""

    BILLING_RUN = "billing_run", _("Billing run")
    PDF_BATCH = "pdf_batch", _("PDF batch")


class ChunkStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobChunk(models.Model):
    """One share of a divisible job (a billing run's contracts, a PDF batch's invoices), done by
    whichever worker claims it. ``attempts`` counts the claims: a worker that claimed attempt n
    writes its result only if the chunk is still running under attempt n (checked under the
    chunk's row lock), so a chunk taken over from a dead worker is never done twice."""

    job_kind = models.CharField(_("job"), max_length=12, choices=JobKind.choices)
    job_id = models.BigIntegerField(_("job number"))
    number = models.PositiveIntegerField(_("chunk"))
    item_ids = models.JSONField(_("items"), default=list)
    status = models.CharField(
        _("status"), max_length=8, choices=ChunkStatus.choices, default=ChunkStatus.QUEUED
    )
    worker = models.CharField(
        pgettext_lazy("background process", "worker"), max_length=255, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    proposals_created = models.PositiveIntegerField(_("proposals created"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    # A PDF batch's chunk keeps its PDFs (a ZIP) here until the batch's file is assembled: in
    # the database, which every worker machine reaches.
    output = models.BinaryField(_("output"), null=True, blank=True)

    class Meta:
        verbose_name = _("job chunk")
        verbose_name_plural = _("job chunks")
        ordering = ["job_kind", "job_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["job_kind", "job_id", "number"], name="jobchunk_one_number_per_job"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ChunkStatus.values), name="jobchunk_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(job_kind__in=JobKind.values), name="jobchunk_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["job_kind", "job_id", "status"])]

    def __str__(self) -> str:
        return f"{self.get_job_kind_display()} {self.job_id} #{self.number}"

    @property
    def is_stalled(self) -> bool:
        """Claimed, but nothing heard from its worker for longer than JOB_STALE_AFTER."""
        return (
            self.status == ChunkStatus.RUNNING
            and self.heartbeat_at is not None
            and self.heartbeat_at < job_stale_before()
        )
