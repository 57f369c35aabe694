from django.urls import path

from contracts import document_views, exchange_rate_views, views

app_name = "contracts"

urlpatterns = [
    path("", views.ContractListView.as_view(), name="contract_list"),
    path("new/", views.ContractCreateView.as_view(), name="contract_create"),
    path("new/defaults/", views.ContractDefaultsView.as_view(), name="contract_defaults"),
    path("milestones/", views.MilestoneListView.as_view(), name="milestone_list"),
    path(
        "milestones/contract-choices/",
        views.MilestoneContractChoicesView.as_view(),
        name="milestone_contract_choices",
    ),
    path(
        "exchange-rates/",
        exchange_rate_views.ExchangeRateListView.as_view(),
        name="exchange_rate_list",
    ),
    path(
        "exchange-rates/new/",
        exchange_rate_views.ExchangeRateCreateView.as_view(),
        name="exchange_rate_create",
    ),
    path(
        "exchange-rates/import/",
        exchange_rate_views.ExchangeRateImportView.as_view(),
        name="exchange_rate_upload",
    ),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("<int:pk>/edit/", views.ContractUpdateView.as_view(), name="contract_update"),
    path("<int:pk>/billing/", views.ContractBillingView.as_view(), name="contract_billing"),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/evidence/",
        document_views.MilestoneEvidenceView.as_view(),
        name="milestone_evidence",
    ),
    path(
        "<int:pk>/documents/",
        document_views.ContractDocumentUploadView.as_view(),
        name="document_upload",
    ),
    path(
        "<int:pk>/documents/<int:document_pk>/",
        document_views.ContractDocumentDownloadView.as_view(),
        name="document_download",
    ),
    path(
        "<int:pk>/documents/<int:document_pk>/delete/",
        document_views.ContractDocumentDeleteView.as_view(),
        name="document_delete",
    ),
    path("<int:pk>/billing/schedule/", views.ScheduleFillView.as_view(), name="schedule_fill"),
    path(
        "<int:contract_pk>/milestones/new/",
        views.MilestoneFormView.as_view(),
        name="milestone_create",
    ),
    path(
        "<int:contract_pk>/milestones/<int:pk>/edit/",
        views.MilestoneFormView.as_view(),
        name="milestone_update",
    ),
    path(
        "<int:contract_pk>/milestones/<int:pk>/complete/",
        views.MilestoneCompleteView.as_view(),
        name="milestone_complete",
    ),
    path(
        "<int:contract_pk>/milestones/<int:pk>/delete/",
        views.MilestoneDeleteView.as_view(),
        name="milestone_delete",
    ),
    path(
        "<int:contract_pk>/billing-rules/new/",
        views.BillingRuleFormView.as_view(),
        name="billing_rule_create",
    ),
    path(
        "<int:contract_pk>/billing-rules/<int:pk>/edit/",
        views.BillingRuleFormView.as_view(),
        name="billing_rule_update",
    ),
    path(
        "<int:contract_pk>/billing-rules/<int:pk>/progress/",
        views.BillingRuleProgressView.as_view(),
        name="billing_rule_progress",
    ),
    path("projects/new/", views.ProjectCreateView.as_view(), name="project_create"),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("projects/<int:pk>/edit/", views.ProjectUpdateView.as_view(), name="project_update"),
    path(
        "projects/<int:project_pk>/budgets/new/",
        views.BudgetCreateView.as_view(),
        name="budget_create",
    ),
    path(
        "projects/<int:project_pk>/budgets/<int:pk>/edit/",
        views.BudgetUpdateView.as_view(),
        name="budget_update",
    ),
    path(
        "projects/<int:project_pk>/budgets/<int:pk>/delete/",
        views.BudgetDeleteView.as_view(),
        name="budget_delete",
    ),
]
