"""Admin of transactions, their funding allocations and import batches."""

from django.contrib import admin, messages
from import_export.admin import ExportMixin, ImportMixin
from simple_history.admin import SimpleHistoryAdmin

from contracts.paginators import LargeTableAdmin
from invoicing.transactions import services
from invoicing.transactions.models import (
    LOCKED_BILLING_STATUSES,
    ImportBatch,
    JobChunk,
    ProjectTransaction,
    TransactionAllocation,
)
from invoicing.transactions.resources import (
    ProjectTransactionExportResource,
    TimesheetCSV,
    TimesheetImportResource,
)
from invoicing.transactions.timesheet_reader import TimesheetFileError


class TransactionAllocationInline(admin.TabularInline):
    model = TransactionAllocation
    extra = 0
    can_delete = False
    fields = ["source", "amount", "rule", "priority", "percentage", "binding_limit", "is_on_hold"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProjectTransaction)
class ProjectTransactionAdmin(LargeTableAdmin, ImportMixin, ExportMixin, SimpleHistoryAdmin):
    """Imports go through the same bulk path and checks as the finance UI. A million rows: an
    estimated count and no date hierarchy (the list filter's date ranges read nothing)."""

    resource_classes = [TimesheetImportResource]
    import_formats = [TimesheetCSV]

    def add_data_read_fail_error_to_form(self, form, e):
        """The reader's own words (line and what to do) instead of the exception's class name."""
        if isinstance(e, TimesheetFileError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

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
    # every key as an id box: a select would list every billing rule and milestone (1,000s)
    raw_id_fields = ["project", "worker", "item", "import_batch", "billing_rule", "milestone"]
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
        locked = queryset.filter(billing_status__in=LOCKED_BILLING_STATUSES).count()
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
class TransactionAllocationAdmin(LargeTableAdmin, admin.ModelAdmin):
    list_display = ["transaction", "source", "amount", "rule", "binding_limit", "is_on_hold"]
    list_filter = ["is_on_hold"]
    search_fields = ["transaction__external_reference", "source__name"]
    list_select_related = ["transaction", "transaction__project", "source", "rule", "binding_limit"]
    readonly_fields = [field.name for field in TransactionAllocation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobChunk)
class JobChunkAdmin(admin.ModelAdmin):
    """The chunks of billing runs and PDF batches, for the record (the operator works from the
    jobs page)."""

    list_display = [
        "pk",
        "job_kind",
        "job_id",
        "number",
        "status",
        "worker",
        "attempts",
        "heartbeat_at",
    ]
    list_filter = ["job_kind", "status"]
    search_fields = ["worker", "error"]
    readonly_fields = [field.name for field in JobChunk._meta.fields if field.name != "output"]
    exclude = ["output"]

    def has_add_permission(self, request):
        return False
