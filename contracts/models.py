"""What was agreed: legal entities, customers, contracts, projects and what work is classified by.

Every invariant a constraint can express is a database constraint; each carries a
``violation_error_message`` so that a ModelForm shows it as a friendly form error
(``Model.full_clean`` validates constraints) before the database has to refuse it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from contracts.currencies import CURRENCY_CHOICES, CURRENCY_CODES

COUNTRY_CODES = sorted(code for code, _name in countries)

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 12, "decimal_places": 4}
PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(0), MaxValueValidator(100)],
}
NON_NEGATIVE = [MinValueValidator(0)]


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SWEDISH = "sv", _("Swedish")
    DANISH = "da", _("Danish")


def _code_constraints(model_name: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(
            fields=["code"],
            name=f"{model_name}_code_unique",
            violation_error_message=_("This code is already in use. Codes must be unique."),
        ),
        models.CheckConstraint(
            condition=~Q(code=""),
            name=f"{model_name}_code_not_blank",
            violation_error_message=_("The code cannot be blank."),
        ),
    ]


def _non_negative(field: str, model_name: str, label: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}),
        name=f"{model_name}_{field}_non_negative",
        violation_error_message=format_lazy(_("{label} cannot be less than zero."), label=label),
    )


def _percentage(field: str, model_name: str, label: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 100}),
        name=f"{model_name}_{field}_0_to_100",
        violation_error_message=format_lazy(_("{label} must be between 0 and 100 %."), label=label),
    )


def _valid_currency(field: str, model_name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": CURRENCY_CODES}),
        name=f"{model_name}_{field}_iso4217",
        violation_error_message=_(
            "Choose a valid ISO 4217 currency code, such as SEK, DKK or EUR."
        ),
    )


def _valid_country(field: str, model_name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": COUNTRY_CODES}),
        name=f"{model_name}_{field}_iso3166",
        violation_error_message=_("Choose a valid ISO 3166 country code, such as SE or DK."),
    )


class CodedModel(models.Model):
    """A record finance staff refer to by a short, unique code."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AddressMixin(models.Model):
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"))
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)

    class Meta:
        abstract = True


class PaymentTerms(CodedModel):
    """How long a customer has to pay: the due date is the invoice date plus ``net_days``."""

    net_days = models.PositiveSmallIntegerField(_("days net"), validators=[MaxValueValidator(365)])
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        constraints = [
            *_code_constraints("paymentterms"),
            models.CheckConstraint(
                condition=Q(net_days__lte=365),
                name="paymentterms_net_days_at_most_365",
                violation_error_message=_("Payment terms cannot be longer than 365 days."),
            ),
        ]


class TaxGroup(CodedModel):
    """The VAT treatment of a line: a rate, or reverse charge, or exempt (both at 0 %)."""

    rate = models.DecimalField(_("VAT rate (%)"), **PERCENT)
    is_reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    is_exempt = models.BooleanField(_("exempt"), default=False)
    note = models.CharField(
        _("text on invoice"),
        max_length=200,
        blank=True,
        help_text=_("Printed on the invoice, e.g. 'Reverse charge, art. 196 VAT directive'."),
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("tax group")
        verbose_name_plural = _("tax groups")
        constraints = [
            *_code_constraints("taxgroup"),
            _percentage("rate", "taxgroup", _("The VAT rate")),
            models.CheckConstraint(
                condition=Q(is_reverse_charge=False, is_exempt=False) | Q(rate=0),
                name="taxgroup_special_treatment_has_zero_rate",
                violation_error_message=_(
                    "Reverse-charge and exempt tax groups must have a zero VAT rate."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(is_reverse_charge=True, is_exempt=True),
                name="taxgroup_not_both_reverse_charge_and_exempt",
                violation_error_message=_(
                    "A tax group is either reverse charge or exempt, not both."
                ),
            ),
        ]


class LegalEntity(CodedModel, AddressMixin):
    """The company that invoices, with its own invoice-number series and bank details."""

    base_currency = models.CharField(_("base currency"), max_length=3, choices=CURRENCY_CHOICES)
    invoice_number_prefix = models.CharField(
        _("invoice number prefix"), max_length=10, blank=True, help_text=_("e.g. 'INV-'")
    )
    organization_number = models.CharField(_("organization number"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bankgiro = models.CharField(_("bank giro"), max_length=20, blank=True)
    locked_until = models.DateField(
        _("books closed up to"),
        null=True,
        blank=True,
        help_text=_("Nothing can be posted with an invoice date on or before this date."),
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        constraints = [
            *_code_constraints("legalentity"),
            _valid_currency("base_currency", "legalentity"),
            _valid_country("country", "legalentity"),
        ]


class Customer(CodedModel, AddressMixin):
    """Who is invoiced. Documents are rendered in the customer's language."""

    language = models.CharField(
        _("document language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    email = models.EmailField(_("invoice e-mail"), blank=True)
    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            *_code_constraints("customer"),
            _valid_country("country", "customer"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values),
                name="customer_language_supported",
                violation_error_message=_("Choose English, Swedish or Danish."),
            ),
        ]


class CategoryGroup(CodedModel):
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("category group")
        verbose_name_plural = _("category groups")
        constraints = _code_constraints("categorygroup")


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
            *_code_constraints("category"),
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
            *_code_constraints("worker"),
            _non_negative("cost_rate", "worker", _("The cost rate")),
            _non_negative("sales_rate", "worker", _("The sales rate")),
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
            *_code_constraints("item"),
            _non_negative("cost_price", "item", _("The cost price")),
            _non_negative("sales_price", "item", _("The sales price")),
        ]


class LineProperty(CodedModel):
    """Whether a line is billed: vendor purchases and expenses carry one (D365's line property)."""

    is_chargeable = models.BooleanField(_("chargeable"), default=True)
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("line property")
        verbose_name_plural = _("line properties")
        constraints = _code_constraints("lineproperty")


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
        _("invoice"),
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
            *_code_constraints("projectcontract"),
            _valid_currency("currency", "projectcontract"),
            _non_negative("contract_value", "projectcontract", _("The contract value")),
            _percentage("retention_percent", "projectcontract", _("Retention")),
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
            *_code_constraints("project"),
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
            _non_negative("cost_amount", "budget", _("The cost budget")),
            _non_negative("revenue_amount", "budget", _("The revenue budget")),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} / {self.category.code}"


class BillingRuleType(models.TextChoices):
    UNIT_OF_DELIVERY = "unit", _("Unit of delivery")
    PROGRESS_MANUAL = "progress_manual", _("Progress, manual")
    PROGRESS_AUTOMATIC = "progress_automatic", _("Progress, automatic")
    MILESTONE = "milestone", _("Milestone")
    FEE = "fee", _("Fee")
    TIME_AND_MATERIAL = "time_material", _("Time and material")


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
        constraints = [
            models.CheckConstraint(
                condition=Q(rule_type__in=BillingRuleType.values),
                name="billingrule_type_valid",
                violation_error_message=_("Choose a valid billing rule type."),
            ),
            _percentage("percent_complete", "billingrule", _("Percent complete")),
            models.CheckConstraint(
                condition=Q(fee_percent__isnull=True) | Q(fee_percent__gte=0, fee_percent__lte=100),
                name="billingrule_fee_percent_0_to_100",
                violation_error_message=_("The fee must be between 0 and 100 %."),
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
            _non_negative("amount", "billingrulecap", _("The cap")),
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
                violation_error_message=_("The percentage must be above 0 and at most 100 %."),
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
