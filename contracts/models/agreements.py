"""What was agreed: project contracts, their projects (and subprojects) and budgets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from contracts.currencies import CURRENCY_CHOICES
from contracts.models.base import (
    MONEY,
    NON_NEGATIVE,
    PERCENT,
    CodedModel,
    code_constraints,
    currency_constraint,
    non_negative_constraint,
    percentage_constraint,
)
from contracts.models.catalogue import Category
from contracts.models.parties import Customer, LegalEntity, PaymentTerms, TaxGroup


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class InvoicingScope(models.TextChoices):
    WHOLE_CONTRACT = "contract", _("All projects together")
    PER_PROJECT = "project", _("Each project alone")


class ProjectContract(CodedModel):
    """The agreement with one or more funders; its projects are invoiced under its terms."""

    legal_entity = models.ForeignKey(
        LegalEntity,
        verbose_name=_("legal entity"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    contract_value = models.DecimalField(
        _("contract value"), **MONEY, default=0, validators=NON_NEGATIVE
    )
    retention_percent = models.DecimalField(_("retention (%)"), **PERCENT, default=0)
    default_tax_group = models.ForeignKey(
        TaxGroup,
        verbose_name=_("default tax group"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    invoicing_scope = models.CharField(
        pgettext_lazy("document", "invoice"),
        max_length=10,
        choices=InvoicingScope.choices,
        default=InvoicingScope.WHOLE_CONTRACT,
    )
    requires_customer_acceptance = models.BooleanField(
        _("milestones need customer acceptance"), default=False
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    customer_reference = models.CharField(_("customer reference"), max_length=100, blank=True)
    buyer_reference = models.CharField(
        _("buyer reference"),
        max_length=100,
        blank=True,
        help_text=_(
            "The reference the customer asks for on this contract's e-invoices (BT-10). Leave "
            "blank to use the customer's."
        ),
    )
    order_reference = models.CharField(
        _("order reference"),
        max_length=100,
        blank=True,
        help_text=_("The customer's purchase order number (BT-13)."),
    )
    description = models.TextField(_("description"), blank=True)
    propose_on_milestone_completion = models.BooleanField(
        _("create the proposal when a milestone is completed"), default=False
    )
    submit_automatic_proposals = models.BooleanField(
        _("submit automatically created proposals for approval"), default=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("project contract")
        verbose_name_plural = _("project contracts")
        permissions = [("export_projectcontract", _("Can export project contracts"))]
        constraints = [
            *code_constraints("projectcontract"),
            currency_constraint("currency", "projectcontract"),
            non_negative_constraint("contract_value", "projectcontract", _("The contract value")),
            percentage_constraint("retention_percent", "projectcontract", _("Retention")),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="projectcontract_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values),
                name="projectcontract_status_valid",
                violation_error_message=_("Choose a valid status."),
            ),
            models.CheckConstraint(
                condition=Q(submit_automatic_proposals=False)
                | Q(propose_on_milestone_completion=True),
                name="projectcontract_submit_needs_automatic_proposals",
                violation_error_message=_(
                    "Proposals can only be submitted automatically when they are created "
                    "automatically."
                ),
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract_detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        super().clean()
        self.buyer_reference = self.buyer_reference.strip()
        self.order_reference = self.order_reference.strip()


class ProjectType(models.TextChoices):
    TIME_AND_MATERIAL = "time_material", _("Time and material")
    FIXED_PRICE = "fixed_price", _("Fixed price")
    INTERNAL = "internal", _("Internal")
    COST = "cost", _("Cost")


INVOICEABLE_PROJECT_TYPES = (ProjectType.TIME_AND_MATERIAL, ProjectType.FIXED_PRICE)


class ProjectStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Project(CodedModel):
    """Where work happens. Only time-and-material and fixed-price projects can be invoiced,
    and each of those belongs to exactly one contract; subprojects follow their parent's contract.
    """

    contract = models.ForeignKey(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent project"),
        on_delete=models.PROTECT,
        related_name="subprojects",
        null=True,
        blank=True,
    )
    project_type = models.CharField(_("project type"), max_length=20, choices=ProjectType.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.OPEN
    )
    tax_group = models.ForeignKey(
        TaxGroup,
        verbose_name=_("tax group"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
        help_text=_("Leave empty to use the contract's default tax group."),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("project manager"),
        on_delete=models.SET_NULL,
        related_name="managed_projects",
        null=True,
        blank=True,
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            *code_constraints("project"),
            models.CheckConstraint(
                condition=Q(project_type__in=ProjectType.values),
                name="project_type_valid",
                violation_error_message=_("Choose a valid project type."),
            ),
            models.CheckConstraint(
                condition=~Q(project_type__in=INVOICEABLE_PROJECT_TYPES)
                | Q(contract__isnull=False),
                name="project_invoiceable_has_contract",
                violation_error_message=_(
                    "Time-and-material and fixed-price projects must belong to a contract."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")),
                name="project_not_own_parent",
                violation_error_message=_("A project cannot be its own parent."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="project_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    @property
    def is_invoiceable(self) -> bool:
        return self.project_type in INVOICEABLE_PROJECT_TYPES

    def get_absolute_url(self) -> str:
        return reverse("contracts:project_detail", kwargs={"pk": self.pk})


class Budget(models.Model):
    """Cost and revenue budget of one project for one category (used by automatic progress)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="budgets"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="budgets"
    )
    cost_amount = models.DecimalField(_("cost budget"), **MONEY, validators=NON_NEGATIVE)
    revenue_amount = models.DecimalField(_("revenue budget"), **MONEY, validators=NON_NEGATIVE)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["project__code", "category__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "category"],
                name="budget_one_per_project_and_category",
                violation_error_message=_("This project already has a budget for this category."),
            ),
            non_negative_constraint("cost_amount", "budget", _("The cost budget")),
            non_negative_constraint("revenue_amount", "budget", _("The revenue budget")),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} / {self.category.code}"
