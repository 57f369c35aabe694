from django.urls import path

from invoicing.receivables.bank_files import views

urlpatterns = [
    path("bank-files/", views.BankFileListView.as_view(), name="bank_file_list"),
    path("bank-files/upload/", views.BankFileUploadView.as_view(), name="bank_file_upload"),
    path("bank-files/<int:pk>/", views.BankFileDetailView.as_view(), name="bank_file"),
    path(
        "bank-files/<int:pk>/confirm/",
        views.BankFileConfirmView.as_view(),
        name="bank_file_confirm",
    ),
    path(
        "bank-files/<int:pk>/discard/",
        views.BankFileDiscardView.as_view(),
        name="bank_file_discard",
    ),
    path("bank-payments/", views.BankPaymentQueueView.as_view(), name="bank_payment_queue"),
    path(
        "bank-payments/<int:pk>/", views.BankPaymentMatchView.as_view(), name="bank_payment_match"
    ),
]
