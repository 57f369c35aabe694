from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _project_has_transactions(project) -> bool:
    from invoicing.transactions.models import ProjectTransaction

    return ProjectTransaction.objects.filter(project=project).exists()


def _contract_usage(contract) -> str | None:
    from contracts.services import CONTRACT_USED_BY_INVOICES, CONTRACT_USED_BY_TRANSACTIONS
    from invoicing.invoices.models import Invoice
    from invoicing.transactions.models import ProjectTransaction

    if Invoice.objects.filter(contract=contract).exists():
        return CONTRACT_USED_BY_INVOICES
    if ProjectTransaction.objects.filter(project__contract=contract).exists():
        return CONTRACT_USED_BY_TRANSACTIONS
    return None


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing")
    role_permissions = {
        "finance_clerk": [
            "add_projecttransaction",
            "change_projecttransaction",
            "delete_projecttransaction",
            "import_projecttransaction",
            "export_projecttransaction",
            "add_importbatch",
            "add_invoiceproposal",
            "change_invoiceproposal",
            "add_invoicedispatch",
            "add_proposalline",
            "change_proposalline",
            "delete_proposalline",
            "add_pdfbatch",
            "add_einvoiceacknowledgement",
            # The books: reversing a voucher, editing the chart-of-accounts mapping, exporting.
            "add_voucher",
            "add_ledgeraccount",
            "change_ledgeraccount",
            "delete_ledgeraccount",
            "add_accountrule",
            "change_accountrule",
            "delete_accountrule",
            "add_ledgerexport",
            # The jobs page: background work's chunks, workers and errors; retry failed chunks.
            "change_jobchunk",
        ],
        "approver": ["approve_invoiceproposal"],
        # Auditors see everything, which includes downloading the transactions they see.
        "read_only": ["export_projecttransaction"],
    }

    def ready(self) -> None:
        from collaboration.registry import (
            CommentTarget,
            comment_target_register,
            notification_kind_register,
        )
        from contracts.services import (
            billing_rule_completion_listener_register,
            contract_usage_check_register,
            milestone_completion_listener_register,
            project_usage_check_register,
        )
        from invoicing.automations import milestone_completed_propose, rule_thresholds_propose
        from invoicing.invoices.hooks import (
            credit_note_posted_listener_register,
            document_posted_listener_register,
            invoice_annotator_register,
            invoice_page_context_register,
        )
        from invoicing.ledger.services import document_posted_book, receivable_recorded_book
        from invoicing.ledger.views import invoice_page_voucher
        from invoicing.notification_kinds import NOTIFICATION_KINDS
        from invoicing.proposals.models import InvoiceProposal
        from invoicing.proposals.shares import work_in_progress_by_funder
        from invoicing.receivables.customer_views import CUSTOMER_COMMENT_TARGET
        from invoicing.receivables.hooks import receivable_recorded_listener_register
        from invoicing.receivables.payments import credit_note_settle_receivable
        from invoicing.receivables.selectors import invoices_with_open_amount
        from invoicing.receivables.sending_views import invoice_page_sending
        from invoicing.receivables.views import invoice_page_receivable
        from invoicing.transactions.hooks import work_in_progress_provider_register

        # contracts cannot import invoicing: it calls back through these registrations.
        project_usage_check_register(_project_has_transactions)
        contract_usage_check_register(_contract_usage)
        billing_rule_completion_listener_register(rule_thresholds_propose)
        milestone_completion_listener_register(milestone_completed_propose)
        notification_kind_register(*NOTIFICATION_KINDS)
        # invoices cannot import receivables: a posted credit note settles its invoice, and the
        # invoice list and page show what is open, through these registrations.
        credit_note_posted_listener_register(credit_note_settle_receivable)
        invoice_annotator_register(invoices_with_open_amount)
        invoice_page_context_register(invoice_page_receivable)
        invoice_page_context_register(invoice_page_sending)
        # invoices and receivables cannot import the ledger: every posted document and every
        # receivables record is booked (a voucher in the same transaction) through these.
        document_posted_listener_register(document_posted_book)
        receivable_recorded_listener_register(receivable_recorded_book)
        invoice_page_context_register(invoice_page_voucher)
        # transactions cannot import proposals: the list's work in progress per funder (what
        # of each share is still to bill) comes through this registration.
        work_in_progress_provider_register(work_in_progress_by_funder)
        comment_target_register(
            CUSTOMER_COMMENT_TARGET,
            CommentTarget(
                key="proposal",
                model=InvoiceProposal,
                permission="invoicing.view_invoiceproposal",
                url=lambda proposal: proposal.get_absolute_url() + "#comments",
                name=str,
                label=_("proposal %(name)s"),
                page=lambda proposal: proposal.get_absolute_url(),
            ),
        )
