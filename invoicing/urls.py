"""Every page of invoicing, stage by stage, under one namespace (``invoicing:``)."""

from django.urls import path

from invoicing import views
from invoicing.invoices import urls as invoices
from invoicing.invoices.models import PdfBatch
from invoicing.invoices.views import PdfBatchStartView
from invoicing.ledger import urls as ledger
from invoicing.proposals import urls as proposals
from invoicing.proposals.models import BillingRun
from invoicing.proposals.views import BillingRunStartView
from invoicing.receivables import urls as receivables
from invoicing.transactions import urls as transactions

app_name = "invoicing"

urlpatterns = [
    *transactions.urlpatterns,
    *proposals.urlpatterns,
    *invoices.urlpatterns,
    *proposals.workflow_urlpatterns,
    *receivables.urlpatterns,
    *ledger.urlpatterns,
    # Resuming a job needs the permission that starts it.
    path(
        "billing-runs/<int:pk>/resume/",
        views.JobResumeView.as_view(
            model=BillingRun,
            permission_required=BillingRunStartView.permission_required,
            url_name="invoicing:billing_run",
        ),
        name="billing_run_resume",
    ),
    path(
        "invoices/pdfs/<int:pk>/resume/",
        views.JobResumeView.as_view(
            model=PdfBatch,
            permission_required=PdfBatchStartView.permission_required,
            url_name="invoicing:pdf_batch",
        ),
        name="pdf_batch_resume",
    ),
    path("jobs/", views.JobsView.as_view(), name="jobs"),
    path(
        "jobs/<str:kind>/<int:pk>/retry/",
        views.JobChunksRetryView.as_view(),
        name="job_chunks_retry",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    path("saved-filters/", views.SavedFilterSaveView.as_view(), name="saved_filter_save"),
    path(
        "saved-filters/<int:pk>/delete/",
        views.SavedFilterDeleteView.as_view(),
        name="saved_filter_delete",
    ),
    path("proposals/bulk/", views.ProposalsBulkView.as_view(), name="proposals_bulk"),
    path("invoices/bulk/", views.InvoicesBulkView.as_view(), name="invoices_bulk"),
    path("bulk/<str:token>/", views.BulkResultView.as_view(), name="bulk_result"),
    path("control/<int:contract_pk>/", views.InvoiceControlView.as_view(), name="invoice_control"),
]
