"""Admin of the receivables ledger (read-only: payments are reversed, never edited or deleted;
the finance pages record them through the services)."""

from django.contrib import admin

from invoicing.receivables.dispatch_models import InvoiceDispatch
from invoicing.receivables.models import (
    CreditApplication,
    CustomerRefund,
    Payment,
    PaymentAllocation,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    fields = ["invoice", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["paid_on", "customer", "amount", "currency", "method", "reference", "reverses"]
    list_filter = ["method", "currency"]
    search_fields = ["reference", "payer", "customer__name"]
    list_select_related = ["customer", "reverses"]
    inlines = [PaymentAllocationInline]


@admin.register(CreditApplication)
class CreditApplicationAdmin(ReadOnlyAdmin):
    list_display = ["applied_on", "customer", "invoice", "credit_note", "amount", "currency"]
    list_select_related = ["customer", "invoice", "credit_note"]


@admin.register(CustomerRefund)
class CustomerRefundAdmin(ReadOnlyAdmin):
    list_display = ["refunded_on", "customer", "amount", "currency", "method", "reference"]
    list_select_related = ["customer"]


@admin.register(InvoiceDispatch)
class InvoiceDispatchAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "invoice", "kind", "to", "result", "attempt", "actor"]
    list_filter = ["result", "kind"]
    search_fields = ["invoice__number", "to", "subject"]
    list_select_related = ["invoice", "actor"]
