"""Pages that read across the stages: the dashboard and invoice control."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from contracts.models import ProjectContract
from contracts.views import PermissionRequired
from invoicing import control, dashboard, job_overview, jobs
from invoicing.invoices.models import PdfBatch
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
