from django.urls import path

from funding import views

app_name = "funding"

urlpatterns = [
    path("", views.ContractFundingView.as_view(), name="contract_funding"),
    path("simulate/", views.FundingSimulateView.as_view(), name="simulate"),
    path("sources/new/", views.FundingSourceFormView.as_view(), name="source_create"),
    path("sources/<int:pk>/edit/", views.FundingSourceFormView.as_view(), name="source_update"),
    path("limits/new/", views.FundingLimitFormView.as_view(), name="limit_create"),
    path("limits/<int:pk>/edit/", views.FundingLimitFormView.as_view(), name="limit_update"),
    path("limits/<int:pk>/delete/", views.FundingLimitDeleteView.as_view(), name="limit_delete"),
    path("rules/new/", views.FundingRuleFormView.as_view(), name="rule_create"),
    path("rules/<int:pk>/edit/", views.FundingRuleFormView.as_view(), name="rule_update"),
    path("rules/<int:pk>/delete/", views.FundingRuleDeleteView.as_view(), name="rule_delete"),
]
