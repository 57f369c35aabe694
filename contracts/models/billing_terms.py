"""How much to invoice and when: billing rules with their caps, billing-plan templates, and the
milestones of a schedule (planned -> completed -> invoiced)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from contracts.models.agreements import Project, ProjectContract
from contracts.models.base import (
    MONEY,
    NON_NEGATIVE,
    PERCENT,
    constraint_message,
    non_negative_constraint,
    percentage_constraint,
)
from contracts.models.catalogue import Category


class BillingRuleType(models.TextChoices):
    UNIT_OF_DELIVERY = "unit", _("Unit of delivery")
    PROGRESS_MANUAL = "progress_manual", _("Progress, manual")
    PROGRESS_AUTOMATIC = "progress_automatic", _("Progress, automatic")
    MILESTONE = "milestone", _("Milestone")
    FEE = "fee", _("Fee")
    TIME_AND_MATERIAL = "time_material", _("Time and material")


# The terms each rule type uses; a rule keeps the others empty (``services.billing_rule_save``
# clears them, the form shows only these). Caps and chargeable categories are time and material's.
RULE_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    BillingRuleType.UNIT_OF_DELIVERY: ("unit_name", "unit_price", "total_units", "units_delivered"),
    BillingRuleType.PROGRESS_MANUAL: ("percent_complete", "propose_at_thresholds"),
    BillingRuleType.PROGRESS_AUTOMATIC: ("propose_at_thresholds",),
    BillingRuleType.MILESTONE: (),
    BillingRuleType.FEE: ("fee_percent",),
    BillingRuleType.TIME_AND_MATERIAL: ("chargeable_categories", "caps"),
}
# Each type-specific term and its value on a rule of another type.
RULE_TERM_EMPTY = {
    "unit_name": "",
    "unit_price": None,
    "total_units": None,
    "units_delivered": Decimal("0"),
    "percent_complete": Decimal("0"),
    "propose_at_thresholds": False,
    "fee_percent": None,
}


class BillingRule(models.Model):
    """How much of a contract to invoice, for one or more of its projects (DOMAIN.md section 4).

    The amounts are computed by the pure ``invoicing.billing`` module; this holds the terms and
    the progress a project manager enters (units delivered, percent complete).
    """

    contract = models.ForeignKey(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="billing_rules",
    )
    name = models.CharField(_("name"), max_length=200)
    rule_type = models.CharField(_("type"), max_length=20, choices=BillingRuleType.choices)
    projects = models.ManyToManyField(
        Project, verbose_name=_("projects"), related_name="billing_rules"
    )
    chargeable_categories = models.ManyToManyField(
        Category,
        verbose_name=_("chargeable categories"),
        related_name="billing_rules",
        blank=True,
        help_text=_("Leave empty to bill every category."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    applies_retention = models.BooleanField(_("withhold the contract's retention"), default=True)
    unit_name = models.CharField(_("unit"), max_length=50, blank=True)
    unit_price = models.DecimalField(
        _("unit price"), **MONEY, null=True, blank=True, validators=NON_NEGATIVE
    )
    total_units = models.DecimalField(
        _("total units"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=NON_NEGATIVE,
    )  # fmt: skip
    units_delivered = models.DecimalField(
        _("units delivered"), max_digits=12, decimal_places=2, default=0, validators=NON_NEGATIVE
    )
    percent_complete = models.DecimalField(_("percent complete"), **PERCENT, default=0)
    fee_percent = models.DecimalField(_("fee (%)"), **PERCENT, null=True, blank=True)
    propose_at_thresholds = models.BooleanField(
        _("create proposals at 25, 50, 75 and 100 percent complete"), default=False
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("billing rule")
        verbose_name_plural = _("billing rules")
        ordering = ["contract", "pk"]
        # Entering progress (units delivered, percent complete) is not changing the rule's
        # terms: project managers have this and not change_billingrule.
        permissions = [("record_progress", _("Can record progress and units delivered"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(rule_type__in=BillingRuleType.values),
                name="billingrule_type_valid",
                violation_error_message=_("Choose a valid billing rule type."),
            ),
            percentage_constraint("percent_complete", "billingrule", _("Percent complete")),
            models.CheckConstraint(
                condition=Q(fee_percent__isnull=True) | Q(fee_percent__gte=0, fee_percent__lte=100),
                name="billingrule_fee_percent_0_to_100",
                violation_error_message=constraint_message(
                    _("The fee must be between 0 and 100 %.")
                ),
            ),
            models.CheckConstraint(
                condition=Q(units_delivered__gte=0)
                & (Q(total_units__isnull=True) | Q(units_delivered__lte=models.F("total_units"))),
                name="billingrule_units_within_total",
                violation_error_message=_("Units delivered cannot exceed the total units."),
            ),
            models.CheckConstraint(
                condition=~Q(rule_type="unit")
                | Q(unit_price__isnull=False, total_units__isnull=False),
                name="billingrule_unit_terms_complete",
                violation_error_message=_(
                    "A unit-of-delivery rule needs a unit price and total units."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(rule_type="fee") | Q(fee_percent__isnull=False),
                name="billingrule_fee_terms_complete",
                violation_error_message=_("A fee rule needs a fee percentage."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_rule_type_display()})"


class BillingRuleCap(models.Model):
    """A not-to-exceed cap on what a time-and-material rule bills in one category."""

    rule = models.ForeignKey(
        BillingRule, verbose_name=_("billing rule"), on_delete=models.CASCADE, related_name="caps"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("not to exceed"), **MONEY, validators=NON_NEGATIVE)

    class Meta:
        verbose_name = _("not-to-exceed cap")
        verbose_name_plural = _("not-to-exceed caps")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "category"],
                name="billingrulecap_one_per_category",
                violation_error_message=_("This rule already has a cap for this category."),
            ),
            non_negative_constraint("amount", "billingrulecap", _("The cap")),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.amount}"


class BillingPlanTemplate(models.Model):
    """Percentages that fill a milestone schedule from a contract value (e.g. 30/30/40)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    percents = models.JSONField(
        _("percentages"), help_text=_("e.g. [30, 30, 40]; they must add up to 100.")
    )
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)

    class Meta:
        verbose_name = _("billing plan template")
        verbose_name_plural = _("billing plan templates")
        ordering = ["-is_builtin", "name"]

    def __str__(self) -> str:
        return self.name


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    COMPLETED = "completed", _("Completed")
    INVOICED = "invoiced", _("Invoiced")


class Milestone(models.Model):
    """One line of a contract's billing schedule: planned -> completed -> invoiced.

    Transitions are django-fsm-2 methods; services lock the row and call them. No form or admin
    page exposes the status. (django-fsm's ``protected`` would also forbid refresh_from_db.)
    """

    contract = models.ForeignKey(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="milestones",
        null=True, blank=True,
    )  # fmt: skip
    sequence = models.PositiveSmallIntegerField(_("no."), default=1)
    description = models.CharField(_("description"), max_length=200)
    activity = models.CharField(_("activity"), max_length=200, blank=True)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(
        _("amount"), **MONEY, null=True, blank=True, validators=NON_NEGATIVE
    )
    percent = models.DecimalField(
        _("percent of contract value"), **{**PERCENT}, null=True, blank=True
    )
    status = FSMField(
        _("status"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED,
    )  # fmt: skip
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("completed by"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    accepted_by_name = models.CharField(_("accepted by (customer)"), max_length=200, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    acceptance_evidence = models.FileField(
        _("acceptance evidence"), upload_to="acceptance/%Y/", blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["contract", "due_date", "sequence", "pk"]
        permissions = [("complete_milestone", _("Can complete milestones"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=False, percent__isnull=True)
                | Q(amount__isnull=True, percent__isnull=False),
                name="milestone_amount_or_percent",
                violation_error_message=_(
                    "Give either an amount or a percentage of the contract value."
                ),
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gt=0, percent__lte=100),
                name="milestone_percent_0_to_100",
                violation_error_message=constraint_message(
                    _("The percentage must be above 0 and at most 100 %.")
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="milestone_amount_non_negative",
                violation_error_message=_("The amount cannot be less than zero."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values),
                name="milestone_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="planned") | Q(completed_at__isnull=False),
                name="milestone_completed_has_a_date",
                violation_error_message=_("A completed milestone records when it was completed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.code} #{self.sequence} {self.description}"

    @property
    def is_overdue(self) -> bool:
        return self.status == MilestoneStatus.PLANNED and self.due_date < timezone.localdate()

    def acceptance_is_recorded(self) -> bool:
        return bool(self.accepted_by_name and self.accepted_on)

    def acceptance_ok(self) -> bool:
        return not self.contract.requires_customer_acceptance or self.acceptance_is_recorded()

    @transition(field=status, source=MilestoneStatus.PLANNED, target=MilestoneStatus.COMPLETED,
                conditions=[acceptance_ok], permission="contracts.complete_milestone")  # fmt: skip
    def complete(self, *, by, when=None) -> None:
        self.completed_by = by
        self.completed_at = when or timezone.now()

    @transition(field=status, source=MilestoneStatus.COMPLETED, target=MilestoneStatus.INVOICED)
    def mark_invoiced(self) -> None:
        """Only the posting of an invoice calls this (through the invoicing services)."""

    @transition(field=status, source=MilestoneStatus.INVOICED, target=MilestoneStatus.COMPLETED)
    def mark_credited(self) -> None:
        """The invoice line was credited: the milestone can be invoiced again."""
