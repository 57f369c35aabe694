from django.urls import path

from invoicing.invoices import views

urlpatterns = [
    path("proposals/<int:pk>/post/", views.ProposalPostView.as_view(), name="proposal_post"),
    path(
        "proposals/<int:pk>/release/",
        views.RetentionReleaseView.as_view(),
        name="proposal_retention_release",
    ),
    path("invoices/", views.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/export/", views.InvoiceExportView.as_view(), name="invoice_export"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path(
        "invoices/<int:pk>/einvoice.xml", views.EInvoiceDownloadView.as_view(), name="einvoice_xml"
    ),
    path("invoices/outbox/", views.EInvoiceOutboxView.as_view(), name="einvoice_outbox"),
    path(
        "invoices/outbox/<int:pk>/picked-up/",
        views.EInvoiceAcknowledgeView.as_view(),
        name="einvoice_acknowledge",
    ),
    path("invoices/<int:pk>/credit/", views.CreditNoteView.as_view(), name="invoice_credit"),
    path("invoices/pdfs/", views.PdfBatchStartView.as_view(), name="pdf_batch_start"),
    path("invoices/pdfs/<int:pk>/", views.PdfBatchView.as_view(), name="pdf_batch"),
    path(
        "invoices/pdfs/<int:pk>/download/",
        views.PdfBatchDownloadView.as_view(),
        name="pdf_batch_download",
    ),
]
