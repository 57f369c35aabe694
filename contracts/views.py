"""Contract, project and budget pages. Thin: bind a form, call one service, render or redirect."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DeleteView, DetailView, TemplateView
from django.views.generic.edit import CreateView, UpdateView

from collaboration import comments
from contracts import selectors, services
from contracts.filters import ContractFilter, MilestoneFilter, milestone_contract_choices
from contracts.forms import (
    BillingRuleForm,
    BillingRuleProgressForm,
    BudgetForm,
    CapFormSet,
    ContractDocumentForm,
    ContractForm,
    MilestoneCompleteForm,
    MilestoneForm,
    ProjectForm,
    ScheduleFillForm,
)
from contracts.models import BillingRule, Budget, Customer, Milestone, Project, ProjectContract
from contracts.models.billing_terms import RULE_TYPE_FIELDS
from contracts.setup_checklist import contract_setup_checklist


class PermissionRequired(PermissionRequiredMixin):
    """Logged-in users without the permission get a 403, not a login loop."""

    raise_exception = True


class ContractListView(PermissionRequired, TemplateView):
    permission_required = "contracts.view_projectcontract"
    template_name = "contracts/contract_list.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["contracts/_contract_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract_filter = ContractFilter(
            self.request.GET, queryset=selectors.contract_list().order_by("code")
        )
        page = Paginator(contract_filter.qs, settings.PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        context.update(
            filter=contract_filter, page=page, ordering=self.request.GET.get("ordering", "")
        )
        return context


class ContractDetailView(PermissionRequired, DetailView):
    permission_required = "contracts.view_projectcontract"
    template_name = "contracts/contract_detail.html"
    context_object_name = "contract"

    def get_object(self, queryset=None):
        try:
            return selectors.contract_detail(pk=self.kwargs["pk"])
        except ProjectContract.DoesNotExist as missing:
            raise Http404 from missing

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.object
        projects = list(contract.projects.all())
        budgets = [budget for project in projects for budget in project.budgets.all()]
        setup_steps = contract_setup_checklist(contract=contract)
        context.update(
            projects=projects,
            budgets=budgets,
            budget_totals=selectors.budget_totals(budgets),
            documents=list(contract.documents.select_related("uploaded_by")),
            document_form=ContractDocumentForm(),
            buyer_reference=selectors.buyer_reference_effective(contract=contract),
            setup_steps=[
                (step, self.request.user.has_perm(step.permission)) for step in setup_steps
            ],
            setup_complete=all(step.is_done for step in setup_steps),
            history=selectors.history_entries(
                contract.history.all(),
                Project.history.filter(contract_id=contract.pk),
                Budget.history.filter(project__contract_id=contract.pk),
            ),
        )
        return context


class ServiceFormMixin:
    """Saves the validated form through a service and shows its domain errors on the form."""

    success_message = _("Saved.")

    def save_with_service(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.save_with_service(form)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.get_success_url())


class ContractCreateView(PermissionRequired, ServiceFormMixin, CreateView):
    permission_required = "contracts.add_projectcontract"
    form_class = ContractForm
    template_name = "contracts/contract_form.html"
    success_message = _("The contract was created.")

    def get_initial(self):
        """The only legal entity, and the customer's terms when the page names the customer
        (``?customer=``, the customer page's "New contract"); the form's script asks
        ``ContractDefaultsView`` again when the clerk picks another customer."""
        customer = _customer_or_none(self.request.GET.get("customer"))
        initial = selectors.contract_defaults(customer=customer)
        if customer is not None:
            initial["customer"] = customer.pk
        return {**super().get_initial(), **initial}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "defaults_url": reverse("contracts:contract_defaults"),
        }

    def save_with_service(self, form):
        return services.contract_save(contract=form.instance, actor=self.request.user)


class ContractDefaultsView(PermissionRequired, View):
    """The defaults of a new contract for a customer, as JSON for the contract form."""

    permission_required = "contracts.add_projectcontract"

    def get(self, request):
        customer = _customer_or_none(request.GET.get("customer"))
        return JsonResponse(selectors.contract_defaults(customer=customer))


def _customer_or_none(value) -> Customer | None:
    if not (value or "").isdigit():
        return None
    return Customer.objects.filter(pk=value).first()


class ContractUpdateView(PermissionRequired, ServiceFormMixin, UpdateView):
    permission_required = "contracts.change_projectcontract"
    model = ProjectContract
    form_class = ContractForm
    template_name = "contracts/contract_form.html"
    context_object_name = "contract"
    success_message = _("The contract was saved.")

    def save_with_service(self, form):
        return services.contract_save(contract=form.instance, actor=self.request.user)


class ProjectDetailView(PermissionRequired, DetailView):
    permission_required = "contracts.view_project"
    template_name = "contracts/project_detail.html"
    context_object_name = "project"

    def get_object(self, queryset=None):
        try:
            return selectors.project_detail(pk=self.kwargs["pk"])
        except Project.DoesNotExist as missing:
            raise Http404 from missing

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        budgets = list(self.object.budgets.all())
        context.update(
            budgets=budgets,
            budget_totals=selectors.budget_totals(budgets),
            type_locked=services.project_has_transactions(self.object),
            history=selectors.history_entries(
                self.object.history.all(), Budget.history.filter(project_id=self.object.pk)
            ),
        )
        return context


class ProjectCreateView(PermissionRequired, ServiceFormMixin, CreateView):
    permission_required = "contracts.add_project"
    form_class = ProjectForm
    template_name = "contracts/project_form.html"
    success_message = _("The project was created.")

    def get_contract(self) -> ProjectContract | None:
        contract_id = self.request.GET.get("contract")
        if contract_id and contract_id.isdigit():
            return ProjectContract.objects.filter(pk=contract_id).first()
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "contract": self.get_contract()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.get_contract(), **kwargs)

    def save_with_service(self, form):
        return services.project_save(project=form.instance, actor=self.request.user)


class ProjectUpdateView(PermissionRequired, ServiceFormMixin, UpdateView):
    permission_required = "contracts.change_project"
    model = Project
    form_class = ProjectForm
    template_name = "contracts/project_form.html"
    context_object_name = "project"
    success_message = _("The project was saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "contract": self.object.contract}

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.object.contract, **kwargs)

    def save_with_service(self, form):
        return services.project_save(project=form.instance, actor=self.request.user)


class BudgetFormMixin(ServiceFormMixin):
    form_class = BudgetForm
    template_name = "contracts/budget_form.html"
    success_message = _("The budget was saved.")

    def get_project(self) -> Project:
        return get_object_or_404(
            Project.objects.select_related("contract"), pk=self.kwargs["project_pk"]
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "project": self.get_project()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(project=self.get_project(), **kwargs)

    def save_with_service(self, form):
        return services.budget_save(budget=form.instance, actor=self.request.user)

    def get_success_url(self):
        return reverse("contracts:project_detail", kwargs={"pk": self.kwargs["project_pk"]})


class BudgetCreateView(PermissionRequired, BudgetFormMixin, CreateView):
    permission_required = "contracts.add_budget"


class BudgetUpdateView(PermissionRequired, BudgetFormMixin, UpdateView):
    permission_required = "contracts.change_budget"

    def get_queryset(self):
        return Budget.objects.filter(project_id=self.kwargs["project_pk"])


class BudgetDeleteView(PermissionRequired, DeleteView):
    permission_required = "contracts.delete_budget"
    template_name = "contracts/budget_confirm_delete.html"

    def get_queryset(self):
        return Budget.objects.select_related("project", "category").filter(
            project_id=self.kwargs["project_pk"]
        )

    def form_valid(self, form):
        services.budget_delete(budget=self.object, actor=self.request.user)
        messages.success(self.request, _("The budget line was deleted."))
        return redirect("contracts:project_detail", pk=self.kwargs["project_pk"])


class ContractBillingView(PermissionRequired, DetailView):
    """The contract's billing rules and its milestone timeline."""

    permission_required = "contracts.view_milestone"
    template_name = "contracts/contract_billing.html"
    context_object_name = "contract"

    def get_queryset(self):
        return ProjectContract.objects.select_related("customer", "legal_entity")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        milestones = selectors.milestone_timeline(contract=self.object)
        counts = comments.comment_counts(Milestone, [milestone.pk for milestone in milestones])
        for milestone in milestones:
            milestone.comment_count = counts.get(milestone.pk, 0)
        context.update(
            milestones=milestones,
            schedule=selectors.schedule_summary(contract=self.object, milestones=milestones),
            rules=selectors.billing_rules(contract=self.object),
            fill_form=ScheduleFillForm() if not milestones else None,
            today=timezone.localdate(),
        )
        return context


class ContractChildFormView(PermissionRequired, ServiceFormMixin, TemplateView):
    """Create or edit a record that belongs to a contract (milestone, billing rule)."""

    model = None
    form_class = None
    template_name = "contracts/contract_child_form.html"
    title = ""

    def get_contract(self) -> ProjectContract:
        return get_object_or_404(ProjectContract, pk=self.kwargs["contract_pk"])

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(
            self.model, pk=self.kwargs["pk"], contract_id=self.kwargs["contract_pk"]
        )

    def get_form(self, data=None, files=None):
        return self.form_class(
            data, files, instance=self.get_object(), contract=self.get_contract()
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(
                form=self.get_form(), contract=self.get_contract(), title=self.title
            )
        )

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            return self.form_valid(form)
        return self.render_to_response(
            self.get_context_data(form=form, contract=self.get_contract(), title=self.title)
        )

    def form_invalid(self, form):
        return self.render_to_response(
            self.get_context_data(form=form, contract=self.get_contract(), title=self.title)
        )

    def get_success_url(self):
        return reverse("contracts:contract_billing", kwargs={"pk": self.kwargs["contract_pk"]})


class MilestoneFormView(ContractChildFormView):
    model = Milestone
    form_class = MilestoneForm
    title = _("Milestone")
    success_message = _("The milestone was saved.")

    def get_permission_required(self):
        return ["contracts.change_milestone" if "pk" in self.kwargs else "contracts.add_milestone"]

    def save_with_service(self, form):
        return services.milestone_save(milestone=form.instance, actor=self.request.user)


class BillingRuleFormView(ContractChildFormView):
    model = BillingRule
    form_class = BillingRuleForm
    title = _("Billing rule")
    success_message = _("The billing rule was saved.")

    def get_permission_required(self):
        return [
            "contracts.change_billingrule" if "pk" in self.kwargs else "contracts.add_billingrule"
        ]

    def get_caps_formset(self, data=None):
        return CapFormSet(data, instance=self.get_object() or BillingRule(), prefix="caps")

    def get_context_data(self, **kwargs):
        kwargs.setdefault("caps_formset", self.get_caps_formset())
        # The form shows the terms of the chosen rule type only (static/js/rule-type-fields.js).
        kwargs.setdefault("rule_type_fields", json.dumps(RULE_TYPE_FIELDS))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        caps_formset = self.get_caps_formset(request.POST)
        if form.is_valid() and caps_formset.is_valid():
            self.caps = caps_formset.caps()
            return self.form_valid(form)
        return self.render_to_response(
            self.get_context_data(
                form=form, contract=self.get_contract(), title=self.title, caps_formset=caps_formset
            )
        )

    def save_with_service(self, form):
        return services.billing_rule_save(
            rule=form.instance,
            projects=list(form.cleaned_data["projects"]),
            chargeable_categories=list(form.cleaned_data["chargeable_categories"]),
            caps=self.caps,
            actor=self.request.user,
        )


class BillingRuleProgressView(PermissionRequired, TemplateView):
    """Record units delivered or percent complete on one rule, and nothing else of it."""

    permission_required = "contracts.record_progress"
    template_name = "contracts/billing_rule_progress.html"

    def get_rule(self) -> BillingRule:
        rule = get_object_or_404(
            BillingRule.objects.select_related("contract"),
            pk=self.kwargs["pk"],
            contract_id=self.kwargs["contract_pk"],
        )
        if rule.rule_type not in services.PROGRESS_FIELDS:
            raise Http404
        return rule

    def get(self, request, *args, **kwargs):
        rule = self.get_rule()
        form = BillingRuleProgressForm(rule=rule)
        return self.render_to_response(self.get_context_data(form=form, rule=rule))

    def post(self, request, *args, **kwargs):
        rule = self.get_rule()
        form = BillingRuleProgressForm(request.POST, rule=rule)
        if form.is_valid():
            try:
                services.billing_rule_progress_record(
                    rule=rule,
                    actor=request.user,
                    **{form.field_name: form.cleaned_data[form.field_name]},
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(
                    None, error.messages if isinstance(error, ValidationError) else str(error)
                )
            else:
                messages.success(request, _("The progress was recorded."))
                return redirect("contracts:contract_billing", pk=rule.contract_id)
        return self.render_to_response(self.get_context_data(form=form, rule=rule))


class MilestoneCompleteView(PermissionRequired, TemplateView):
    permission_required = "contracts.complete_milestone"
    template_name = "contracts/milestone_complete.html"

    def get_milestone(self) -> Milestone:
        return get_object_or_404(
            Milestone.objects.select_related("contract"),
            pk=self.kwargs["pk"],
            contract_id=self.kwargs["contract_pk"],
        )

    def get(self, request, *args, **kwargs):
        milestone = self.get_milestone()
        form = MilestoneCompleteForm(milestone=milestone)
        return self.render_to_response(self.get_context_data(form=form, milestone=milestone))

    def post(self, request, *args, **kwargs):
        milestone = self.get_milestone()
        form = MilestoneCompleteForm(request.POST, request.FILES, milestone=milestone)
        if form.is_valid():
            try:
                services.milestone_complete(
                    milestone=milestone,
                    actor=request.user,
                    accepted_by_name=form.cleaned_data["accepted_by_name"],
                    accepted_on=form.cleaned_data["accepted_on"],
                    evidence=form.cleaned_data["evidence"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The milestone was completed."))
                return redirect("contracts:contract_billing", pk=milestone.contract_id)
        return self.render_to_response(self.get_context_data(form=form, milestone=milestone))


class ScheduleFillView(PermissionRequired, View):
    permission_required = "contracts.add_milestone"

    def post(self, request, pk):
        contract = get_object_or_404(ProjectContract, pk=pk)
        form = ScheduleFillForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a billing plan and a first due date."))
            return redirect("contracts:contract_billing", pk=pk)
        try:
            milestones = services.milestone_schedule_fill(
                contract=contract,
                percents=form.cleaned_data["template"].percents,
                first_due_date=form.cleaned_data["first_due_date"],
                months_between=form.cleaned_data["months_between"],
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(count)s milestones were planned.") % {"count": len(milestones)}
            )
        return redirect("contracts:contract_billing", pk=pk)


class MilestoneDeleteView(PermissionRequired, View):
    permission_required = "contracts.delete_milestone"

    def post(self, request, contract_pk, pk):
        milestone = get_object_or_404(Milestone, pk=pk, contract_id=contract_pk)
        try:
            services.milestone_delete(milestone=milestone, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The milestone was removed."))
        return redirect("contracts:contract_billing", pk=contract_pk)


class MilestoneContractChoicesView(PermissionRequired, TemplateView):
    """The contracts the milestone list's filter offers for what the reader typed (``?q=``)."""

    permission_required = "contracts.view_milestone"
    template_name = "includes/typeahead_options.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["choices"] = milestone_contract_choices(self.request.GET.get("q", ""))
        return context


class MilestoneListView(PermissionRequired, TemplateView):
    """Milestones across contracts, filtered by when they are due (the dashboard links here)."""

    permission_required = "contracts.view_milestone"
    template_name = "contracts/milestone_list.html"

    def get_context_data(self, **kwargs):
        milestone_filter = MilestoneFilter(
            self.request.GET,
            queryset=Milestone.objects.select_related("contract", "completed_by").order_by(
                "due_date", "contract__code", "sequence", "pk"
            ),
        )
        page = Paginator(milestone_filter.qs, settings.PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        for milestone in page.object_list:
            milestone.value = selectors.milestone_value(milestone, milestone.contract)
        return {**super().get_context_data(**kwargs), "filter": milestone_filter, "page": page}
