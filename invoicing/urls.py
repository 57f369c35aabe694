from django.urls import path

from invoicing import invoice_views, proposal_views, views

app_name = "invoicing"

urlpatterns = [
    path("transactions/", views.TransactionListView.as_view(), name="transaction_list"),
    path(
        "transactions/export.csv", views.TransactionExportView.as_view(), name="transaction_export"
    ),
    path("transactions/new/", views.TransactionCreateView.as_view(), name="transaction_create"),
    path(
        "transactions/<int:pk>/", views.TransactionUpdateView.as_view(), name="transaction_update"
    ),
    path(
        "transactions/<int:pk>/delete/",
        views.TransactionDeleteView.as_view(),
        name="transaction_delete",
    ),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/new/", views.ImportUploadView.as_view(), name="import_upload"),
    path("imports/sample.csv", views.SampleTimesheetView.as_view(), name="import_sample"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import_confirm"),
    path(
        "imports/<int:pk>/errors.csv", views.ImportErrorReportView.as_view(), name="import_errors"
    ),
    path("proposals/", proposal_views.ProposalListView.as_view(), name="proposal_list"),
    path(
        "proposals/<int:pk>/", proposal_views.ProposalDetailView.as_view(), name="proposal_detail"
    ),
    path(
        "proposals/<int:pk>/lines/",
        proposal_views.ProposalLineEditView.as_view(),
        name="proposal_lines",
    ),
    path(
        "proposals/<int:pk>/post/", invoice_views.ProposalPostView.as_view(), name="proposal_post"
    ),
    path(
        "proposals/<int:pk>/<str:action>/",
        proposal_views.ProposalActionView.as_view(),
        name="proposal_action",
    ),
    path("invoices/", invoice_views.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/<int:pk>/", invoice_views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", invoice_views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path(
        "invoices/<int:pk>/payment/",
        invoice_views.InvoicePaymentView.as_view(),
        name="invoice_payment",
    ),
    path(
        "invoices/<int:pk>/credit/", invoice_views.CreditNoteView.as_view(), name="invoice_credit"
    ),
    path("invoices/pdfs/", invoice_views.PdfBatchStartView.as_view(), name="pdf_batch_start"),
    path("invoices/pdfs/<int:pk>/", invoice_views.PdfBatchView.as_view(), name="pdf_batch"),
    path(
        "invoices/pdfs/<int:pk>/download/",
        invoice_views.PdfBatchDownloadView.as_view(),
        name="pdf_batch_download",
    ),
    path("receivables/", invoice_views.ReceivablesView.as_view(), name="receivables"),
    path(
        "control/<int:contract_pk>/",
        invoice_views.InvoiceControlView.as_view(),
        name="invoice_control",
    ),
    path(
        "receivables/reminders/",
        invoice_views.RemindersSendView.as_view(),
        name="reminders_send",
    ),
    path("billable/", proposal_views.BillableNowView.as_view(), name="billable_now"),
    path(
        "billable/<int:contract_pk>/",
        proposal_views.BillableNowView.as_view(),
        name="billable_contract",
    ),
    path(
        "billable/<int:contract_pk>/generate/",
        proposal_views.GenerateProposalsView.as_view(),
        name="proposals_generate",
    ),
    path(
        "billable/<int:contract_pk>/manual/",
        proposal_views.ManualProposalView.as_view(),
        name="proposals_manual",
    ),
    path(
        "billable/<int:contract_pk>/prepare/",
        proposal_views.PrepareRuleLinesView.as_view(),
        name="rule_lines_prepare",
    ),
    path(
        "billing-runs/new/", proposal_views.BillingRunStartView.as_view(), name="billing_run_start"
    ),
    path("billing-runs/<int:pk>/", proposal_views.BillingRunView.as_view(), name="billing_run"),
]
