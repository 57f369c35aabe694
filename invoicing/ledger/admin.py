"""Admin of the books. Vouchers and exports are records: shown, never added, changed or
deleted here (vouchers are written by posting and receivables, reversed by a reversing
voucher). The mapping is edited on the finance page (Books, Chart of accounts), which checks
it as a whole; the admin shows it."""

from django.contrib import admin

from contracts.paginators import LargeTableAdmin
from invoicing.ledger.models import AccountRule, LedgerAccount, LedgerExport, Voucher, VoucherLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VoucherLineInline(admin.TabularInline):
    model = VoucherLine
    extra = 0
    can_delete = False
    fields = [
        "account",
        "account_name",
        "amount",
        "currency_amount",
        "vat_category",
        "vat_rate",
        "text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Voucher)
class VoucherAdmin(LargeTableAdmin, ReadOnlyAdmin):
    list_display = ["__str__", "legal_entity", "date", "kind", "text", "currency"]
    # One voucher a document and payment: no date hierarchy (it reads every distinct date of the
    # table); the date filter's ranges read nothing.
    list_filter = ["legal_entity", "series", "kind", "date"]
    search_fields = ["text"]
    list_select_related = ["legal_entity"]
    inlines = [VoucherLineInline]


@admin.register(VoucherLine)
class VoucherLineAdmin(LargeTableAdmin, ReadOnlyAdmin):
    list_display = ["voucher", "account", "account_name", "amount"]
    list_select_related = ["voucher"]
    search_fields = ["account"]


@admin.register(LedgerExport)
class LedgerExportAdmin(ReadOnlyAdmin):
    list_display = [
        "legal_entity",
        "export_format",
        "date_from",
        "date_to",
        "voucher_count",
        "created_by",
        "created_at",
    ]
    list_select_related = ["legal_entity", "created_by"]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["legal_entity", "number", "name"]
    list_filter = ["legal_entity"]


@admin.register(AccountRule)
class AccountRuleAdmin(ReadOnlyAdmin):
    list_display = [
        "legal_entity",
        "purpose",
        "account",
        "kind",
        "category",
        "vat_category",
        "vat_rate",
    ]
    list_filter = ["legal_entity", "purpose"]
    list_select_related = ["legal_entity", "account", "category"]
