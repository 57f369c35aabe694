from django.urls import path

from invoicing.ledger import views

urlpatterns = [
    path("books/", views.JournalView.as_view(), name="journal"),
    path("books/vouchers/<int:pk>/", views.VoucherDetailView.as_view(), name="voucher_detail"),
    path(
        "books/vouchers/<int:pk>/reverse/",
        views.VoucherReverseView.as_view(),
        name="voucher_reverse",
    ),
    path("books/chart/", views.ChartRedirectView.as_view(), name="chart"),
    path("books/chart/<int:pk>/", views.ChartEditView.as_view(), name="chart_edit"),
    path("books/export/", views.ExportView.as_view(), name="ledger_export"),
]
