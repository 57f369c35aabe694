"""Admin of proposals and billing runs."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts.admin_tables import field_columns, lines_table
from contracts.paginators import LargeTableAdmin
from invoicing.proposals.models import BillableFigure, BillingRun, InvoiceProposal, ProposalLine

LINE_COLUMNS = field_columns(
    ProposalLine,
    ["line_type", "kind", "text", "quantity", "unit_price", "amount", "is_open"],
    _("description"),
)


@admin.register(InvoiceProposal)
class InvoiceProposalAdmin(LargeTableAdmin, SimpleHistoryAdmin):
    """Read-only here: proposals change only through the workflow in the finance UI."""

    list_display = [
        "pk",
        "contract",
        "funding_source",
        "status",
        "up_to_date",
        "submitted_by",
        "approved_by",
    ]
    list_filter = ["status", "up_to_date"]
    search_fields = ["contract__code", "contract__name", "funding_source__name"]
    list_select_related = ["contract", "funding_source", "submitted_by", "approved_by"]
    readonly_fields = [*(field.name for field in InvoiceProposal._meta.fields), "lines"]

    @admin.display(description=_("Lines"))
    def lines(self, proposal: InvoiceProposal):
        return lines_table(proposal.lines.order_by("pk"), LINE_COLUMNS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "created_by",
        "up_to_date",
        "status",
        "processed_contracts",
        "proposals_created",
    ]
    list_filter = ["status"]
    readonly_fields = [field.name for field in BillingRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(BillableFigure)
class BillableFigureAdmin(admin.ModelAdmin):
    """Read only: the figures are ``billable_preview``'s, kept by ``billable_figures``."""

    list_display = ["contract", "up_to_date", "total", "on_hold", "milestones", "computed_at"]
    list_select_related = ["contract"]
    readonly_fields = [field.name for field in BillableFigure._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
