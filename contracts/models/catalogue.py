"""What work is classified by: category groups, categories, workers, items, line properties,
and the kinds of transaction."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.base import (
    NON_NEGATIVE,
    RATE,
    CodedModel,
    code_constraints,
    non_negative_constraint,
)


class CategoryGroup(CodedModel):
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("category group")
        verbose_name_plural = _("category groups")
        constraints = code_constraints("categorygroup")


class TransactionKind(models.TextChoices):
    """What a project transaction records; shared by categories, funding rules and billing."""

    HOUR = "hour", _("Hour")
    EXPENSE = "expense", _("Expense")
    ITEM = "item", _("Item")
    FEE = "fee", _("Fee")
    ON_ACCOUNT = "on_account", _("On-account")


class Category(CodedModel):
    """Classifies work (Development, Installation, Office supplies) and carries its kind."""

    group = models.ForeignKey(
        CategoryGroup,
        verbose_name=_("category group"),
        on_delete=models.PROTECT,
        related_name="categories",
    )
    kind = models.CharField(_("transaction kind"), max_length=20, choices=TransactionKind.choices)
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            *code_constraints("category"),
            models.CheckConstraint(
                condition=Q(kind__in=TransactionKind.values),
                name="category_kind_valid",
                violation_error_message=_("Choose a valid transaction kind."),
            ),
        ]


class Worker(CodedModel):
    """A person whose hours are recorded; rates are the defaults for their timesheet lines."""

    email = models.EmailField(_("e-mail"), blank=True)
    cost_rate = models.DecimalField(_("cost rate per hour"), **RATE, validators=NON_NEGATIVE)
    sales_rate = models.DecimalField(_("sales rate per hour"), **RATE, validators=NON_NEGATIVE)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        constraints = [
            *code_constraints("worker"),
            non_negative_constraint("cost_rate", "worker", _("The cost rate")),
            non_negative_constraint("sales_rate", "worker", _("The sales rate")),
        ]


class Item(CodedModel):
    """Goods sold or bought for a project, with default prices per unit."""

    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="items",
        null=True,
        blank=True,
    )
    cost_price = models.DecimalField(_("cost price"), **RATE, validators=NON_NEGATIVE)
    sales_price = models.DecimalField(_("sales price"), **RATE, validators=NON_NEGATIVE)
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            *code_constraints("item"),
            non_negative_constraint("cost_price", "item", _("The cost price")),
            non_negative_constraint("sales_price", "item", _("The sales price")),
        ]


class LineProperty(CodedModel):
    """Whether a line is billed: vendor purchases and expenses carry one (D365's line property)."""

    is_chargeable = models.BooleanField(_("chargeable"), default=True)
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("line property")
        verbose_name_plural = _("line properties")
        constraints = code_constraints("lineproperty")
