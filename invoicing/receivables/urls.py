from django.urls import path

from invoicing.receivables import customer_views, sending_views, views
from invoicing.receivables.bank_files import urls as bank_files

urlpatterns = [
    path("receivables/", views.ReceivablesView.as_view(), name="receivables"),
    path("receivables/export/", views.ReceivablesExportView.as_view(), name="receivables_export"),
    path("receivables/reminders/", views.RemindersSendView.as_view(), name="reminders_send"),
    path("invoices/send/", sending_views.InvoicesSendView.as_view(), name="invoices_send"),
    path("invoices/<int:pk>/send/", sending_views.InvoiceSendView.as_view(), name="invoice_send"),
    path("invoices/<int:pk>/payment/", views.InvoicePaymentView.as_view(), name="invoice_payment"),
    path("payments/<int:pk>/reverse/", views.PaymentReverseView.as_view(), name="payment_reverse"),
    path("customers/", customer_views.CustomerListView.as_view(), name="customer_list"),
    path("customers/export/", customer_views.CustomerExportView.as_view(), name="customer_export"),
    path("customers/new/", customer_views.CustomerCreateView.as_view(), name="customer_create"),
    path(
        "customers/<int:pk>/", customer_views.CustomerDetailView.as_view(), name="customer_detail"
    ),
    path(
        "customers/<int:pk>/edit/",
        customer_views.CustomerUpdateView.as_view(),
        name="customer_update",
    ),
    path(
        "customers/<int:pk>/statement/",
        views.CustomerStatementView.as_view(),
        name="customer_statement",
    ),
    path(
        "customers/<int:pk>/statement/pdf/",
        views.CustomerStatementPdfView.as_view(),
        name="customer_statement_pdf",
    ),
    path("customers/<int:pk>/refund/", views.CustomerRefundView.as_view(), name="customer_refund"),
    *bank_files.urlpatterns,
]
