"""Admin of posted invoices and internal charges (read-only: posted documents are final)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from contracts.admin_tables import field_columns, lines_table
from contracts.paginators import LargeTableAdmin
from invoicing.invoices.models import InternalCharge, Invoice, InvoiceLine

LINE_COLUMNS = field_columns(
    InvoiceLine,
    ["line_type", "kind", "description", "quantity", "unit_price", "amount", "tax_rate"],
    _("description"),
)


@admin.register(Invoice)
class InvoiceAdmin(LargeTableAdmin, admin.ModelAdmin):
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
    readonly_fields = [*(field.name for field in Invoice._meta.fields), "lines"]

    @admin.display(description=_("Lines"))
    def lines(self, invoice: Invoice):
        """The lines as the document froze them."""
        return lines_table(invoice.lines.order_by("pk"), LINE_COLUMNS)

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
