"""Forms for contracts, projects and budgets. Validation messages come from the models'
constraints and the services' checks, so the form and the database say the same thing."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from contracts.currencies import currency_choices
from contracts.date_inputs import DatePickerInput
from contracts.file_checks import uploaded_file_media_type
from contracts.models import (
    BillingPlanTemplate,
    BillingRule,
    BillingRuleCap,
    Budget,
    Category,
    Customer,
    DocumentKind,
    ExchangeRate,
    Milestone,
    Project,
    ProjectContract,
)
from contracts.models.parties import CUSTOMER_EDITABLE_FIELDS
from contracts.money import plain_number
from contracts.number_fields import number_field_like
from contracts.rate_files import LAYOUTS
from contracts.services import (
    EVIDENCE_MAX_MB,
    PROGRESS_FIELDS,
    PROJECT_TYPE_LOCKED,
    contract_validate,
    project_has_transactions,
    project_validate,
)

DATE_INPUT = DatePickerInput()


class CheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes as Bootstrap's form-check rows (Django's own markup put the input's class on
    the list too, and the list collapsed into a 1em box)."""

    template_name = "contracts/widgets/checkbox_list.html"
    option_template_name = "contracts/widgets/checkbox_option.html"


class BootstrapFormMixin:
    """Adds Bootstrap classes to every widget, and the invalid state to fields with errors;
    every DecimalField reads and shows numbers in the page's language (``number_fields``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._localize_fields()

    def _localize_fields(self) -> None:
        for name, field in self.fields.items():
            if type(field) is forms.DecimalField:
                self.fields[name] = number_field_like(field)
            elif name.endswith("currency") and isinstance(field, forms.ChoiceField):
                # Common currencies first, current ones only, named in the page's language.
                blank = [choice for choice in field.choices if choice[0] == ""]
                keep = self.initial.get(name) or ""
                field.choices = blank + currency_choices(keep=keep)

    def _apply_bootstrap(self) -> None:
        self._localize_fields()  # fields a form adds after __init__ too
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        self._apply_bootstrap()


class ContractValidationMixin:
    """Runs the service's contract checks (currency and retention fixed once the contract has
    transactions or invoices), so the form shows them next to their fields."""

    def _post_clean(self):
        super()._post_clean()
        try:
            contract_validate(contract=self.instance)
        except forms.ValidationError as error:
            self._update_errors(error)


class ContractForm(ContractValidationMixin, BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ProjectContract
        fields = [
            "code",
            "name",
            "legal_entity",
            "customer",
            "status",
            "currency",
            "contract_value",
            "retention_percent",
            "default_tax_group",
            "payment_terms",
            "invoicing_scope",
            "requires_customer_acceptance",
            "start_date",
            "end_date",
            "customer_reference",
            "buyer_reference",
            "order_reference",
            "description",
            "propose_on_milestone_completion",
            "submit_automatic_proposals",
        ]
        help_texts = {
            "propose_on_milestone_completion": _(
                "Completing a milestone bills it at once: its draft proposal is created and "
                "finance is told."
            ),
            "submit_automatic_proposals": _("The created proposal goes straight to the approvers."),
        }
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class CustomerForm(BootstrapFormMixin, forms.ModelForm):
    """A customer's master data. The model's checks (VAT number for the country, Peppol scheme
    and identifier, unique code) run on the form, and again in ``customer_save``, with the same
    messages as the admin and the API."""

    class Meta:
        model = Customer
        fields = list(CUSTOMER_EDITABLE_FIELDS)
        help_texts = {
            "vat_number": _(
                "EU customers: with the country code, e.g. SE556677889901 or DK32712452; the "
                "check digits are checked. Leave empty for private persons."
            ),
            "email": _("Where invoices and reminders are sent."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_terms"].queryset = self.fields["payment_terms"].queryset.order_by(
            "net_days", "code"
        )
        self._apply_bootstrap()


class ProjectValidationMixin:
    """Runs the service's project checks (type lock, parent in the same contract, no cycles)."""

    def _post_clean(self):
        super()._post_clean()
        try:
            project_validate(project=self.instance)
        except forms.ValidationError as error:
            self._update_errors(error)


class ProjectForm(ProjectValidationMixin, BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "contract",
            "parent",
            "project_type",
            "status",
            "tax_group",
            "manager",
            "start_date",
            "end_date",
        ]
        widgets = {"start_date": DATE_INPUT, "end_date": DATE_INPUT}

    def __init__(self, *args, contract: ProjectContract | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = ProjectContract.objects.order_by("code")
        parents = Project.objects.order_by("code")
        if contract is not None:
            self.fields["contract"].initial = contract.pk
            parents = parents.filter(contract=contract)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
            if project_has_transactions(self.instance):
                self.fields["project_type"].disabled = True
                self.fields["project_type"].help_text = PROJECT_TYPE_LOCKED
        self.fields["parent"].queryset = parents
        self._apply_bootstrap()


class BudgetForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Budget
        fields = ["category", "cost_amount", "revenue_amount"]
        labels = {"cost_amount": _("Cost budget"), "revenue_amount": _("Revenue budget")}

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self._apply_bootstrap()


class MilestoneForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["sequence", "description", "activity", "project", "due_date", "amount", "percent"]
        widgets = {"due_date": DATE_INPUT}
        help_texts = {"percent": _("Either an amount or a percentage of the contract value.")}

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.contract = contract
        self.fields["project"].queryset = Project.objects.filter(contract=contract).order_by("code")
        self._apply_bootstrap()


class MilestoneCompleteForm(BootstrapFormMixin, forms.Form):
    accepted_by_name = forms.CharField(
        label=_("Accepted by (customer)"), max_length=200, required=False
    )
    accepted_on = forms.DateField(label=_("Accepted on"), required=False, widget=DATE_INPUT)
    evidence = forms.FileField(
        label=_("Evidence (signed acceptance, e-mail)"),
        required=False,
        help_text=_("PDF, image or office document, at most 10 MB."),
    )

    def __init__(self, *args, milestone: Milestone, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestone = milestone
        if milestone.contract.requires_customer_acceptance:
            self.fields["accepted_by_name"].required = True
            self.fields["accepted_on"].required = True
        self._apply_bootstrap()

    def clean_evidence(self):
        """Checked by content, like contract documents (the service checks again)."""
        evidence = self.cleaned_data.get("evidence")
        if evidence:
            uploaded_file_media_type(evidence, limit_mb=EVIDENCE_MAX_MB)
        return evidence


class ScheduleFillForm(BootstrapFormMixin, forms.Form):
    template = forms.ModelChoiceField(
        label=_("Billing plan"), queryset=BillingPlanTemplate.objects.all(), empty_label=None
    )
    first_due_date = forms.DateField(label=_("First due date"), widget=DATE_INPUT)
    months_between = forms.IntegerField(
        label=_("Months between milestones"), min_value=0, max_value=24, initial=1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class BillingRuleForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = BillingRule
        fields = [
            "name",
            "rule_type",
            "projects",
            "chargeable_categories",
            "is_active",
            "applies_retention",
            "unit_name",
            "unit_price",
            "total_units",
            "units_delivered",
            "percent_complete",
            "fee_percent",
            "propose_at_thresholds",
        ]
        widgets = {
            "projects": CheckboxList,
            "chargeable_categories": CheckboxList,
        }

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.contract = contract
        self.fields["projects"].queryset = Project.objects.filter(contract=contract).order_by(
            "code"
        )
        self.fields["chargeable_categories"].queryset = Category.objects.order_by("code")
        self._apply_bootstrap()

    def _save_m2m(self):
        # The service sets the many-to-many relations together with the rule.
        return None


class BillingRuleProgressForm(BootstrapFormMixin, forms.Form):
    """The one figure a person records on a rule: units delivered (unit of delivery) or the
    cumulative percent complete (manual progress). The rule's terms are not on this form."""

    def __init__(self, *args, rule: BillingRule, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.field_name = PROGRESS_FIELDS[rule.rule_type]
        field = BillingRule._meta.get_field(self.field_name).formfield(
            initial=getattr(rule, self.field_name), required=True
        )
        if self.field_name == "units_delivered":
            field.label = _("Units delivered so far")
            field.help_text = _("Cumulative, at most %(total)s %(unit)s.") % {
                "total": plain_number(rule.total_units),
                "unit": rule.unit_name,
            }
        else:
            field.label = _("Percent complete so far")
            field.help_text = _("Cumulative, from 0 to 100.")
        self.fields[self.field_name] = field
        self._apply_bootstrap()


class BillingRuleCapForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = BillingRuleCap
        fields = ["category", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class BaseCapFormSet(forms.BaseInlineFormSet):
    def caps(self) -> list[tuple[Category, object]]:
        """(category, amount) of the filled, not removed rows."""
        return [
            (form.cleaned_data["category"], form.cleaned_data["amount"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("category")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        categories = [category for category, _amount in self.caps()]
        if len(categories) != len(set(categories)):
            raise forms.ValidationError(_("Give each category one cap only."))

    def validate_unique(self):
        return None  # checked across the rows in clean(); the caps are replaced as a whole


CapFormSet = forms.inlineformset_factory(
    BillingRule,
    BillingRuleCap,
    form=BillingRuleCapForm,
    formset=BaseCapFormSet,
    extra=2,
    can_delete=True,
)


class ContractDocumentForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False,
        help_text=_("Leave empty to use the file name."),
    )  # fmt: skip
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF, Word, Excel, OpenDocument or an image, at most %(limit)s MB."
        ) % {"limit": settings.CONTRACT_DOCUMENT_MAX_MB}
        self._apply_bootstrap()


class RateField(forms.DecimalField):
    """A rate with a decimal comma or point (Nordic clerks copy 11,2345 from the bank's page);
    no thousands separators: a rate has none to speak of."""

    def to_python(self, value):
        if isinstance(value, str) and value.count(",") == 1 and "." not in value:
            value = value.replace(",", ".")
        return super().to_python(value)


class ExchangeRateForm(BootstrapFormMixin, forms.ModelForm):
    """One rate entered by hand; the model's constraints (one per pair and day, above zero, two
    currencies) show on the form before the service stores it."""

    class Meta:
        model = ExchangeRate
        fields = ["currency", "quote_currency", "rate_date", "rate"]
        widgets = {"rate_date": DATE_INPUT}
        field_classes = {"rate": RateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate"].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self._apply_bootstrap()


class ExchangeRateImportForm(BootstrapFormMixin, forms.Form):
    layout = forms.ChoiceField(
        label=_("Published by"),
        choices=[
            (key, f"{layout.source} ({layout.quote_currency})") for key, layout in LAYOUTS.items()
        ],
    )
    file = forms.FileField(
        label=_("CSV file"), help_text=_("At most 5 MB. Nothing is saved unless every row is good.")
    )

    MAX_BYTES = 5 * 1024 * 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return uploaded
