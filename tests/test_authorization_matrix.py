"""The authorization matrix: every role against every page and every API operation.

One table, written from DOMAIN.md section 1 (and docs/roles.md), says which roles may GET and
POST each URL name of the site and call each operation of the API; the tests ask the running
application for every cell. A URL name or an API operation that the table does not list fails
``test_every_page_is_in_the_table`` / ``test_every_api_operation_is_in_the_table``: a new page
comes with its line here.

What a cell expects:
- anonymous: a redirect to the log-in page (the API: 401), except the public pages;
- a role the table names for the method: not refused (GET 200, or the page's own redirect;
  POST anything but 403/405/the log-in page, and never a 500);
- any other role: 403, the permission being checked before the method (so a role that holds
  the permission but uses the wrong method gets 405).

The data is built once for the module inside a transaction that is rolled back at its end;
each test runs in its own savepoint, so a POST that succeeds leaves nothing for the next one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from collaboration.models import Notification
from contracts import services as contract_services
from contracts.documents import contract_document_add
from contracts.models import BillingRuleType, DocumentKind
from invoicing.invoices import posting
from invoicing.invoices.models import PdfBatch
from invoicing.ledger import exports as ledger_exports
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import BillingRun
from invoicing.receivables import payments
from invoicing.receivables.bank_files import services as bank_services
from invoicing.receivables.bank_files.bgmax import BgMaxDepositOut, BgMaxPaymentOut, bgmax_write
from invoicing.saved_filters import SavedFilter
from tests.factories import (
    BillingRuleFactory,
    BudgetFactory,
    FundingLimitFactory,
    ImportBatchFactory,
    MilestoneFactory,
    UserFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, contract_with_customer, hours

FINANCE, APPROVER, MANAGER, ADMIN, READER = (
    "finance_clerk",
    "approver",
    "project_manager",
    "admin",
    "read_only",
)
ANONYMOUS = "anonymous"
ROLES = (FINANCE, APPROVER, MANAGER, ADMIN, READER)
EVERYONE = frozenset(ROLES)
FINANCE_STAFF = frozenset({FINANCE, ADMIN})
APPROVERS = frozenset({APPROVER, ADMIN})
PROGRESS = frozenset({FINANCE, MANAGER, ADMIN})  # complete milestones, record progress
COMMENTERS = EVERYONE - {READER}
EXPORTERS = FINANCE_STAFF | {READER}
LOGIN = "/accounts/login/"


# ------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Who may GET and who may POST one URL name (None: the view has no such method)."""

    name: str
    get: frozenset | None = None
    post: frozenset | None = None
    kwargs: tuple = ()  # (url kwarg, key in the world) pairs; "@notification" is per user
    variant: str = ""  # the proposal workflow URL takes its step as a kwarg
    public: bool = False  # answered without logging in (never a log-in redirect)
    get_status: int = 200
    logs_out: bool = False  # its success is the log-in page

    @property
    def label(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name


def page(name, get=None, post=None, **options) -> Page:
    return Page(
        name,
        frozenset(get) if get is not None else None,
        frozenset(post) if post is not None else None,
        **options,
    )


CONTRACT = (("pk", "contract"),)
OF_CONTRACT = (("contract_pk", "contract"),)
PROPOSAL_DRAFT = (("pk", "draft"),)

PAGES = [
    page("home", get=EVERYONE),
    page("login", get=EVERYONE, post=EVERYONE, public=True),
    page("logout", post=EVERYONE, logs_out=True),
    page("set_language", get=EVERYONE, post=EVERYONE, public=True, get_status=302),
    page("health", get=EVERYONE, post=EVERYONE, public=True),  # a probe: any method, no writes
    page("api_token", post=EVERYONE, public=True),
    page("api_schema", get=EVERYONE, public=True),
    # Contracts: finance sets them up; everyone sees them.
    page("contracts:contract_list", get=EVERYONE),
    page("contracts:contract_create", get=FINANCE_STAFF, post=FINANCE_STAFF),
    page("contracts:contract_defaults", get=FINANCE_STAFF),
    page("contracts:milestone_list", get=EVERYONE),
    page("contracts:milestone_contract_choices", get=EVERYONE),
    # Exchange rates: finance enters and imports them; everyone sees them.
    page("contracts:exchange_rate_list", get=EVERYONE),
    page("contracts:exchange_rate_create", get=FINANCE_STAFF, post=FINANCE_STAFF),
    page("contracts:exchange_rate_upload", get=FINANCE_STAFF, post=FINANCE_STAFF),
    page("contracts:contract_detail", get=EVERYONE, kwargs=CONTRACT),
    page("contracts:contract_update", get=FINANCE_STAFF, post=FINANCE_STAFF, kwargs=CONTRACT),
    page("contracts:contract_billing", get=EVERYONE, kwargs=CONTRACT),
    page(
        "contracts:milestone_evidence",
        get=EVERYONE,
        kwargs=(("pk", "contract"), ("milestone_pk", "completed_milestone")),
    ),
    page("contracts:document_upload", post=FINANCE_STAFF, kwargs=CONTRACT),
    page(
        "contracts:document_download",
        get=EVERYONE,
        kwargs=(("pk", "contract"), ("document_pk", "document")),
    ),
    page(
        "contracts:document_delete",
        post=FINANCE_STAFF,
        kwargs=(("pk", "contract"), ("document_pk", "document")),
    ),
    page("contracts:schedule_fill", post=FINANCE_STAFF, kwargs=CONTRACT),
    page("contracts:milestone_create", get=FINANCE_STAFF, post=FINANCE_STAFF, kwargs=OF_CONTRACT),
    page(
        "contracts:milestone_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "planned_milestone")),
    ),
    page(
        "contracts:milestone_complete",
        get=PROGRESS,
        post=PROGRESS,
        kwargs=(("contract_pk", "contract"), ("pk", "planned_milestone")),
    ),
    page(
        "contracts:milestone_delete",
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "planned_milestone")),
    ),
    page(
        "contracts:billing_rule_create", get=FINANCE_STAFF, post=FINANCE_STAFF, kwargs=OF_CONTRACT
    ),
    page(
        "contracts:billing_rule_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "unit_rule")),
    ),
    page(
        "contracts:billing_rule_progress",
        get=PROGRESS,
        post=PROGRESS,
        kwargs=(("contract_pk", "contract"), ("pk", "unit_rule")),
    ),
    page("contracts:project_create", get=FINANCE_STAFF, post=FINANCE_STAFF),
    page("contracts:project_detail", get=EVERYONE, kwargs=(("pk", "project"),)),
    page(
        "contracts:project_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("pk", "project"),),
    ),
    page(
        "contracts:budget_create",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("project_pk", "project"),),
    ),
    page(
        "contracts:budget_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("project_pk", "project"), ("pk", "budget")),
    ),
    page(
        "contracts:budget_delete",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("project_pk", "project"), ("pk", "budget")),
    ),
    # Notifications are each user's own; marking them read changes no business data.
    page("collaboration:notification_list", get=EVERYONE),
    page(
        "collaboration:notification_open",
        get=EVERYONE,
        kwargs=(("pk", "@notification"),),
        get_status=302,
    ),
    page("collaboration:notifications_read_all", post=EVERYONE),
    page("collaboration:notification_settings", post=EVERYONE),
    page(
        "collaboration:comments",
        get=EVERYONE,
        post=COMMENTERS,
        kwargs=(("target", "=contract"), ("pk", "contract")),
    ),
    # Funding: finance sets it up; the simulation saves nothing, so viewers may run it.
    page("funding:contract_funding", get=EVERYONE, kwargs=OF_CONTRACT),
    page("funding:simulate", post=EVERYONE, kwargs=OF_CONTRACT),
    page("funding:source_create", get=FINANCE_STAFF, post=FINANCE_STAFF, kwargs=OF_CONTRACT),
    page(
        "funding:source_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "source")),
    ),
    page("funding:limit_create", get=FINANCE_STAFF, post=FINANCE_STAFF, kwargs=OF_CONTRACT),
    page(
        "funding:limit_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "limit")),
    ),
    page(
        "funding:limit_delete",
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "limit")),
    ),
    page("funding:rule_create", get=FINANCE_STAFF, post=FINANCE_STAFF, kwargs=OF_CONTRACT),
    page(
        "funding:rule_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "funding_rule")),
    ),
    page(
        "funding:rule_delete",
        post=FINANCE_STAFF,
        kwargs=(("contract_pk", "contract"), ("pk", "funding_rule")),
    ),
    # Transactions and imports: finance records work; auditors may export what they see.
    page("invoicing:transaction_list", get=EVERYONE),
    page("invoicing:transaction_filter_choices", get=EVERYONE, kwargs=(("field", "=contract"),)),
    page("invoicing:transaction_export", get=EXPORTERS),
    page("invoicing:transaction_create", get=FINANCE_STAFF, post=FINANCE_STAFF),
    page(
        "invoicing:transaction_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("pk", "open_transaction"),),
    ),
    page("invoicing:transaction_delete", post=FINANCE_STAFF, kwargs=(("pk", "open_transaction"),)),
    page("invoicing:import_list", get=EVERYONE),
    page("invoicing:import_upload", get=FINANCE_STAFF, post=FINANCE_STAFF),
    page("invoicing:import_sample", get=FINANCE_STAFF),
    page("invoicing:import_detail", get=EVERYONE, kwargs=(("pk", "import_batch"),)),
    page("invoicing:import_confirm", post=FINANCE_STAFF, kwargs=(("pk", "import_batch"),)),
    page("invoicing:import_errors", get=EVERYONE, kwargs=(("pk", "import_batch"),)),
    page("invoicing:import_check_again", post=FINANCE_STAFF, kwargs=(("pk", "import_batch"),)),
    # Proposals: finance builds them; approvers approve; everyone sees what is billable.
    page("invoicing:proposal_list", get=EVERYONE),
    page("invoicing:proposal_export", get=EVERYONE),
    page("invoicing:proposal_detail", get=EVERYONE, kwargs=PROPOSAL_DRAFT),
    page("invoicing:proposal_lines", post=FINANCE_STAFF, kwargs=PROPOSAL_DRAFT),
    page("invoicing:billable_now", get=EVERYONE),
    page("invoicing:billable_contract", get=EVERYONE, kwargs=OF_CONTRACT),
    page("invoicing:proposals_generate", post=FINANCE_STAFF, kwargs=OF_CONTRACT),
    page("invoicing:proposals_manual", post=FINANCE_STAFF, kwargs=OF_CONTRACT),
    page("invoicing:rule_lines_prepare", post=FINANCE_STAFF, kwargs=OF_CONTRACT),
    page("invoicing:billing_run_start", post=FINANCE_STAFF),
    page("invoicing:billing_run", get=EVERYONE, kwargs=(("pk", "billing_run"),)),
    page("invoicing:billing_run_resume", post=FINANCE_STAFF, kwargs=(("pk", "billing_run"),)),
    # The operator's jobs page and its "retry failed chunks" (issue 18).
    page("invoicing:jobs", get=FINANCE_STAFF),
    page(
        "invoicing:job_chunks_retry",
        post=FINANCE_STAFF,
        kwargs=(("kind", "=billing_run"), ("pk", "billing_run")),
    ),
    page("invoicing:proposal_post", post=FINANCE_STAFF, kwargs=(("pk", "submitted"),)),
    page("invoicing:proposal_retention_release", post=FINANCE_STAFF, kwargs=PROPOSAL_DRAFT),
    *(
        page(
            "invoicing:proposal_action",
            post=roles,
            kwargs=(("pk", proposal), ("action", f"={action}")),
            variant=action,
        )
        for action, roles, proposal in (
            ("submit", FINANCE_STAFF, "draft"),
            ("cancel", FINANCE_STAFF, "draft"),
            ("approve", APPROVERS, "submitted"),
            ("reject", APPROVERS, "submitted"),
        )
    ),
    # Invoices: finance posts, credits, sends PDFs and chases payment; everyone reads them.
    page("invoicing:invoice_list", get=EVERYONE),
    page("invoicing:search", get=EVERYONE),
    # Saved filters are each user's own view of a list: everyone keeps their own.
    page("invoicing:saved_filter_save", post=EVERYONE),
    page("invoicing:saved_filter_delete", post=EVERYONE, kwargs=(("pk", "saved_filter"),)),
    page("invoicing:invoice_export", get=EVERYONE),
    page("invoicing:invoice_detail", get=EVERYONE, kwargs=(("pk", "invoice"),)),
    page("invoicing:invoice_pdf", get=EVERYONE, kwargs=(("pk", "invoice"),)),
    page(
        "invoicing:invoice_credit",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("pk", "invoice"),),
    ),
    page("invoicing:pdf_batch_start", post=FINANCE_STAFF),
    # E-invoices: everyone reads them; finance (or its access point's user) marks a pick-up.
    page("invoicing:einvoice_xml", get=EVERYONE, kwargs=(("pk", "invoice"),)),
    page("invoicing:einvoice_outbox", get=EVERYONE),
    page("invoicing:einvoice_acknowledge", post=FINANCE_STAFF, kwargs=(("pk", "einvoice"),)),
    page("invoicing:pdf_batch", get=EVERYONE, kwargs=(("pk", "pdf_batch"),)),
    page("invoicing:pdf_batch_resume", post=FINANCE_STAFF, kwargs=(("pk", "pdf_batch"),)),
    page("invoicing:pdf_batch_download", get=EVERYONE, kwargs=(("pk", "pdf_batch"),)),
    page("invoicing:receivables", get=EVERYONE),
    page("invoicing:receivables_export", get=EVERYONE),
    page("invoicing:customer_export", get=EVERYONE),
    # Customers: everyone reads them; finance adds and changes them (and the admin).
    page("invoicing:customer_list", get=EVERYONE),
    page("invoicing:customer_detail", get=EVERYONE, kwargs=(("pk", "customer"),)),
    page("invoicing:customer_create", get=FINANCE_STAFF, post=FINANCE_STAFF),
    page(
        "invoicing:customer_update",
        get=FINANCE_STAFF,
        post=FINANCE_STAFF,
        kwargs=(("pk", "customer"),),
    ),
    page("invoicing:customer_statement", get=EVERYONE, kwargs=(("pk", "customer"),)),
    page("invoicing:customer_statement_pdf", get=EVERYONE, kwargs=(("pk", "customer"),)),
    page("invoicing:customer_refund", post=FINANCE_STAFF, kwargs=(("pk", "customer"),)),
    page("invoicing:payment_reverse", post=FINANCE_STAFF, kwargs=(("pk", "payment"),)),
    page("invoicing:reminders_send", post=FINANCE_STAFF),
    page("invoicing:invoice_payment", post=FINANCE_STAFF, kwargs=(("pk", "invoice"),)),
    # Sending by e-mail: finance sends, one or many (the list's selection).
    page("invoicing:invoice_send", post=FINANCE_STAFF, kwargs=(("pk", "invoice"),)),
    page("invoicing:invoices_send", post=FINANCE_STAFF),
    # Bulk actions of the lists: whoever holds one of the list's actions reaches the page.
    page("invoicing:proposals_bulk", post=FINANCE_STAFF | APPROVERS),
    page("invoicing:invoices_bulk", post=FINANCE_STAFF),
    # A bulk action's result lives in the session of whoever ran it: an unknown one goes home.
    page("invoicing:bulk_result", get=EVERYONE, kwargs=(("token", "=unknown"),), get_status=302),
    page("invoicing:invoice_control", get=EVERYONE, kwargs=OF_CONTRACT),
    # Bank files: finance imports and books them (as it records payments); everyone sees them.
    page("invoicing:bank_file_list", get=EVERYONE),
    page("invoicing:bank_file_upload", post=FINANCE_STAFF),
    page("invoicing:bank_file", get=EVERYONE, kwargs=(("pk", "bank_file"),)),
    page("invoicing:bank_file_confirm", post=FINANCE_STAFF, kwargs=(("pk", "bank_file"),)),
    page("invoicing:bank_file_discard", post=FINANCE_STAFF, kwargs=(("pk", "bank_file"),)),
    page("invoicing:bank_payment_queue", get=EVERYONE),
    page(
        "invoicing:bank_payment_match",
        get=EVERYONE,
        post=FINANCE_STAFF,
        kwargs=(("pk", "bank_payment"),),
    ),
    # The books: everyone reads them; finance reverses vouchers, edits the chart and exports.
    page("invoicing:journal", get=EVERYONE),
    page("invoicing:voucher_detail", get=EVERYONE, kwargs=(("pk", "voucher"),)),
    page("invoicing:voucher_reverse", post=FINANCE_STAFF, kwargs=(("pk", "voucher"),)),
    page("invoicing:chart", get=EVERYONE, get_status=302),
    page(
        "invoicing:chart_edit",
        get=EVERYONE,
        post=FINANCE_STAFF,
        kwargs=(("pk", "legal_entity"),),
    ),
    page("invoicing:ledger_export", get=EVERYONE, post=FINANCE_STAFF),
]
PAGES_BY_LABEL = {entry.label: entry for entry in PAGES}


@dataclass(frozen=True)
class Operation:
    """Who may call one API operation, and a body that passes validation where one is needed
    (so that the answer is the permission's, not a 400)."""

    method: str
    path: str
    roles: frozenset
    body: dict = field(default_factory=dict)
    public: bool = False


def operation(method, path, roles, body=None, **options) -> Operation:
    return Operation(method, path, frozenset(roles), body or {}, **options)


OPERATIONS = [
    operation("POST", "/api/v1/token/", EVERYONE, public=True),
    operation("GET", "/api/v1/contracts/", EVERYONE),
    operation("POST", "/api/v1/contracts/", FINANCE_STAFF),
    operation("GET", "/api/v1/contracts/{id}/", EVERYONE),
    operation("PUT", "/api/v1/contracts/{id}/", FINANCE_STAFF),
    operation("PATCH", "/api/v1/contracts/{id}/", FINANCE_STAFF),
    operation("GET", "/api/v1/projects/", EVERYONE),
    operation("POST", "/api/v1/projects/", FINANCE_STAFF),
    operation("GET", "/api/v1/projects/{id}/", EVERYONE),
    operation("PUT", "/api/v1/projects/{id}/", FINANCE_STAFF),
    operation("PATCH", "/api/v1/projects/{id}/", FINANCE_STAFF),
    operation("GET", "/api/v1/funding-sources/", EVERYONE),
    operation("GET", "/api/v1/funding-sources/{id}/", EVERYONE),
    operation("GET", "/api/v1/funding-limits/", EVERYONE),
    operation("GET", "/api/v1/funding-limits/{id}/", EVERYONE),
    operation("GET", "/api/v1/funding-rules/", EVERYONE),
    operation("GET", "/api/v1/funding-rules/{id}/", EVERYONE),
    operation("GET", "/api/v1/transactions/", EVERYONE),
    operation("POST", "/api/v1/transactions/", FINANCE_STAFF),
    operation("GET", "/api/v1/transactions/{id}/", EVERYONE),
    operation("POST", "/api/v1/transactions/bulk/", FINANCE_STAFF, {"rows": []}),
    operation("GET", "/api/v1/milestones/", EVERYONE),
    operation("GET", "/api/v1/milestones/{id}/", EVERYONE),
    operation("POST", "/api/v1/milestones/{id}/complete/", PROGRESS),
    operation("GET", "/api/v1/proposals/", EVERYONE),
    operation("GET", "/api/v1/proposals/{id}/", EVERYONE),
    operation("POST", "/api/v1/proposals/generate/", FINANCE_STAFF),
    operation("POST", "/api/v1/proposals/{id}/submit/", FINANCE_STAFF),
    operation("POST", "/api/v1/proposals/{id}/cancel/", FINANCE_STAFF),
    operation("POST", "/api/v1/proposals/{id}/approve/", APPROVERS),
    operation("POST", "/api/v1/proposals/{id}/reject/", APPROVERS, {"reason": "Wrong rate"}),
    operation("POST", "/api/v1/proposals/{id}/post/", FINANCE_STAFF),
    operation("GET", "/api/v1/invoices/", EVERYONE),
    operation("GET", "/api/v1/invoices/{id}/", EVERYONE),
    operation("GET", "/api/v1/invoices/{id}/pdf/", EVERYONE),
    operation("POST", "/api/v1/invoices/{id}/credit/", FINANCE_STAFF, {"lines": [], "reason": "x"}),
    operation("GET", "/api/v1/invoices/{id}/einvoice/", EVERYONE),
    operation("POST", "/api/v1/invoices/{id}/send/", FINANCE_STAFF, {}),
    operation("GET", "/api/v1/invoices/{id}/dispatches/", EVERYONE),
    operation("GET", "/api/v1/einvoices/", EVERYONE),
    operation("GET", "/api/v1/einvoices/{id}/", EVERYONE),
    operation("POST", "/api/v1/einvoices/{id}/acknowledge/", FINANCE_STAFF, {}),
    operation("GET", "/api/v1/customers/", EVERYONE),
    operation("POST", "/api/v1/customers/", FINANCE_STAFF),
    operation("GET", "/api/v1/customers/{id}/", EVERYONE),
    operation("PUT", "/api/v1/customers/{id}/", FINANCE_STAFF),
    operation("PATCH", "/api/v1/customers/{id}/", FINANCE_STAFF),
    operation("GET", "/api/v1/bank-files/", EVERYONE),
    operation("POST", "/api/v1/bank-files/", FINANCE_STAFF),
    operation("GET", "/api/v1/bank-files/{id}/", EVERYONE),
    operation("POST", "/api/v1/bank-files/{id}/confirm/", FINANCE_STAFF),
    operation("GET", "/api/v1/payments/", EVERYONE),
    operation("POST", "/api/v1/payments/", FINANCE_STAFF),
    operation("GET", "/api/v1/payments/{id}/", EVERYONE),
    operation("GET", "/api/v1/vouchers/", EVERYONE),
    operation("GET", "/api/v1/vouchers/{id}/", EVERYONE),
    operation("GET", "/api/v1/ledger/exports/", EVERYONE),
    operation("GET", "/api/v1/ledger/exports/{id}/", EVERYONE),
    operation("POST", "/api/v1/ledger/sie/", FINANCE_STAFF),
]

# Which record an API path's {id} is, per operation.
API_OBJECTS = {
    "/api/v1/contracts/{id}/": "contract",
    "/api/v1/projects/{id}/": "project",
    "/api/v1/funding-sources/{id}/": "source",
    "/api/v1/funding-limits/{id}/": "limit",
    "/api/v1/funding-rules/{id}/": "funding_rule",
    "/api/v1/transactions/{id}/": "open_transaction",
    "/api/v1/milestones/{id}/": "planned_milestone",
    "/api/v1/milestones/{id}/complete/": "planned_milestone",
    "/api/v1/proposals/{id}/": "draft",
    "/api/v1/proposals/{id}/submit/": "draft",
    "/api/v1/proposals/{id}/cancel/": "draft",
    "/api/v1/proposals/{id}/approve/": "submitted",
    "/api/v1/proposals/{id}/reject/": "submitted",
    "/api/v1/proposals/{id}/post/": "submitted",
    "/api/v1/invoices/{id}/": "invoice",
    "/api/v1/invoices/{id}/pdf/": "invoice",
    "/api/v1/invoices/{id}/credit/": "invoice",
    "/api/v1/invoices/{id}/einvoice/": "invoice",
    "/api/v1/invoices/{id}/send/": "invoice",
    "/api/v1/invoices/{id}/dispatches/": "invoice",
    "/api/v1/einvoices/{id}/": "einvoice",
    "/api/v1/einvoices/{id}/acknowledge/": "einvoice",
    "/api/v1/customers/{id}/": "customer",
    "/api/v1/bank-files/{id}/": "bank_file",
    "/api/v1/bank-files/{id}/confirm/": "bank_file",
    "/api/v1/payments/{id}/": "payment",
    "/api/v1/vouchers/{id}/": "voucher",
    "/api/v1/ledger/exports/{id}/": "ledger_export",
}


# ------------------------------------------------------------------------------------------
# The data, once per module
# ------------------------------------------------------------------------------------------


def build_world() -> dict:
    users = {role: UserFactory(username=f"matrix-{role}", role=role) for role in ROLES}
    clerk = users[FINANCE]
    contract, project, source = contract_with_customer(code="MATRIX")
    limit = FundingLimitFactory(source=source, amount=Decimal("1000000"))
    BillingRuleFactory(
        contract=contract, rule_type=BillingRuleType.TIME_AND_MATERIAL, projects=[project]
    )
    unit_rule = BillingRuleFactory(
        contract=contract,
        rule_type=BillingRuleType.UNIT_OF_DELIVERY,
        unit_name="sessions",
        unit_price=Decimal("100.00"),
        total_units=Decimal("10"),
        projects=[project],
    )
    completed = MilestoneFactory(contract=contract, amount=Decimal("500.00"))
    contract_services.milestone_complete(
        milestone=completed,
        actor=users[MANAGER],
        evidence=SimpleUploadedFile("accepted.pdf", b"%PDF-1.4 accepted"),
    )
    document = contract_document_add(
        contract=contract,
        kind=DocumentKind.SIGNED_CONTRACT,
        title="Signed",
        uploaded_file=SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed"),
        actor=clerk,
    )
    worker = WorkerFactory(sales_rate=Decimal("100"))

    def proposal_of_new_work():
        hours(project, worker, "1")
        [proposal] = generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
        return proposal

    posted = proposal_of_new_work()
    workflow.proposal_submit(proposal=posted, actor=clerk)
    workflow.proposal_approve(proposal=posted, actor=users[APPROVER])
    invoice = posting.invoice_post(
        proposal=posted, actor=clerk, invoice_date=datetime.date(2026, 4, 1)
    )
    submitted = workflow.proposal_submit(proposal=proposal_of_new_work(), actor=clerk)
    draft = proposal_of_new_work()
    pdf_batch = PdfBatch.objects.create(
        created_by=clerk, invoice_ids=[invoice.pk], status=PdfBatch.Status.DONE
    )
    pdf_batch.archive.save("matrix.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18))
    return {
        "users": users,
        "tokens": {role: Token.objects.create(user=user).key for role, user in users.items()},
        "notifications": {
            role: Notification.objects.create(
                recipient=user, kind="mentioned", params={}, url=contract.get_absolute_url()
            ).pk
            for role, user in users.items()
        },
        "contract": contract.pk,
        "project": project.pk,
        "budget": BudgetFactory(project=project).pk,
        "source": source.pk,
        "limit": limit.pk,
        "funding_rule": contract.funding_rules.get().pk,
        "unit_rule": unit_rule.pk,
        "planned_milestone": MilestoneFactory(contract=contract, amount=Decimal("900")).pk,
        "completed_milestone": completed.pk,
        "document": document.pk,
        "open_transaction": hours(project, worker, "2").pk,
        "import_batch": ImportBatchFactory().pk,
        "draft": draft.pk,
        "submitted": submitted.pk,
        "invoice": invoice.pk,
        "einvoice": invoice.einvoices.get(syntax="peppol-bis-3-ubl").pk,
        "customer": invoice.customer_id,
        "payment": payments.payment_record(
            customer=invoice.customer,
            currency=invoice.currency,
            amount=Decimal("10.00"),
            paid_on=invoice.invoice_date,
            allocations=[(invoice, Decimal("10.00"))],
            actor=clerk,
        ).pk,
        **bank_file_with_a_waiting_payment(clerk),
        "voucher": invoice.voucher.pk,
        "legal_entity": invoice.legal_entity_id,
        "ledger_export": ledger_exports.ledger_export(
            legal_entity=invoice.legal_entity,
            date_from=invoice.invoice_date,
            date_to=invoice.invoice_date,
            export_format="sie",
            actor=clerk,
        ).record.pk,
        "pdf_batch": pdf_batch.pk,
        "saved_filter": SavedFilter.objects.create(
            user=clerk, list_name="invoices", name="Matrix", query="status=sent"
        ).pk,
        "billing_run": BillingRun.objects.create(created_by=clerk, up_to_date=DAY).pk,
    }


def bank_file_with_a_waiting_payment(clerk) -> dict:
    """A confirmed BgMax file whose one payment no invoice was found for."""
    content = bgmax_write(
        [
            BgMaxDepositOut(
                bankgiro="50501055",
                payment_date=datetime.date(2026, 4, 2),
                payments=(BgMaxPaymentOut(amount=Decimal("1.23"), payer_name="Matrix"),),
            )
        ],
        created_at=datetime.datetime(2026, 4, 2, 6),
    )
    upload = bank_services.bank_file_upload(content=content, file_name="m.txt", actor=clerk)
    bank_services.bank_file_confirm(bank_file=upload.bank_file, actor=clerk)
    return {"bank_file": upload.bank_file.pk, "bank_payment": upload.bank_file.payments.get().pk}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once, inside a transaction rolled back when the module is done."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media"))
    media.enable()
    with pytest.MonkeyPatch.context() as patch:
        # The matrix asks who may fetch a PDF, not how it looks: rendering is tested elsewhere.
        patch.setattr("invoicing.invoices.documents.invoice_pdf", lambda invoice: b"%PDF-1.4")
        patch.setattr("invoicing.invoices.documents.html_pdf", lambda *args, **kw: b"%PDF-1.4")
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                data = build_world()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        yield data
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
    media.disable()


# ------------------------------------------------------------------------------------------
# Every page
# ------------------------------------------------------------------------------------------


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            joined = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _url_names(pattern.url_patterns, joined)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def site_url_names() -> set[str]:
    """Every URL name of the site but the Django admin's (tested below) and the API router's
    (its operations are enumerated from the OpenAPI schema)."""
    api_router = {
        pattern.name
        for pattern in get_resolver("invoicing.api.urls").url_patterns
        if pattern.name not in ("api_token", "api_schema")
    }
    return {
        name
        for name in _url_names(get_resolver().url_patterns)
        if not name.startswith("admin:") and name not in api_router
    }


def test_every_page_is_in_the_table():
    """A page without a line in the table fails here: say who may use it (docs/roles.md)."""
    assert site_url_names() == {entry.name for entry in PAGES}


def url_of(entry: Page, world: dict, role: str) -> str:
    kwargs = {}
    for name, key in entry.kwargs:
        if key.startswith("="):
            kwargs[name] = key[1:]
        elif key == "@notification":
            kwargs[name] = world["notifications"][FINANCE if role == ANONYMOUS else role]
        else:
            kwargs[name] = world[key]
    return reverse(entry.name, kwargs=kwargs)


def expected(entry: Page, method: str, role: str):
    """ "ok", "login" or a status code."""
    if entry.public:
        return "ok" if (entry.get if method == "GET" else entry.post) is not None else 405
    if role == ANONYMOUS:
        return "login"
    allowed = entry.get if method == "GET" else entry.post
    if allowed is None:
        gate = entry.post if method == "GET" else entry.get
        return 405 if role in gate else 403
    return "ok" if role in allowed else 403


def answer(client, world: dict, entry: Page, method: str, role: str) -> str | None:
    """What is wrong with the answer to one cell, or None. The request runs in a savepoint
    that is rolled back, so a POST that succeeds changes nothing for the next role."""
    with transaction.atomic():
        client.logout()
        if role != ANONYMOUS:
            client.force_login(world["users"][role])
        url = url_of(entry, world, role)
        response = client.get(url) if method == "GET" else client.post(url, {})
        transaction.set_rollback(True)
    want = expected(entry, method, role)
    status, location = response.status_code, response.get("Location", "")
    if want == "login":
        good = status == 302 and location.startswith(LOGIN)
    elif want == "ok":
        good = status < 500 and status not in (403, 405)
        good = good and (entry.logs_out or not location.startswith(LOGIN))
        if method == "GET" and not entry.public:
            good = good and status == entry.get_status
    else:
        good = status == want
    return None if good else f"{role}: expected {want}, got {status} {location}".rstrip()


CELLS = [
    pytest.param(entry, method, id=f"{entry.label}-{method}")
    for entry in PAGES
    for method in ("GET", "POST")
]


@pytest.mark.django_db
@pytest.mark.parametrize(("entry", "method"), CELLS)
def test_page_answers_every_role_as_the_table_says(client, world, entry, method):
    """One row of the matrix: the page and method, for every role and for anonymous."""
    wrong = [answer(client, world, entry, method, role) for role in (*ROLES, ANONYMOUS)]
    assert [text for text in wrong if text] == []


# ------------------------------------------------------------------------------------------
# Every API operation
# ------------------------------------------------------------------------------------------


def schema_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def test_every_api_operation_is_in_the_table():
    """An API operation without a line in the table fails here."""
    assert schema_operations() == {(item.method, item.path) for item in OPERATIONS}


def api_answer(world: dict, item: Operation, role: str) -> str | None:
    """What is wrong with the API's answer to one cell, or None (rolled back like a page)."""
    client = APIClient()
    if role != ANONYMOUS:
        client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][role]}")
    path = item.path.replace("{id}", str(world.get(API_OBJECTS.get(item.path, ""), 0)))
    body = {**item.body}
    if item.path == "/api/v1/proposals/generate/":
        body = {"contract": world["contract"], "up_to_date": DAY.isoformat()}
    with transaction.atomic():
        response = client.generic(
            item.method, path, data=_json(body), content_type="application/json"
        )
        transaction.set_rollback(True)
    status = response.status_code
    if item.public:
        want, good = "ok", status < 500 and status not in (401, 403)
    elif role == ANONYMOUS:
        want, good = 401, status == 401
    elif role in item.roles:
        want, good = "ok", status < 500 and status not in (401, 403, 405)
    else:
        want, good = 403, status == 403
    detail = getattr(response, "data", None)
    return None if good else f"{role}: expected {want}, got {status} {detail}"


API_CELLS = [pytest.param(item, id=f"{item.method} {item.path}") for item in OPERATIONS]


@pytest.mark.django_db
@pytest.mark.parametrize("item", API_CELLS)
def test_api_answers_every_role_as_the_table_says(world, item):
    wrong = [api_answer(world, item, role) for role in (*ROLES, ANONYMOUS)]
    assert [text for text in wrong if text] == []


def _json(body: dict) -> str:
    import json

    return json.dumps(body)


# ------------------------------------------------------------------------------------------
# The Django admin: the Admin role only
# ------------------------------------------------------------------------------------------

ADMIN_PAGES = [
    ("GET", "/admin/"),
    ("GET", "/admin/contracts/billingrule/"),
    ("POST", "/admin/contracts/billingrule/add/"),
    ("GET", "/admin/invoicing/invoiceproposal/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_only_admins_use_the_django_admin(client, world, method, path):
    wrong = []
    for role in (*ROLES, ANONYMOUS):
        client.logout()
        if role != ANONYMOUS:
            user = world["users"][role]
            user.is_staff = True  # even staff status does not open the admin to other roles
            user.save(update_fields=["is_staff"])
            client.force_login(user)
        with transaction.atomic():
            response = client.get(path) if method == "GET" else client.post(path, {})
            transaction.set_rollback(True)
        location = response.get("Location", "")
        if role == ADMIN:
            good = response.status_code == 200
        else:  # the admin's log-in page, or the site's for anonymous visitors
            good = response.status_code == 302 and location.startswith(("/admin/login/", LOGIN))
        if not good:
            wrong.append(f"{role}: got {response.status_code} {location}")
    assert wrong == []
