"""Django's admin discovers ``invoicing.admin``; each stage registers its own models."""

from django.contrib import admin

from invoicing.invoices import admin as invoices_admin
from invoicing.ledger import admin as ledger_admin
from invoicing.proposals import admin as proposals_admin
from invoicing.receivables import admin as receivables_admin
from invoicing.receivables.bank_files import admin as bank_files_admin
from invoicing.saved_filters import SavedFilter
from invoicing.transactions import admin as transactions_admin

__all__ = [
    "bank_files_admin",
    "invoices_admin",
    "ledger_admin",
    "proposals_admin",
    "receivables_admin",
    "transactions_admin",
]


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "list_name", "user", "query", "created_at"]
    list_filter = ["list_name"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]
