"""Forms for contracts, projects and budgets. Validation messages come from the models'
constraints and the services' checks, so the form and the database say the same thing."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.models import Budget, Project, ProjectContract
from contracts.services import PROJECT_TYPE_LOCKED, project_has_transactions, project_validate

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BootstrapFormMixin:
    """Adds Bootstrap classes to every widget, and the invalid state to fields with errors."""

    def _apply_bootstrap(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
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


class ContractForm(BootstrapFormMixin, forms.ModelForm):
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
            "description",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
