"""/api/v1/: token-authenticated JSON API with an OpenAPI schema."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from invoicing.api import bank_files, customers, ledger, sending, views

router = SimpleRouter()
router.register("contracts", views.ContractViewSet)
router.register("projects", views.ProjectViewSet)
router.register("funding-sources", views.FundingSourceViewSet)
router.register("funding-limits", views.FundingLimitViewSet)
router.register("funding-rules", views.FundingRuleViewSet)
router.register("transactions", views.TransactionViewSet)
router.register("milestones", views.MilestoneViewSet)
router.register("proposals", views.ProposalViewSet)
router.register("invoices", views.InvoiceViewSet)
router.register("einvoices", views.EInvoiceViewSet)
router.register("customers", customers.CustomerViewSet)
router.register("bank-files", bank_files.BankFileViewSet)
router.register("payments", bank_files.PaymentViewSet)
router.register("vouchers", ledger.VoucherViewSet)
router.register("ledger/exports", ledger.LedgerExportViewSet)
router.register("ledger/sie", ledger.SieExportViewSet, basename="ledger-sie")

# The API authenticates in the view (token or session), so the site's log-in redirect must not
# intercept it; every API view still requires an authenticated user with the permission.
for pattern in router.urls:
    pattern.callback.login_required = False

urlpatterns = [
    path("token/", login_not_required(obtain_auth_token), name="api_token"),
    path(
        "schema/",
        login_not_required(SpectacularAPIView.as_view(permission_classes=[AllowAny])),
        name="api_schema",
    ),
    *router.urls,
    path("invoices/<int:pk>/send/", login_not_required(sending.InvoiceSendView.as_view())),
    path(
        "invoices/<int:pk>/dispatches/",
        login_not_required(sending.InvoiceDispatchListView.as_view()),
    ),
]
