"""Who pays: funding sources, limits and rules of a contract (DOMAIN.md section 3).

The arithmetic lives in the pure ``funding.allocation`` engine; these models only hold the
set-up. What the database can guard, it guards: percentages within 0..100, non-negative limits,
one on-hold and one rounding source per contract, one line per source and rule.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models import (
    MONEY,
    Category,
    CategoryGroup,
    Customer,
    Item,
    Project,
    ProjectContract,
    TransactionKind,
    Worker,
    constraint_message,
)


class SourceType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    ORGANIZATION = "organization", _("Internal organization")
    GRANT = "grant", _("Grant")


class FundingSource(models.Model):
    """Who pays a share of a contract: a customer, an internal organization, or a grantor."""

    contract = models.ForeignKey(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="funding_sources",
    )
    name = models.CharField(_("name"), max_length=200)
    source_type = models.CharField(
        _("source type"), max_length=20, choices=SourceType.choices, default=SourceType.CUSTOMER
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("invoiced customer"),
        on_delete=models.PROTECT,
        related_name="funding_sources",
        null=True,
        blank=True,
        help_text=_(
            "Who receives the invoices; the grantor for a grant. Not for internal organizations."
        ),
    )
    is_on_hold = models.BooleanField(
        _("on-hold source"),
        default=False,
        help_text=_("Takes what no rule can fund, until more funding arrives."),
    )
    is_rounding_source = models.BooleanField(_("takes rounding differences"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        ordering = ["contract", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "name"],
                name="fundingsource_name_unique_per_contract",
                violation_error_message=_(
                    "This contract already has a funding source with this name."
                ),
            ),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(is_on_hold=True),
                name="fundingsource_one_on_hold_per_contract",
                violation_error_message=_("A contract can have only one on-hold funding source."),
            ),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(is_rounding_source=True),
                name="fundingsource_one_rounding_source_per_contract",
                violation_error_message=_(
                    "Only one funding source of a contract can take rounding differences."
                ),
            ),
            models.CheckConstraint(
                condition=Q(source_type__in=SourceType.values),
                name="fundingsource_type_valid",
                violation_error_message=_("Choose a valid source type."),
            ),
            models.CheckConstraint(
                condition=Q(source_type="organization") | Q(customer__isnull=False),
                name="fundingsource_invoiced_source_has_customer",
                violation_error_message=_(
                    "Customer and grant sources need the customer who is invoiced."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FundingLimit(models.Model):
    """A cap on what one source pays, optionally narrowed to a project, category, worker,
    item, transaction kind and date range."""

    source = models.ForeignKey(
        FundingSource,
        verbose_name=_("funding source"),
        on_delete=models.CASCADE,
        related_name="limits",
    )
    amount = models.DecimalField(_("limit"), **MONEY, validators=[MinValueValidator(0)])
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    worker = models.ForeignKey(
        Worker,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(
        _("transaction kind"), max_length=20, choices=TransactionKind.choices, blank=True
    )
    date_from = models.DateField(_("from"), null=True, blank=True)
    date_to = models.DateField(_("to"), null=True, blank=True)
    # Committed so far by recorded transactions; kept by the services under a row lock.
    used_amount = models.DecimalField(_("used"), **MONEY, default=0, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding limit")
        verbose_name_plural = _("funding limits")
        ordering = ["source__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="fundinglimit_amount_non_negative",
                violation_error_message=_("A funding limit cannot be less than zero."),
            ),
            models.CheckConstraint(
                condition=Q(used_amount__gte=0, used_amount__lte=models.F("amount")),
                name="fundinglimit_used_within_limit",
                violation_error_message=_(
                    "A funding limit cannot be lower than what is already used."
                ),
            ),
            models.CheckConstraint(
                condition=Q(date_from__isnull=True)
                | Q(date_to__isnull=True)
                | Q(date_to__gte=models.F("date_from")),
                name="fundinglimit_dates_in_order",
                violation_error_message=_("The end of the date range cannot be before its start."),
            ),
            models.CheckConstraint(
                condition=Q(kind="") | Q(kind__in=TransactionKind.values),
                name="fundinglimit_kind_valid",
                violation_error_message=_("Choose a valid transaction kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.amount}"

    @property
    def remaining_amount(self):
        return self.amount - self.used_amount

    @property
    def used_percent(self):
        return self.used_amount * 100 / self.amount if self.amount else 0

    @property
    def criteria_labels(self) -> list[str]:
        labels = [
            str(value)
            for value in (self.project, self.category, self.worker, self.item)
            if value is not None
        ]
        if self.kind:
            labels.append(self.get_kind_display())
        return labels


class FundingRule(models.Model):
    """Which transactions a rule covers (criteria, validity) and in which order (priority)."""

    contract = models.ForeignKey(
        ProjectContract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="funding_rules",
    )
    name = models.CharField(_("name"), max_length=200)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        validators=[MinValueValidator(1), MaxValueValidator(999)],
        help_text=_("1 is applied first."),
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    worker = models.ForeignKey(
        Worker,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    item = models.ForeignKey(
        Item,
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category_group = models.ForeignKey(
        CategoryGroup,
        verbose_name=_("category group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(
        _("transaction kind"), max_length=20, choices=TransactionKind.choices, blank=True
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding rule")
        verbose_name_plural = _("funding rules")
        ordering = ["contract", "priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1),
                name="fundingrule_priority_from_1",
                violation_error_message=_("The priority starts at 1."),
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="fundingrule_validity_in_order",
                violation_error_message=_("'Valid to' cannot be before 'valid from'."),
            ),
            models.CheckConstraint(
                condition=Q(kind="") | Q(kind__in=TransactionKind.values),
                name="fundingrule_kind_valid",
                violation_error_message=_("Choose a valid transaction kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}. {self.name}"

    @property
    def criteria_labels(self) -> list[str]:
        """What the rule is narrowed to, for display ("All transactions" when empty)."""
        labels = [
            str(value)
            for value in (self.project, self.worker, self.item, self.category, self.category_group)
            if value is not None
        ]
        if self.kind:
            labels.append(self.get_kind_display())
        return labels


class FundingRuleLine(models.Model):
    """One allocation line of a rule: this source pays this percentage of what the rule takes."""

    rule = models.ForeignKey(
        FundingRule, verbose_name=_("funding rule"), on_delete=models.CASCADE, related_name="lines"
    )
    source = models.ForeignKey(
        FundingSource,
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="rule_lines",
    )
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allocation line")
        verbose_name_plural = _("allocation lines")
        ordering = ["rule", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "source"],
                name="fundingruleline_one_line_per_source",
                violation_error_message=_("A funding source can appear only once in a rule."),
            ),
            models.CheckConstraint(
                condition=Q(percentage__gt=0, percentage__lte=100),
                name="fundingruleline_percentage_0_to_100",
                violation_error_message=constraint_message(
                    _("A percentage must be above 0 and at most 100 %.")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} {self.percentage} %"
