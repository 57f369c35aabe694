"""Admin of bank files (read-only: files are uploaded and confirmed on the finance pages)."""

from django.contrib import admin

from invoicing.receivables.admin import ReadOnlyAdmin
from invoicing.receivables.bank_files.models import BankFile, BankFilePayment


class BankFilePaymentInline(admin.TabularInline):
    model = BankFilePayment
    extra = 0
    can_delete = False
    fields = ["position", "bank_reference", "booked_on", "amount", "currency", "payer_name",
              "match_kind", "state", "customer", "payment"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BankFile)
class BankFileAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "kind", "status", "uploaded_at", "uploaded_by", "confirmed_at"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "sha256", "identifier"]
    list_select_related = ["uploaded_by"]
    exclude = ["content"]
    inlines = [BankFilePaymentInline]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "content"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")


@admin.register(BankFilePayment)
class BankFilePaymentAdmin(ReadOnlyAdmin):
    list_display = ["bank_reference", "booked_on", "amount", "currency", "payer_name",
                    "match_kind", "state", "bank_file"]  # fmt: skip
    list_filter = ["state", "match_kind", "currency"]
    search_fields = ["bank_reference", "payer_name"]
    list_select_related = ["bank_file"]
