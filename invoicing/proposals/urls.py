from django.urls import path

from invoicing.proposals import views

urlpatterns = [
    path("proposals/", views.ProposalListView.as_view(), name="proposal_list"),
    path("proposals/export/", views.ProposalExportView.as_view(), name="proposal_export"),
    path("proposals/<int:pk>/", views.ProposalDetailView.as_view(), name="proposal_detail"),
    path("proposals/<int:pk>/lines/", views.ProposalLineEditView.as_view(), name="proposal_lines"),
    path("billable/", views.BillableNowView.as_view(), name="billable_now"),
    path("billable/<int:contract_pk>/", views.BillableNowView.as_view(), name="billable_contract"),
    path(
        "billable/<int:contract_pk>/generate/",
        views.GenerateProposalsView.as_view(),
        name="proposals_generate",
    ),
    path(
        "billable/<int:contract_pk>/manual/",
        views.ManualProposalView.as_view(),
        name="proposals_manual",
    ),
    path(
        "billable/<int:contract_pk>/prepare/",
        views.PrepareRuleLinesView.as_view(),
        name="rule_lines_prepare",
    ),
    path("billing-runs/new/", views.BillingRunStartView.as_view(), name="billing_run_start"),
    path("billing-runs/<int:pk>/", views.BillingRunView.as_view(), name="billing_run"),
]

# Matched last: any other word after a proposal is a workflow step (submit, approve...).
workflow_urlpatterns = [
    path(
        "proposals/<int:pk>/<str:action>/",
        views.ProposalActionView.as_view(),
        name="proposal_action",
    ),
]
