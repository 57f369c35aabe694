"""The demo data: one contract per worked example (and E1 again from the Danish entity), three
months of activity replayed through the services on top of it, and a second run that changes
nothing."""

import datetime
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from collaboration.models import Notification
from contracts.models import Budget, Milestone, MilestoneStatus, ProjectContract
from contracts.money import percent_of
from contracts.roles import ROLE_GROUP_NAMES
from einvoice.validation import validate
from invoicing.invoices.models import (
    DocumentType,
    EInvoice,
    EInvoiceSyntax,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.proposals.models import InvoiceProposal, ProposalStatus
from invoicing.receivables import selectors
from invoicing.receivables.models import CreditApplication, Payment, PaymentMethod
from invoicing.transactions.models import ImportBatch, ImportStatus, ProjectTransaction

pytestmark = pytest.mark.django_db

WORKED_EXAMPLES = {"F1", "U1", "P1", "P2", "M1", "M2", "E1", "T1"}
# E1 again, invoiced by the Danish legal entity in kroner at Danish VAT.
DEMO_CONTRACTS = WORKED_EXAMPLES | {"E1-DK"}


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The full demo loaded once on an empty database for the tests of a class, and rolled back
    after them (a load takes seconds, each test's assertions milliseconds). Each test runs in
    its own savepoint inside. Returns what the command printed."""
    printed = io.StringIO()
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        call_command("load_demo", stdout=printed)
        yield printed.getvalue()
        transaction.set_rollback(True)


def row_counts():
    return {
        model._meta.label: model._default_manager.count()
        for app in ("auth", "contracts", "funding", "invoicing")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.mark.slow
class TestTheFullDemo:
    """Loaded once, on an empty database."""

    def test_a_second_run_changes_nothing(self, demo, capsys):
        first = row_counts()
        contracts = list(ProjectContract.objects.values().order_by("pk"))

        call_command("load_demo")

        assert row_counts() == first
        assert list(ProjectContract.objects.values().order_by("pk")) == contracts
        assert "already have activity" in capsys.readouterr().out
        # The replay's clock is put back: the services stamp the real time again.
        assert abs(timezone.now() - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(
            minutes=1
        )

    def test_demo_has_every_worked_example_users_and_prints_the_logins(
        self, demo, django_user_model
    ):
        assert set(ProjectContract.objects.values_list("code", flat=True)) == DEMO_CONTRACTS
        assert django_user_model.objects.count() == len(ROLE_GROUP_NAMES)
        assert "clerk" in demo and "clerk-demo-2026" in demo
        assert "1 rejected" in demo and "1 overdue" in demo

    def test_every_posted_document_and_payment_is_booked_in_a_balanced_voucher(self, demo):
        from decimal import Decimal

        from invoicing.ledger.models import Voucher
        from invoicing.receivables.models import Payment

        vouchers = list(Voucher.objects.prefetch_related("lines"))
        assert all(
            sum((line.amount for line in voucher.lines.all()), Decimal("0")) == 0
            for voucher in vouchers
        )
        assert {voucher.invoice_id for voucher in vouchers} - {None} == set(
            Invoice.objects.values_list("pk", flat=True)
        )
        assert {voucher.payment_id for voucher in vouchers} - {None} == set(
            Payment.objects.values_list("pk", flat=True)
        )
        for entity, series in {(v.legal_entity_id, v.series) for v in vouchers}:
            numbers = sorted(
                v.number for v in vouchers if (v.legal_entity_id, v.series) == (entity, series)
            )
            assert numbers == list(range(1, len(numbers) + 1))  # no gaps

    def test_timesheets_arrive_through_imports(self, demo):
        batches = ImportBatch.objects.all()
        assert batches.count() > 3
        assert set(batches.values_list("status", flat=True)) == {ImportStatus.IMPORTED}
        imported = ProjectTransaction.objects.filter(import_batch__isnull=False)
        assert imported.filter(kind="hour").exists() and imported.filter(kind="expense").exists()
        assert sum(batch.new_rows for batch in batches) == imported.count()

    def test_proposals_are_in_every_state_and_approved_by_someone_else(self, demo):
        states = set(InvoiceProposal.objects.values_list("status", flat=True))
        assert {
            ProposalStatus.DRAFT,
            ProposalStatus.SUBMITTED,
            ProposalStatus.APPROVED,
            ProposalStatus.POSTED,
        } <= states
        rejected = InvoiceProposal.objects.filter(status=ProposalStatus.DRAFT).exclude(
            rejection_reason=""
        )
        assert rejected.count() == 1
        approved = InvoiceProposal.objects.filter(approved_by__isnull=False)
        assert approved.exists()
        assert all(p.approved_by_id != p.submitted_by_id for p in approved)

    def test_invoices_are_posted_over_three_months_sent_paid_credited_and_one_is_overdue(
        self, demo
    ):
        today = timezone.localdate()
        invoices = Invoice.objects.filter(document_type=DocumentType.INVOICE)
        months = {(invoice.invoice_date.year, invoice.invoice_date.month) for invoice in invoices}
        assert len(months) >= 3
        assert all(invoice.invoice_date <= today for invoice in invoices)
        assert invoices.filter(status=InvoiceStatus.SENT).exists()
        annotated = list(selectors.invoices_with_open_amount(invoices))
        assert any(
            invoice.status == InvoiceStatus.PAID and invoice.amount_paid > 0
            for invoice in annotated
        )
        assert any(invoice.payment_state == "partly_paid" for invoice in annotated)
        assert [invoice.is_overdue for invoice in annotated].count(True) == 1
        assert selectors.overdue().count() == 1
        credit_notes = Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE)
        assert {note.contract.code for note in credit_notes} == {"E1", "E1-DK"}
        credit_note = credit_notes.get(contract__code="E1")
        assert credit_note.gross_total < 0
        assert credit_note.credited_invoice.document_type == DocumentType.INVOICE
        assert credit_note.credit_reason
        # Its invoice was paid already: the credit became customer credit, applied to the
        # customer's next invoice, which was then paid net.
        assert not credit_note.credit_settlements.exists()
        [applied] = CreditApplication.objects.filter(credit_note__isnull=True)
        assert applied.amount == -credit_note.gross_total
        assert applied.invoice.status == InvoiceStatus.PAID
        customer = credit_note.customer
        assert selectors.customer_credit_available(customer, credit_note.currency) == 0

    def test_the_danish_entity_invoices_in_its_own_series_is_paid_by_fik_and_credits(self, demo):
        documents = Invoice.objects.filter(legal_entity__code="NPS-DK").order_by("sequence_number")
        assert [(document.number, document.document_type) for document in documents] == [
            ("DK-1", DocumentType.INVOICE),
            ("DK-2", DocumentType.INVOICE),
            ("DK-3", DocumentType.CREDIT_NOTE),
        ]
        first, second, credit_note = documents
        assert {document.currency for document in documents} == {"DKK"}
        assert {document.language for document in documents} == {"da"}
        assert all(
            line.tax_rate == 25 for line in InvoiceLine.objects.filter(invoice__in=documents)
        )
        # Its staff work in Danish: the fee's text and the credit's reason are Danish.
        assert first.lines.get(line_type="fee").description.startswith("E1-DK gebyr: 10 % af ")
        assert "krediteres" in credit_note.credit_reason
        # The first is paid by FIK with the code line of its payment slip.
        [payment] = Payment.objects.filter(allocations__invoice=first)
        fik = first.snapshot["payment_reference"]
        assert fik["scheme"] == "fik"
        assert payment.reference == fik["code_line"] == f"+71<{fik['reference']}+81234567<"
        assert payment.method == PaymentMethod.BANK_TRANSFER
        assert first.status == InvoiceStatus.PAID
        # The credit note settles the second, still open and not yet due.
        assert credit_note.credited_invoice == second
        [settled] = credit_note.credit_settlements.all()
        assert settled.invoice == second and settled.amount == -credit_note.gross_total
        assert second.due_date >= timezone.localdate()
        assert selectors.invoice_open_amount(second) == second.gross_total + credit_note.gross_total

    def test_every_posted_document_has_a_valid_peppol_einvoice(self, demo):
        """Done-when of the e-invoice issue: every invoice and credit note the demo posts is a
        valid Peppol BIS 3.0 document, for a Swedish and a Danish seller."""
        documents = list(Invoice.objects.select_related("legal_entity").order_by("pk"))
        einvoices = {
            einvoice.invoice_id: einvoice
            for einvoice in EInvoice.objects.filter(syntax=EInvoiceSyntax.PEPPOL_BIS_UBL)
        }
        assert documents and set(einvoices) == {document.pk for document in documents}
        for document in documents:
            kind = (
                "credit_note" if document.document_type == DocumentType.CREDIT_NOTE else "invoice"
            )
            fatal = [
                str(finding)
                for finding in validate(einvoices[document.pk].xml_bytes, kind)
                if finding.is_fatal
            ]
            assert fatal == [], document.number
        sellers = {
            (document.legal_entity.country, document.document_type) for document in documents
        }
        assert {
            ("SE", DocumentType.INVOICE),
            ("SE", DocumentType.CREDIT_NOTE),
            ("DK", DocumentType.INVOICE),
            ("DK", DocumentType.CREDIT_NOTE),
        } <= sellers

    def test_retention_is_withheld_and_later_released(self, demo):
        released = InvoiceLine.objects.get(line_type="retention_release")
        contract = released.invoice.contract
        assert contract.retention_percent > 0
        withheld = InvoiceLine.objects.filter(
            line_type="retention",
            invoice__contract=contract,
            invoice__sequence_number__lt=released.invoice.sequence_number,
        )
        assert released.amount == -sum(line.amount for line in withheld)
        # The release is never itself retained: the 4th P1 invoice (15,000.00 of progress and
        # the release) withholds 5 % of its 15,000.00 of work, 750.00 (875.00 before)
        release_invoice = released.invoice
        work = sum(
            line.amount
            for line in release_invoice.lines.exclude(
                line_type__in=["retention", "retention_release"]
            )
        )
        assert release_invoice.retention_total == -percent_of(
            work, contract.retention_percent, contract.currency
        )

    def test_milestones_are_behind_and_ahead_never_all_overdue(self, demo):
        today = timezone.localdate()
        milestones = Milestone.objects.all()
        assert milestones.filter(due_date__lt=today, status=MilestoneStatus.INVOICED).exists()
        assert milestones.filter(status=MilestoneStatus.COMPLETED).exists()
        assert milestones.filter(due_date__gt=today, status=MilestoneStatus.PLANNED).exists()
        assert not milestones.filter(due_date__lt=today, status=MilestoneStatus.PLANNED).exists()

    def test_the_workflow_left_notifications_for_the_demo_users(self, demo):
        for username in ("clerk", "approver", "manager"):
            assert Notification.objects.filter(recipient__username=username).exists()
        assert Notification.objects.filter(
            recipient__username="clerk", read_at__isnull=True
        ).exists()
        assert Notification.objects.filter(
            recipient__username="clerk", read_at__isnull=False
        ).exists()

    def test_the_clerk_sees_a_full_dashboard(self, demo, client, django_user_model):
        client.force_login(django_user_model.objects.get(username="clerk"))

        response = client.get("/")

        assert response.status_code == 200
        context = response.context
        assert context["billable_count"] > 0
        assert context["rejected_count"] == 1
        assert sum(row["overdue_count"] for row in context["receivables"]) == 1
        assert all(row["open"] > 0 for row in context["receivables"])
        assert len(context["receivables"]) == 3  # SEK, DKK and EUR
        charts = context["charts"]
        assert sum(float(amount) > 0 for amount in charts["revenue"]) >= 3
        assert charts["plan_labels"] and charts["wip_labels"]
        assert context["milestone_counts"]["overdue"] == 0
        for page in ("invoicing:proposal_list", "invoicing:invoice_list", "invoicing:import_list"):
            assert client.get(reverse(page)).status_code == 200

    def test_the_approver_has_proposals_waiting(self, demo, client, django_user_model):
        client.force_login(django_user_model.objects.get(username="approver"))

        response = client.get("/")

        assert response.context["waiting_count"] > 0


def test_bare_creates_the_set_up_only(media_root, capsys):
    call_command("load_demo", "--bare")

    assert set(ProjectContract.objects.values_list("code", flat=True)) == DEMO_CONTRACTS
    assert not ProjectTransaction.objects.exists()
    assert not InvoiceProposal.objects.exists()
    assert not ImportBatch.objects.exists()
    assert "clerk-demo-2026" in capsys.readouterr().out


def test_demo_p2_budgets_match_the_worked_example(media_root):
    call_command("load_demo", "--bare")
    budgets = {
        b.category.name: (b.cost_amount, b.revenue_amount)
        for b in Budget.objects.filter(project__contract__code="P2").select_related("category")
    }
    assert budgets == {"Development": (15000, 20000), "Installation": (5000, 10000)}
