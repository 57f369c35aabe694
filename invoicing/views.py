"""Pages that read across the stages: the dashboard and invoice control."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from contracts.models import ProjectContract
from contracts.views import PermissionRequired
from invoicing import bulk, control, dashboard, job_overview, jobs, saved_filters, search
from invoicing.invoices.models import Invoice, PdfBatch
from invoicing.invoices.tasks import pdf_batch_task
from invoicing.proposals.models import BillingRun
from invoicing.transactions.models import JobKind


class InvoiceControlView(PermissionRequired, TemplateView):
    """Invoice control of a contract, or of one of its projects, and its retention ledger."""

    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/invoice_control.html"

    def get_context_data(self, **kwargs):
        contract = get_object_or_404(
            ProjectContract.objects.select_related("customer"), pk=self.kwargs["contract_pk"]
        )
        project = None
        project_id = self.request.GET.get("project")
        if project_id and project_id.isdigit():
            project = get_object_or_404(contract.projects, pk=project_id)
        return {
            **super().get_context_data(**kwargs),
            "contract": contract,
            "project": project,
            "projects": contract.projects.order_by("code"),
            "control": control.invoice_control(contract=contract, project=project),
        }


class DashboardView(TemplateView):
    """The landing page: what needs doing today, for this user's role."""

    template_name = "invoicing/dashboard.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **dashboard.dashboard(user=self.request.user)}


class JobResumeView(PermissionRequired, View):
    """Resume a failed or stalled billing run or PDF batch (``invoicing.jobs.job_resume``);
    routed once per job model, with the permission that starts that job."""

    model = None
    permission_required = None
    url_name = None

    def post(self, request, pk):
        job = get_object_or_404(self.model, pk=pk)
        try:
            jobs.job_resume(job=job, actor=request.user)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, _("The job was started again."))
        return redirect(self.url_name, pk=pk)


class JobsView(PermissionRequired, TemplateView):
    """The operator's page: running and recent jobs with their chunks, workers and errors."""

    permission_required = "invoicing.change_jobchunk"
    template_name = "invoicing/jobs.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "rows": job_overview.jobs_overview()}


class JobChunksRetryView(PermissionRequired, View):
    """Put a billing run's or PDF batch's failed chunks back in the queue
    (``invoicing.jobs.job_chunks_retry``)."""

    permission_required = "invoicing.change_jobchunk"

    def post(self, request, kind, pk):
        model = {JobKind.BILLING_RUN: BillingRun, JobKind.PDF_BATCH: PdfBatch}.get(kind)
        if model is None:
            raise Http404
        job = get_object_or_404(model, pk=pk)
        try:
            count = jobs.job_chunks_retry(job=job, actor=request.user)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s failed chunk was queued again.",
                    "%(count)s failed chunks were queued again.",
                    count,
                )
                % {"count": count},
            )
        return redirect("invoicing:jobs")


RESULT_NOT_KEPT = _(
    "The result of that bulk action is no longer kept; the lists show where things stand."
)


class BulkActionView(PermissionRequired, View):
    """The checked rows of a list, through one action each (``invoicing.bulk``), then a
    redirect to the page of their results (``BulkResultView``): refreshing it runs nothing. A
    user needs the chosen action's permission; one who holds none of the list's actions is
    refused before anything is read."""

    kind = ""  # the list, as the result remembers it (``BULK_LISTS``)
    actions: dict[str, str] = {}
    labels: dict[str, str] = {}
    list_url_name = ""
    field = ""

    def has_permission(self):
        return any(self.request.user.has_perm(name) for name in self.actions.values())

    def post(self, request):
        action = request.POST.get("action", "")
        ids = [int(value) for value in request.POST.getlist(self.field) if value.isdigit()]
        back = reverse(self.list_url_name)
        if action not in self.actions:
            messages.error(request, _("Choose what to do with the selected rows."))
            return redirect(back)
        if not request.user.has_perm(self.actions[action]):
            raise PermissionDenied
        if not ids:
            messages.error(request, _("Select the rows first: tick them in the list."))
            return redirect(back)
        result = bulk.BulkResult(self.kind, action, self.run(action, ids))
        token = bulk.bulk_results_keep(session=request.session, result=result)
        return redirect("invoicing:bulk_result", token=token)

    def run(self, action: str, ids: list[int]) -> list:
        raise NotImplementedError


class ProposalsBulkView(BulkActionView):
    """Submit, approve or post the proposals checked on the proposal list."""

    kind = "proposals"
    actions = bulk.PROPOSAL_ACTIONS
    labels = {
        "submit": _("Submit the selected proposals"),
        "approve": _("Approve the selected proposals"),
        "post": _("Post the selected proposals"),
    }
    list_url_name = "invoicing:proposal_list"
    field = "proposal"

    def run(self, action, ids):
        return bulk.proposals_bulk(action=action, proposal_ids=ids, actor=self.request.user)


class InvoicesBulkView(BulkActionView):
    """E-mail or mark sent the invoices checked on the invoice list, or render their PDFs
    (a background batch: its page shows the progress)."""

    kind = "invoices"
    actions = {**bulk.INVOICE_ACTIONS, "pdf": "invoicing.add_pdfbatch"}
    labels = {
        "send": _("E-mail the selected invoices"),
        "mark_sent": _("Mark the selected invoices as sent"),
    }
    list_url_name = "invoicing:invoice_list"
    field = "invoice"

    def post(self, request):
        if request.POST.get("action") == "pdf" and request.user.has_perm(self.actions["pdf"]):
            ids = [int(v) for v in request.POST.getlist(self.field) if v.isdigit()]
            ids = list(
                Invoice.objects.filter(pk__in=ids[: bulk.BULK_LIMIT]).values_list("pk", flat=True)
            )
            if ids:
                batch = PdfBatch.objects.create(created_by=request.user, invoice_ids=sorted(ids))
                transaction.on_commit(lambda: pdf_batch_task.enqueue(batch.pk))
                return redirect("invoicing:pdf_batch", pk=batch.pk)
        return super().post(request)

    def run(self, action, ids):
        return bulk.invoices_bulk(action=action, invoice_ids=ids, actor=self.request.user)


BULK_LISTS = {view.kind: view for view in (ProposalsBulkView, InvoicesBulkView)}


class BulkResultView(View):
    """What a bulk action did, row by row, from the user's session: reading it again (a
    refresh, the back button) shows the same rows and runs nothing. Only the user who ran the
    action has the token's result; a result no longer kept sends them home."""

    def get(self, request, token):
        result = bulk.bulk_results_of(session=request.session, token=token)
        if result is None or result.kind not in BULK_LISTS:
            messages.info(request, RESULT_NOT_KEPT)
            return redirect("home")
        view = BULK_LISTS[result.kind]
        return render(
            request,
            "invoicing/bulk_result.html",
            {
                "title": view.labels.get(result.action, ""),
                "rows": result.rows,
                "done_count": result.done_count,
                "refused_count": result.refused_count,
                "back_url": reverse(view.list_url_name),
            },
        )


class SearchView(PermissionRequired, TemplateView):
    """The top bar's search across invoices, customers, contracts and projects."""

    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/search.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")
        return {
            **super().get_context_data(**kwargs),
            "results": search.search(query=query, language=get_language()),
            "search_min_length": search.SEARCH_MIN_LENGTH,
        }


class SavedFilterSaveView(PermissionRequired, View):
    """Save the filter a list shows under a name of the user's choosing."""

    permission_required = "invoicing.view_savedfilter"

    def post(self, request):
        list_name = request.POST.get("list_name", "")
        try:
            saved = saved_filters.saved_filter_save(
                user=request.user,
                list_name=list_name,
                name=request.POST.get("name", ""),
                query=request.POST.get("query", ""),
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            page = saved_filters.LIST_PAGES.get(list_name, ("home",))[0]
            return redirect(page)
        messages.success(request, _("The filter “%(name)s” was saved.") % {"name": saved.name})
        return redirect(saved.url)


class SavedFilterDeleteView(PermissionRequired, View):
    """Delete one of the user's own saved filters."""

    permission_required = "invoicing.view_savedfilter"

    def post(self, request, pk):
        try:
            list_name = saved_filters.saved_filter_delete(user=request.user, saved_filter_id=pk)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect("home")
        messages.success(request, _("The saved filter was deleted."))
        return redirect(saved_filters.LIST_PAGES[list_name][0])
