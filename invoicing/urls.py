"""Every page of invoicing, stage by stage, under one namespace (``invoicing:``)."""

from django.urls import path

from invoicing import views
from invoicing.invoices import urls as invoices
from invoicing.proposals import urls as proposals
from invoicing.receivables import urls as receivables
from invoicing.transactions import urls as transactions

app_name = "invoicing"

urlpatterns = [
    *transactions.urlpatterns,
    *proposals.urlpatterns,
    *invoices.urlpatterns,
    *proposals.workflow_urlpatterns,
    *receivables.urlpatterns,
    path("control/<int:contract_pk>/", views.InvoiceControlView.as_view(), name="invoice_control"),
]
