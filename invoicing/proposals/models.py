"""Billing rules applied: invoice proposals, their lines, and billing runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from contracts.models import (
    MONEY,
    RATE,
    BillingRule,
    Project,
    ProjectContract,
    TransactionKind,
)
from contracts.texts import money_text
from funding.models import FundingSource
from invoicing.proposals.line_texts import line_text
from invoicing.transactions.models import (
    QUANTITY,
    BackgroundJob,
    ProjectTransaction,
    TransactionAllocation,
)


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
    # Empty when the contract's automation created it (its history says who set it off).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
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
    CREDIT = "credit", pgettext_lazy("line type", "Credit")
    FEE = "fee", _("Fee")
    RETENTION_RELEASE = "retention_release", _("Retention release")
    DEDUCTION = "deduction", _("On-account deduction")


class ProposalLine(models.Model):
    """One line of a proposal: a funding source's share of a transaction, or a computed line."""

    proposal = models.ForeignKey(
        InvoiceProposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="lines"
    )
    line_type = models.CharField(_("line type"), max_length=20, choices=ProposalLineType.choices)
    # The funder's share a transaction line bills (all of it, or its part within a
    # not-to-exceed cap) or a credit line credits. Lines of cancelled proposals keep their
    # description and amount but may lose the link when the transaction is later edited (its
    # allocations are made again).
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
    # A generated description is its kind and parameters (``line_texts.py``), written in the
    # reader's language when shown; a typed one has no kind and stays as typed.
    description_kind = models.CharField(
        _("kind of description"), max_length=40, blank=True, default=""
    )
    description_params = models.JSONField(_("description parameters"), default=dict, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=1)
    unit_price = models.DecimalField(_("unit price"), **RATE, null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    credited_line = models.ForeignKey(
        "InvoiceLine", verbose_name=_("credits invoice line"), on_delete=models.PROTECT,
        related_name="credit_proposal_lines", null=True, blank=True,
    )  # fmt: skip
    # The fee rule that made this line: its amount follows the rule's base on the draft's
    # current lines. Empty on a fee added by hand, which is left as it was entered.
    fee_rule = models.ForeignKey(
        BillingRule, verbose_name=_("fee rule"), on_delete=models.PROTECT,
        related_name="fee_lines", null=True, blank=True,
    )  # fmt: skip
    # The transaction's sales price before it was first changed on a draft (the approver sees
    # "was X, now Y"); empty when the price was never changed on a proposal.
    original_sales_price = models.DecimalField(
        _("price before the change"), **RATE, null=True, blank=True
    )
    # Likewise the quantity and the generated text before the clerk changed them on a draft;
    # empty when never changed.
    original_quantity = models.DecimalField(
        _("quantity before the change"), **QUANTITY, null=True, blank=True
    )
    original_description = models.CharField(_("text before the change"), max_length=500, blank=True)
    # True while the proposal is open; a share is billed by at most one open line (constraint
    # below); credit lines naming it do not count.
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("proposal line")
        verbose_name_plural = _("proposal lines")
        ordering = ["proposal", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation"],
                condition=Q(is_open=True, line_type="transaction"),
                name="proposalline_allocation_in_one_open_proposal",
                violation_error_message=_("This line is already in another open proposal."),
            ),
            models.CheckConstraint(
                condition=Q(line_type__in=ProposalLineType.values), name="proposalline_type_valid"
            ),
            # An open transaction line bills one funder's share; a closed one (cancelled or
            # posted) keeps its transaction but loses the share when the transaction is
            # funded again later (repriced after a cancellation or a credit to bill again).
            models.CheckConstraint(
                condition=~Q(line_type="transaction")
                | Q(is_open=False, transaction__isnull=False)
                | Q(allocation__isnull=False, transaction__isnull=False),
                name="proposalline_transaction_line_has_allocation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text}: {money_text(self.amount)}"

    @property
    def text(self) -> str:
        """The description in the active language (the reader's)."""
        return line_text(self)


class BillingRun(BackgroundJob):
    """Generating proposals for many contracts up to a date, as background work divided into
    chunks of contracts (``JobChunk``, ``runs.py``); its figures are the sums of its chunks'."""

    up_to_date = models.DateField(_("billed up to"))
    split_by_kind = models.BooleanField(_("one proposal per transaction kind"), default=False)
    total_contracts = models.PositiveIntegerField(_("contracts"), default=0)
    processed_contracts = models.PositiveIntegerField(_("processed"), default=0)
    proposals_created = models.PositiveIntegerField(_("proposals created"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

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


class BillableFigure(models.Model):
    """What ``billable.billable_preview`` said of one active contract when it last ran, kept
    so that a page showing every contract's figure at once (the dashboard) reads a few rows
    instead of working through every unbilled share on each view. Written only by
    ``billable_figures.billable_figures_store``; never more than ``BILLABLE_FIGURES_MAX_AGE``
    old when a page reads it (``billable_figures.billable_figures_current``)."""

    contract = models.OneToOneField(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    up_to_date = models.DateField(_("billable up to"))
    computed_at = models.DateTimeField(_("computed"))
    total = models.DecimalField(_("billable now"), **MONEY)
    work = models.DecimalField(_("work"), **MONEY)
    fees = models.DecimalField(_("fees"), **MONEY)
    deductions = models.DecimalField(_("deductions"), **MONEY)
    on_account = models.DecimalField(_("on account"), **MONEY)
    on_hold = models.DecimalField(_("on hold"), **MONEY)
    over_cap = models.DecimalField(_("over the cap"), **MONEY)
    milestones = models.PositiveIntegerField(_("completed milestones"), default=0)

    class Meta:
        verbose_name = _("billable figure")
        verbose_name_plural = _("billable figures")
        indexes = [models.Index(fields=["-total"], name="billablefigure_total_desc")]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.total} ({self.up_to_date})"
