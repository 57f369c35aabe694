"""Pages that read across the stages: the dashboard and invoice control."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from contracts.models import ProjectContract
from contracts.views import PermissionRequired
from invoicing import control, dashboard


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
