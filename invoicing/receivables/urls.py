from django.urls import path

from invoicing.receivables import views
from invoicing.receivables.bank_files import urls as bank_files

urlpatterns = [
    path("receivables/", views.ReceivablesView.as_view(), name="receivables"),
    path("receivables/reminders/", views.RemindersSendView.as_view(), name="reminders_send"),
    path("invoices/<int:pk>/payment/", views.InvoicePaymentView.as_view(), name="invoice_payment"),
    path("payments/<int:pk>/reverse/", views.PaymentReverseView.as_view(), name="payment_reverse"),
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
