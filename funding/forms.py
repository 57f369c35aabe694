"""Forms of the funding tab: sources, limits, rules with their allocation lines, simulator."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.forms import DATE_INPUT, BootstrapFormMixin
from contracts.models import Category, Item, Project, ProjectContract, TransactionKind, Worker
from funding import services
from funding.models import FundingLimit, FundingRule, FundingRuleLine, FundingSource


class FundingSourceForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = FundingSource
        fields = ["name", "source_type", "customer", "is_on_hold", "is_rounding_source"]

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.contract = contract
        self._apply_bootstrap()


class FundingLimitForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = FundingLimit
        fields = [
            "source",
            "amount",
            "project",
            "category",
            "worker",
            "item",
            "kind",
            "date_from",
            "date_to",
        ]
        widgets = {"date_from": DATE_INPUT, "date_to": DATE_INPUT}

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = FundingSource.objects.filter(contract=contract)
        self.fields["project"].queryset = Project.objects.filter(contract=contract)
        self.fields["kind"].choices = [("", _("Any kind")), *TransactionKind.choices]
        self._apply_bootstrap()


class FundingRuleForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = FundingRule
        fields = [
            "name",
            "priority",
            "project",
            "worker",
            "item",
            "category",
            "category_group",
            "kind",
            "valid_from",
            "valid_to",
        ]
        widgets = {"valid_from": DATE_INPUT, "valid_to": DATE_INPUT}

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.contract = contract
        self.fields["project"].queryset = Project.objects.filter(contract=contract)
        self.fields["kind"].choices = [("", _("Any kind")), *TransactionKind.choices]
        self._apply_bootstrap()


class FundingRuleLineForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = FundingRuleLine
        fields = ["source", "percentage"]

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = FundingSource.objects.filter(contract=contract)
        self.fields["percentage"].widget.attrs.update({"step": "0.01", "min": "0.01", "max": "100"})
        self._apply_bootstrap()


class BaseRuleLineFormSet(forms.BaseInlineFormSet):
    """Checks the lines together: at least one, each source once, at most 100 % in total."""

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "contract": self.contract}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            contract=self.contract,
        )
        self.add_fields(form, None)
        return form

    def line_data(self) -> list[services.RuleLineData]:
        return [
            services.RuleLineData(
                source=form.cleaned_data["source"], percentage=form.cleaned_data["percentage"]
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("source")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        services.funding_rule_lines_validate(contract=self.contract, lines=self.line_data())

    def validate_unique(self):
        # Uniqueness per rule is checked across the lines in clean(); the rows are replaced.
        return None


RuleLineFormSet = forms.inlineformset_factory(
    FundingRule,
    FundingRuleLine,
    form=FundingRuleLineForm,
    formset=BaseRuleLineFormSet,
    extra=3,
    can_delete=True,
)


class SimulationForm(BootstrapFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=3)
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    kind = forms.ChoiceField(label=_("Transaction kind"), choices=TransactionKind.choices)
    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("code"), required=False
    )
    worker = forms.ModelChoiceField(
        label=_("Worker"), queryset=Worker.objects.order_by("code"), required=False
    )
    item = forms.ModelChoiceField(
        label=_("Item"), queryset=Item.objects.order_by("code"), required=False
    )

    def __init__(self, *args, contract: ProjectContract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.fields["project"].queryset = Project.objects.filter(contract=contract).order_by("code")
        self.fields["date"].initial = timezone.localdate()
        self.fields["amount"].widget.attrs["step"] = "any"
        self._apply_bootstrap()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        from contracts.money import currency_decimals

        decimals = currency_decimals(self.contract.currency)
        if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
            raise forms.ValidationError(
                _("%(currency)s amounts have at most %(decimals)s decimals."),
                params={"currency": self.contract.currency, "decimals": decimals},
            )
        return amount

    def simulation(self) -> services.SimulationInput:
        return services.SimulationInput(**self.cleaned_data)
