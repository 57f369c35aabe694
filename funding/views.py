"""The funding tab of a contract: sources, limits with usage, rules, and the simulator."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from contracts.models import ProjectContract
from contracts.views import PermissionRequired
from funding import selectors, services
from funding.explanations import allocation_explanation
from funding.forms import (
    FundingLimitForm,
    FundingRuleForm,
    FundingSourceForm,
    RuleLineFormSet,
    SimulationForm,
)
from funding.models import FundingLimit, FundingRule, FundingSource


class ContractMixin:
    def get_contract(self) -> ProjectContract:
        if not hasattr(self, "_contract"):
            self._contract = get_object_or_404(
                ProjectContract.objects.select_related("customer", "legal_entity"),
                pk=self.kwargs["contract_pk"],
            )
        return self._contract


def funding_context(contract: ProjectContract) -> dict:
    sources = list(selectors.funding_sources(contract=contract))
    limits = list(selectors.funding_limits(contract=contract))
    rules = list(selectors.funding_rules(contract=contract))
    return {"contract": contract, "sources": sources, "limits": limits, "rules": rules}


class ContractFundingView(PermissionRequired, ContractMixin, TemplateView):
    permission_required = "funding.view_fundingsource"
    template_name = "funding/contract_funding.html"

    def get_context_data(self, **kwargs):
        contract = self.get_contract()
        return {
            **super().get_context_data(**kwargs),
            **funding_context(contract),
            "simulation_form": SimulationForm(contract=contract),
        }


class FundingSimulateView(PermissionRequired, ContractMixin, View):
    """Shows how an amount would be split and why. Saves nothing, so viewers may use it."""

    permission_required = "funding.view_fundingsource"

    def post(self, request, contract_pk):
        contract = self.get_contract()
        form = SimulationForm(request.POST, contract=contract)
        result = None
        error = None
        if form.is_valid():
            try:
                result = services.funding_simulate(contract=contract, simulation=form.simulation())
            except (ValidationError, ValueError) as refused:
                error = str(refused)
        names = dict(selectors.funding_sources(contract=contract).values_list("pk", "name"))
        rows = [
            {
                "allocation": line,
                "source_name": names.get(line.source_id, ""),
                "explanation": allocation_explanation(line),
            }
            for line in (result.allocations if result else ())
        ]
        context = {
            "contract": contract,
            "simulation_form": form,
            "result": result,
            "rows": rows,
            "error": error,
        }
        if request.htmx:
            return render(request, "funding/_simulation.html", context)
        return render(
            request, "funding/contract_funding.html", {**funding_context(contract), **context}
        )


class FundingFormView(PermissionRequired, ContractMixin, TemplateView):
    """Create or edit one funding record of the contract through its service."""

    model = None
    form_class = None
    template_name = "funding/funding_form.html"
    title = ""

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_form(self, data=None):
        return self.form_class(data, instance=self.get_object(), contract=self.get_contract())

    def render_form(self, form, **extra):
        return self.render_to_response(
            self.get_context_data(
                form=form, contract=self.get_contract(), title=self.title, **extra
            )
        )

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                self.save(form)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Funding was saved."))
                return redirect("funding:contract_funding", contract_pk=self.get_contract().pk)
        return self.render_form(form)


class FundingSourceFormView(FundingFormView):
    form_class = FundingSourceForm
    title = _("Funding source")

    def get_permission_required(self):
        return [
            "funding.change_fundingsource" if "pk" in self.kwargs else "funding.add_fundingsource"
        ]

    def get_queryset(self):
        return FundingSource.objects.filter(contract_id=self.kwargs["contract_pk"])

    def save(self, form):
        services.funding_source_save(source=form.instance, actor=self.request.user)


class FundingLimitFormView(FundingFormView):
    form_class = FundingLimitForm
    title = _("Funding limit")

    def get_permission_required(self):
        return [
            "funding.change_fundinglimit" if "pk" in self.kwargs else "funding.add_fundinglimit"
        ]

    def get_queryset(self):
        return FundingLimit.objects.filter(source__contract_id=self.kwargs["contract_pk"])

    def save(self, form):
        services.funding_limit_save(limit=form.instance, actor=self.request.user)


class FundingRuleFormView(FundingFormView):
    form_class = FundingRuleForm
    title = _("Funding rule")
    template_name = "funding/rule_form.html"

    def get_permission_required(self):
        return ["funding.change_fundingrule" if "pk" in self.kwargs else "funding.add_fundingrule"]

    def get_queryset(self):
        return FundingRule.objects.filter(contract_id=self.kwargs["contract_pk"])

    def get(self, request, *args, **kwargs):
        rule = self.get_object()
        return self.render_form(
            self.get_form(), formset=RuleLineFormSet(instance=rule, contract=self.get_contract())
        )

    def post(self, request, *args, **kwargs):
        rule = self.get_object()
        form = self.get_form(request.POST)
        formset = RuleLineFormSet(
            request.POST, instance=rule or FundingRule(), contract=self.get_contract()
        )
        if form.is_valid() and formset.is_valid():
            try:
                with transaction.atomic():
                    services.funding_rule_save(
                        rule=form.instance, lines=formset.line_data(), actor=request.user
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The funding rule was saved."))
                return redirect("funding:contract_funding", contract_pk=self.get_contract().pk)
        return self.render_form(form, formset=formset)


class FundingDeleteView(PermissionRequired, ContractMixin, View):
    def post(self, request, contract_pk, pk):
        record = get_object_or_404(self.get_queryset(), pk=pk)
        self.delete(record)
        messages.success(request, _("Deleted."))
        return redirect("funding:contract_funding", contract_pk=contract_pk)


class FundingLimitDeleteView(FundingDeleteView):
    permission_required = "funding.delete_fundinglimit"

    def get_queryset(self):
        return FundingLimit.objects.filter(source__contract_id=self.kwargs["contract_pk"])

    def delete(self, record):
        services.funding_limit_delete(limit=record, actor=self.request.user)


class FundingRuleDeleteView(FundingDeleteView):
    permission_required = "funding.delete_fundingrule"

    def get_queryset(self):
        return FundingRule.objects.filter(contract_id=self.kwargs["contract_pk"])

    def delete(self, record):
        services.funding_rule_delete(rule=record, actor=self.request.user)
