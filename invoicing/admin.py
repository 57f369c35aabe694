from django.contrib import admin, messages
from import_export.admin import ExportMixin, ImportMixin
from simple_history.admin import SimpleHistoryAdmin

from invoicing import services
from invoicing.models import (
    BillingRun,
    ImportBatch,
    InternalCharge,
    Invoice,
    InvoiceLine,
    InvoiceProposal,
    ProjectTransaction,
    ProposalLine,
    TransactionAllocation,
)
from invoicing.resources import (
    ProjectTransactionExportResource,
    TimesheetCSV,
    TimesheetImportResource,
)


class TransactionAllocationInline(admin.TabularInline):
    model = TransactionAllocation
    extra = 0
    can_delete = False
    fields = ["source", "amount", "rule", "priority", "percentage", "binding_limit", "is_on_hold"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProjectTransaction)
class ProjectTransactionAdmin(ImportMixin, ExportMixin, SimpleHistoryAdmin):
    """Imports go through the same bulk path and checks as the finance UI."""

    resource_classes = [TimesheetImportResource]
    import_formats = [TimesheetCSV]
    list_display = [
        "date",
        "project",
        "kind",
        "category",
        "worker",
        "quantity",
        "sales_amount",
        "currency",
        "is_chargeable",
        "billing_status",
        "external_reference",
    ]
    list_filter = ["kind", "billing_status", "is_chargeable", "currency", "date"]
    search_fields = ["external_reference", "description", "project__code", "worker__name"]
    list_select_related = ["project", "category", "worker"]
    date_hierarchy = "date"
    raw_id_fields = ["project", "worker", "item", "import_batch"]
    readonly_fields = [
        "cost_amount",
        "sales_amount",
        "is_chargeable",
        "billing_status",
        "import_batch",
        "currency",
    ]
    inlines = [TransactionAllocationInline]

    def get_export_resource_classes(self, request):
        return [ProjectTransactionExportResource]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_locked:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            services.transaction_update(record=obj, actor=request.user)
        else:
            services.transaction_record(record=obj, actor=request.user)

    def delete_model(self, request, obj):
        services.transaction_delete(record=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        locked = queryset.filter(billing_status__in=["in_proposal", "invoiced"]).count()
        if locked:
            messages.error(request, services.TRANSACTION_LOCKED)
            return
        for record in queryset:
            services.transaction_delete(record=record, actor=request.user)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "file_name",
        "created_by",
        "created_at",
        "status",
        "total_rows",
        "new_rows",
        "unchanged_rows",
        "error_count",
    ]
    list_filter = ["status"]
    search_fields = ["file_name", "file_sha256"]
    list_select_related = ["created_by"]
    readonly_fields = [field.name for field in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(TransactionAllocation)
class TransactionAllocationAdmin(admin.ModelAdmin):
    list_display = ["transaction", "source", "amount", "rule", "binding_limit", "is_on_hold"]
    list_filter = ["is_on_hold"]
    search_fields = ["transaction__external_reference", "source__name"]
    list_select_related = ["transaction", "transaction__project", "source", "rule", "binding_limit"]
    readonly_fields = [field.name for field in TransactionAllocation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProposalLineInline(admin.TabularInline):
    model = ProposalLine
    extra = 0
    can_delete = False
    fields = ["line_type", "kind", "description", "quantity", "unit_price", "amount", "is_open"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InvoiceProposal)
class InvoiceProposalAdmin(SimpleHistoryAdmin):
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
    readonly_fields = [field.name for field in InvoiceProposal._meta.fields]
    inlines = [ProposalLineInline]

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


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["line_type", "kind", "description", "quantity", "unit_price", "amount", "tax_rate"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Posted invoices are final: the admin shows them and changes nothing."""

    list_display = [
        "number",
        "legal_entity",
        "document_type",
        "customer",
        "invoice_date",
        "gross_total",
        "status",
    ]
    list_filter = ["document_type", "status", "legal_entity"]
    search_fields = ["number", "customer__name", "contract__code"]
    list_select_related = ["legal_entity", "customer"]
    readonly_fields = [field.name for field in Invoice._meta.fields]
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InternalCharge)
class InternalChargeAdmin(admin.ModelAdmin):
    list_display = ["funding_source", "charge_date", "amount", "posted_by"]
    readonly_fields = [field.name for field in InternalCharge._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
