from django.urls import path

from invoicing.transactions import views

urlpatterns = [
    path("transactions/", views.TransactionListView.as_view(), name="transaction_list"),
    path(
        "transactions/choices/<str:field>/",
        views.TransactionFilterChoicesView.as_view(),
        name="transaction_filter_choices",
    ),
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
        "imports/<int:pk>/check-again/",
        views.ImportCheckAgainView.as_view(),
        name="import_check_again",
    ),
    path(
        "imports/<int:pk>/errors.csv", views.ImportErrorReportView.as_view(), name="import_errors"
    ),
]
