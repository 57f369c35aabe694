"""Proposal pages: list, detail with the actions a role allows, billable now, billing runs."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from contracts.filters import StyledFilterSet, TextSearchFilter
from contracts.forms import DATE_INPUT, BootstrapFormMixin
from contracts.models import ContractStatus, ProjectContract
from contracts.number_fields import number_clean
from contracts.paginators import page_by_ids
from contracts.spreadsheets import DATE, INTEGER, MONEY, Column, table_response
from contracts.views import PermissionRequired
from funding.models import FundingSource
from invoicing.proposals import (
    billable,
    billable_figures,
    drafts,
    generation,
    rules,
    selectors,
    workflow,
)
from invoicing.proposals.models import BillingRun, InvoiceProposal, ProposalLine, ProposalStatus
from invoicing.proposals.tasks import billing_run_task
from invoicing.transactions.filters import contract_choice_filter


def proposals_created_message(count: int) -> str:
    return ngettext(
        "%(count)s proposal was created.", "%(count)s proposals were created.", count
    ) % {"count": count}


class ProposalFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(
        choices=ProposalStatus.choices, label=_("Status"), empty_label=_("All")
    )
    # Typed, not picked: a thousand contracts and their funders are thousands of options.
    contract = contract_choice_filter()
    funding_source = TextSearchFilter(
        fields=["funding_source__name", "funding_source__customer__name"],
        label=_("Funder"),
        placeholder=_("Funder or its customer"),
    )

    mine = django_filters.ChoiceFilter(
        choices=[
            ("to_approve", _("Waiting for my approval")),
            ("rejected", _("My rejected proposals")),
        ],
        label=_("Mine"),
        empty_label=_("All"),
        method="filter_mine",
    )

    class Meta:
        model = InvoiceProposal
        fields = ["status", "contract", "funding_source"]

    def filter_mine(self, queryset, name, value):
        """The same lists as the dashboard's figures (selectors decide what they hold)."""
        user = self.request.user
        if value == "to_approve":
            return selectors.proposals_waiting_for(queryset, user=user)
        if value == "rejected":
            return selectors.proposals_rejected_for(queryset, user=user)
        return queryset


class ProposalListView(PermissionRequired, TemplateView):
    permission_required = "invoicing.view_invoiceproposal"
    template_name = "invoicing/proposals/proposal_list.html"

    def get_context_data(self, **kwargs):
        proposal_filter = _proposal_list_filter(self.request)
        # The page's ids first, then its rows with their totals (subqueries): a deep page
        # computes them for its own 25 rows, not for every row its OFFSET skips.
        page = page_by_ids(proposal_filter.qs, settings.PAGE_SIZE, self.request.GET.get("page"))
        return {**super().get_context_data(**kwargs), "filter": proposal_filter, "page": page}


def _proposal_list_filter(request) -> ProposalFilter:
    return ProposalFilter(request.GET, queryset=selectors.proposal_list(), request=request)


PROPOSAL_COLUMNS = [
    Column("#", attrgetter("pk"), INTEGER),
    Column(_("Contract"), attrgetter("contract.code")),
    Column(_("Funder"), lambda proposal: str(proposal.funding_source or "")),
    Column(_("Billed up to"), attrgetter("up_to_date"), DATE),
    Column(_("Status"), lambda proposal: proposal.get_status_display()),
    Column(_("Submitted by"), lambda p: p.submitted_by.get_full_name() if p.submitted_by else ""),
    Column(_("Currency"), attrgetter("contract.currency")),
    Column(_("Lines"), attrgetter("line_count"), INTEGER),
    Column(_("Net amount"), attrgetter("total"), MONEY),
]


class ProposalExportView(PermissionRequired, View):
    """The filtered proposal list as XLSX or CSV."""

    permission_required = "invoicing.view_invoiceproposal"

    def get(self, request):
        return table_response(
            PROPOSAL_COLUMNS,
            _proposal_list_filter(request).qs.iterator(chunk_size=2000),
            file_format=request.GET.get("format", "csv"),
            name="proposals",
            language=get_language(),
        )


class RejectForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class FeeForm(BootstrapFormMixin, forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()


class ProposalDetailView(PermissionRequired, DetailView):
    permission_required = "invoicing.view_invoiceproposal"
    template_name = "invoicing/proposals/proposal_detail.html"
    context_object_name = "proposal"

    def get_queryset(self):
        return InvoiceProposal.objects.select_related(
            "contract", "contract__default_tax_group", "funding_source", "submitted_by", "approved_by", "created_by", "project"
        )  # fmt: skip

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        proposal = self.object
        user = self.request.user
        is_draft = proposal.status == ProposalStatus.DRAFT
        context.update(
            summary=selectors.proposal_summary(proposal=proposal),
            can_edit=is_draft and user.has_perm("invoicing.change_invoiceproposal"),
            can_submit=is_draft and user.has_perm("invoicing.change_invoiceproposal"),
            can_cancel=is_draft and user.has_perm("invoicing.change_invoiceproposal"),
            can_review=proposal.status == ProposalStatus.SUBMITTED
            and user.has_perm("invoicing.approve_invoiceproposal"),
            is_own_submission=proposal.submitted_by_id == user.pk,
            reject_form=kwargs.get("reject_form") or RejectForm(),
            fee_form=kwargs.get("fee_form") or FeeForm(),
            history=proposal.history.select_related("history_user")[:20],
        )
        return context


ACTIONS = {
    "submit": ("invoicing.change_invoiceproposal", _("The proposal was submitted for approval.")),
    "approve": ("invoicing.approve_invoiceproposal", _("The proposal was approved.")),
    "reject": ("invoicing.approve_invoiceproposal", _("The proposal was sent back to draft.")),
    "cancel": (
        "invoicing.change_invoiceproposal",
        _("The proposal was cancelled and its lines freed."),
    ),
}


class ProposalActionView(PermissionRequired, View):
    """One workflow step, through its service; a refusal is shown as a message."""

    def get_permission_required(self):
        if self.kwargs["action"] not in ACTIONS:
            raise Http404
        return [ACTIONS[self.kwargs["action"]][0]]

    def post(self, request, pk, action):
        proposal = get_object_or_404(InvoiceProposal, pk=pk)
        try:
            if action == "submit":
                workflow.proposal_submit(proposal=proposal, actor=request.user)
            elif action == "approve":
                workflow.proposal_approve(proposal=proposal, actor=request.user)
            elif action == "reject":
                workflow.proposal_reject(
                    proposal=proposal, actor=request.user, reason=request.POST.get("reason", "")
                )
            elif action == "cancel":
                workflow.proposal_cancel(proposal=proposal, actor=request.user)
        except (ValidationError, PermissionDenied) as refused:
            text = (
                " ".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
            )
            messages.error(request, text)
        else:
            messages.success(request, ACTIONS[action][1])
        return redirect(proposal.get_absolute_url())


class ProposalLineEditView(PermissionRequired, View):
    """Remove a line, change a line's sales price, or add a fee line to a draft (releasing
    retention reads posted invoices, so it is a page of the invoices stage)."""

    permission_required = "invoicing.change_invoiceproposal"

    def post(self, request, pk):
        proposal = get_object_or_404(InvoiceProposal, pk=pk)
        operation = request.POST.get("operation")
        try:
            if operation == "remove":
                line = get_object_or_404(
                    ProposalLine, pk=request.POST.get("line"), proposal=proposal
                )
                drafts.proposal_line_remove(proposal=proposal, line=line, actor=request.user)
                messages.success(
                    request, _("The line was removed; its transaction is uninvoiced again.")
                )
            elif operation == "price":
                line = get_object_or_404(
                    ProposalLine, pk=request.POST.get("line"), proposal=proposal
                )
                price = _sales_price(request.POST.get("sales_price"))
                drafts.proposal_line_price_change(
                    proposal=proposal, line=line, sales_price=price, actor=request.user
                )
                messages.success(
                    request, _("The price was changed and the funding allocated again.")
                )
            elif operation == "edit":
                line = get_object_or_404(
                    ProposalLine.objects.select_related("transaction"),
                    pk=request.POST.get("line"),
                    proposal=proposal,
                )
                if _line_edit(request, proposal, line):
                    messages.success(request, _("The line was changed."))
            elif operation == "fee":
                form = FeeForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Give the fee a description and an amount."))
                drafts.proposal_fee_add(proposal=proposal, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The fee line was added."))
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        return redirect(proposal.get_absolute_url())


@transaction.atomic
def _line_edit(request, proposal: InvoiceProposal, line: ProposalLine) -> bool:
    """Apply what the clerk changed of a line's text, quantity and price, all or nothing (each
    through its service). Returns whether anything changed."""
    changed = False
    description = request.POST.get("description")
    # The field shows the line in the reader's language: sent back as shown, it is unchanged.
    if description is not None and " ".join(description.split()) not in (
        " ".join(line.description.split()),
        " ".join(line.text.split()),
    ):
        line = drafts.proposal_line_description_change(
            proposal=proposal, line=line, description=description, actor=request.user
        )
        changed = True
    record = line.transaction
    quantity_text = (request.POST.get("quantity") or "").strip()
    if record is not None and quantity_text:
        quantity = number_clean(
            quantity_text, _("Enter the quantity as a number, for example %(example)s.")
        )
        if quantity != record.quantity:
            line = (
                drafts.proposal_line_quantity_change(
                    proposal=proposal, line=line, quantity=quantity, actor=request.user
                )
                or line
            )
            changed = True
    price_text = (request.POST.get("sales_price") or "").strip()
    if record is not None and price_text:
        price = _sales_price(price_text)
        record.refresh_from_db(fields=["sales_price"])
        if price != record.sales_price:
            drafts.proposal_line_price_change(
                proposal=proposal, line=line, sales_price=price, actor=request.user
            )
            changed = True
    if not changed:
        messages.info(request, _("Nothing was changed."))
    return changed


def _sales_price(text) -> Decimal:
    price = number_clean(
        text or "", _("Enter the new sales price as a number, for example %(example)s.")
    )
    if price < 0:
        raise ValidationError(_("The sales price cannot be less than zero."))
    return price


class GenerateForm(BootstrapFormMixin, forms.Form):
    up_to_date = forms.DateField(label=_("Bill up to"), widget=DATE_INPUT)
    split_by_kind = forms.BooleanField(label=_("One proposal per transaction kind"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["up_to_date"].initial = timezone.localdate()
        self._apply_bootstrap()


class BillableNowView(PermissionRequired, TemplateView):
    """What can be billed now, per contract (all active contracts, or one)."""

    permission_required = "invoicing.view_invoiceproposal"
    template_name = "invoicing/proposals/billable_now.html"

    def get_context_data(self, **kwargs):
        contracts = (
            ProjectContract.objects.filter(status=ContractStatus.ACTIVE)
            .select_related("customer")
            .order_by("code")
        )
        page = None
        if "contract_pk" in self.kwargs:
            contracts = list(contracts.filter(pk=self.kwargs["contract_pk"]))
        else:
            # A page of contracts, worked out live: what it costs follows the page, not the
            # installation's backlog.
            page = Paginator(contracts, settings.PAGE_SIZE).get_page(self.request.GET.get("page"))
            contracts = list(page.object_list)
        today = timezone.localdate()
        previews = billable.billable_preview(contracts=contracts, up_to_date=today)
        # What this page worked out live is what the dashboard shows: keep it for it.
        billable_figures.billable_figures_store(previews, up_to_date=today)
        rows = [preview.as_dict() for preview in previews]
        extra = {}
        if "contract_pk" in self.kwargs and rows:
            contract = rows[0]["contract"]
            chosen, capped = generation.billable_allocations(
                contract=contract, up_to_date=timezone.localdate()
            )
            names = dict(FundingSource.objects.filter(contract=contract).values_list("pk", "name"))
            extra = {
                "shares": chosen,
                "capped": capped,
                "source_names": names,
                "contract": contract,
            }
        return {
            **super().get_context_data(**kwargs),
            **extra,
            "rows": rows,
            "page": page,
            "single": "contract_pk" in self.kwargs,
            "form": GenerateForm(),
            "runs": BillingRun.objects.select_related("created_by")[:5],
        }


class GenerateProposalsView(PermissionRequired, View):
    permission_required = "invoicing.add_invoiceproposal"

    def post(self, request, contract_pk):
        contract = get_object_or_404(ProjectContract, pk=contract_pk)
        form = GenerateForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the date to bill up to."))
            return redirect("invoicing:billable_contract", contract_pk=contract_pk)
        try:
            created = generation.proposals_generate(
                contract=contract,
                up_to_date=form.cleaned_data["up_to_date"],
                split_by_kind=form.cleaned_data["split_by_kind"],
                actor=request.user,
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect("invoicing:billable_contract", contract_pk=contract_pk)
        messages.success(request, proposals_created_message(len(created)))
        return redirect(f"{reverse('invoicing:proposal_list')}?contract={contract.pk}&status=draft")


class BillingRunStartView(PermissionRequired, View):
    permission_required = "invoicing.add_invoiceproposal"

    def post(self, request):
        form = GenerateForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the date to bill up to."))
            return redirect("invoicing:billable_now")
        run = BillingRun.objects.create(
            created_by=request.user,
            up_to_date=form.cleaned_data["up_to_date"],
            split_by_kind=form.cleaned_data["split_by_kind"],
        )
        transaction.on_commit(lambda: billing_run_task.enqueue(run.pk))
        return redirect("invoicing:billing_run", pk=run.pk)


class BillingRunView(PermissionRequired, DetailView):
    permission_required = "invoicing.view_invoiceproposal"
    model = BillingRun
    context_object_name = "run"
    template_name = "invoicing/proposals/billing_run.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["invoicing/proposals/_billing_run_status.html"]
        return [self.template_name]


class ManualProposalView(PermissionRequired, View):
    """Create proposals from hand-picked lines (one per funding source)."""

    permission_required = "invoicing.add_invoiceproposal"

    def post(self, request, contract_pk):
        contract = get_object_or_404(ProjectContract, pk=contract_pk)
        picked = [int(value) for value in request.POST.getlist("share") if value.isdigit()]
        try:
            created = generation.proposal_create_manual(
                contract=contract,
                allocation_ids=picked,
                up_to_date=timezone.localdate(),
                actor=request.user,
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect("invoicing:billable_contract", contract_pk=contract_pk)
        messages.success(request, proposals_created_message(len(created)))
        return redirect(f"{reverse('invoicing:proposal_list')}?contract={contract.pk}&status=draft")


class PrepareRuleLinesView(PermissionRequired, View):
    """Turn completed milestones, delivered units and progress into on-account lines now, so
    they can be picked by hand."""

    permission_required = "invoicing.add_invoiceproposal"

    def post(self, request, contract_pk):
        contract = get_object_or_404(ProjectContract, pk=contract_pk)
        try:
            with transaction.atomic():
                created = rules.billing_rules_apply(
                    contract=contract, up_to_date=timezone.localdate(), actor=request.user
                )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(
                request, _("%(count)s on-account lines were prepared.") % {"count": len(created)}
            )
        return redirect("invoicing:billable_contract", contract_pk=contract_pk)
