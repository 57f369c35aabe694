from django.urls import path

from invoicing.receivables import views

urlpatterns = [
    path("receivables/", views.ReceivablesView.as_view(), name="receivables"),
    path("receivables/reminders/", views.RemindersSendView.as_view(), name="reminders_send"),
    path("invoices/<int:pk>/payment/", views.InvoicePaymentView.as_view(), name="invoice_payment"),
]
