"""Pages of posted documents: the invoice list, an invoice and its PDF, posting an approved
proposal, crediting an invoice, and batches of PDFs."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace

import django_filters
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from contracts.date_inputs import date_clean
from contracts.filters import StyledFilterSet
from contracts.models import Customer
from contracts.number_fields import number_clean
from contracts.paginators import page_by_ids
from contracts.spreadsheets import DATE, MONEY, Column, table_response
from contracts.views import PermissionRequired
from invoicing.invoices import credits, documents, hooks, outbox, posting, retention
from invoicing.invoices.einvoices import buyer_endpoint
from invoicing.invoices.models import (
    DocumentType,
    EInvoice,
    EInvoiceSyntax,
    Invoice,
    InvoiceStatus,
    PdfBatch,
)
from invoicing.invoices.tasks import pdf_batch_task
from invoicing.proposals.models import InvoiceProposal
from invoicing.transactions.filters import contract_choice_filter


class InvoiceFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(
        choices=InvoiceStatus.choices, label=_("Status"), empty_label=_("All")
    )
    document_type = django_filters.ChoiceFilter(
        choices=DocumentType.choices, label=_("Document"), empty_label=_("All")
    )
    contract = contract_choice_filter()  # typed: a thousand contracts are too many to list
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.order_by("name"), label=_("Customer"), empty_label=_("All")
    )

    class Meta:
        model = Invoice
        fields = ["status", "document_type", "contract", "customer"]


class RetentionReleaseView(PermissionRequired, View):
    """Add the release of what is still retained for the funder to a draft proposal."""

    permission_required = "invoicing.change_invoiceproposal"

    def post(self, request, pk):
        proposal = get_object_or_404(InvoiceProposal, pk=pk)
        try:
            retention.proposal_retention_release_add(proposal=proposal, actor=request.user)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, _("The retained amount was added for release."))
        return redirect(proposal.get_absolute_url())


def _invoice_list_filter(request) -> InvoiceFilter:
    invoices = Invoice.objects.select_related("customer", "contract", "legal_entity").order_by(
        "legal_entity", "-sequence_number"
    )
    return InvoiceFilter(request.GET, queryset=hooks.invoices_annotate(invoices))


class InvoiceListView(PermissionRequired, TemplateView):
    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/invoices/invoice_list.html"

    def get_context_data(self, **kwargs):
        invoice_filter = _invoice_list_filter(self.request)
        # Ids first, then the page's rows: an invoice row is wide (its frozen snapshot) and has
        # its open amount as subqueries; neither goes through the sort of every invoice.
        page = page_by_ids(invoice_filter.qs, settings.PAGE_SIZE, self.request.GET.get("page"))
        return {**super().get_context_data(**kwargs), "filter": invoice_filter, "page": page}


INVOICE_COLUMNS = [
    Column(_("Number"), attrgetter("number")),
    Column(_("Document"), lambda invoice: invoice.get_document_type_display()),
    Column(_("Customer"), attrgetter("customer.name")),
    Column(_("Contract"), attrgetter("contract.code")),
    Column(_("Invoice date"), attrgetter("invoice_date"), DATE),
    Column(_("Due date"), attrgetter("due_date"), DATE),
    Column(_("Status"), lambda invoice: invoice.get_status_display()),
    Column(_("Currency"), attrgetter("currency")),
    Column(_("Net"), attrgetter("net_total"), MONEY),
    Column(_("VAT"), attrgetter("vat_total"), MONEY),
    Column(_("Total"), attrgetter("gross_total"), MONEY),
    Column(_("Open"), lambda invoice: getattr(invoice, "open_amount", None), MONEY),
]


class InvoiceExportView(PermissionRequired, View):
    """The filtered invoice list as XLSX or CSV (the figures the list shows, and what is open)."""

    permission_required = "invoicing.view_invoice"

    def get(self, request):
        return table_response(
            INVOICE_COLUMNS,
            _invoice_list_filter(request).qs.iterator(chunk_size=2000),
            file_format=request.GET.get("format", "csv"),
            name="invoices",
            language=get_language(),
        )


class InvoiceDetailView(PermissionRequired, DetailView):
    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/invoices/invoice_detail.html"
    context_object_name = "invoice"

    def get_queryset(self):
        return Invoice.objects.select_related(
            "customer",
            "contract",
            "legal_entity",
            "funding_source",
            "proposal",
            "posted_by",
            "credited_invoice",
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(documents.invoice_context(self.object))
        context.update(hooks.invoice_page_context(invoice=self.object, request=self.request))
        context["einvoice"] = outbox.peppol_einvoice(invoice=self.object)
        return context


class InvoicePdfView(PermissionRequired, View):
    permission_required = "invoicing.view_invoice"

    def get(self, request, pk):
        invoice = get_object_or_404(
            Invoice.objects.select_related("customer", "legal_entity", "contract"), pk=pk
        )
        response = HttpResponse(documents.invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response


class ProposalPostView(PermissionRequired, View):
    """Post an approved proposal as a numbered invoice (or an internal charge)."""

    permission_required = "invoicing.change_invoiceproposal"

    def post(self, request, pk):
        proposal = get_object_or_404(InvoiceProposal, pk=pk)
        raw_date = request.POST.get("invoice_date") or ""
        try:
            invoice_date = date_clean(raw_date) if raw_date else timezone.localdate()
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect(proposal.get_absolute_url())
        try:
            document = posting.invoice_post(
                proposal=proposal, actor=request.user, invoice_date=invoice_date
            )
        except (ValidationError, PermissionDenied) as refused:
            text = (
                " ".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
            )
            messages.error(request, text)
            return redirect(proposal.get_absolute_url())
        if isinstance(document, Invoice):
            messages.success(
                request, _("Invoice %(number)s was posted.") % {"number": document.number}
            )
            return redirect(document.get_absolute_url())
        messages.success(request, _("The internal charge was posted."))
        return redirect(proposal.get_absolute_url())


class CreditNoteView(PermissionRequired, TemplateView):
    """Choose what to credit on an invoice; creates a draft credit proposal."""

    permission_required = "invoicing.add_invoiceproposal"
    template_name = "invoicing/invoices/credit_form.html"

    def get_invoice(self) -> Invoice:
        return get_object_or_404(
            Invoice.objects.select_related("customer", "contract"), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        invoice = self.get_invoice()
        # After a refusal the page comes back with the clerk's ticks and amounts as entered.
        entered = self.request.POST if self.request.method == "POST" else {}
        return {
            **super().get_context_data(**kwargs),
            "invoice": invoice,
            "rows": [
                SimpleNamespace(
                    line=line,
                    left=left,
                    ticked=bool(entered.get(f"line-{line.pk}")),
                    amount=entered.get(f"amount-{line.pk}", ""),
                )
                for line, left in credits.open_to_credit(invoice)
            ],
            "rebill": bool(entered.get("rebill")),
        }

    def post(self, request, pk):
        invoice = self.get_invoice()
        amounts: dict[int, Decimal | None] = {}
        try:
            for line, _left in credits.open_to_credit(invoice):
                if request.POST.get(f"line-{line.pk}"):
                    text = request.POST.get(f"amount-{line.pk}", "").strip()
                    amounts[line.pk] = _credit_amount(text, line) if text else None
            proposal = credits.credit_proposal_create(
                invoice=invoice,
                amounts=amounts,
                reason=request.POST.get("reason", ""),
                rebill=bool(request.POST.get("rebill")),
                actor=request.user,
            )
        except (ValidationError, ValueError) as refused:
            text = (
                " ".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
            )
            messages.error(request, text)
            return self.render_to_response(self.get_context_data())
        messages.success(request, _("The credit proposal was created; submit it for approval."))
        return redirect(proposal.get_absolute_url())


def _credit_amount(text: str, line) -> Decimal:
    try:
        return number_clean(text)
    except ValidationError as refused:
        raise ValidationError(
            _("%(line)s: %(problem)s") % {"line": line.text, "problem": " ".join(refused.messages)}
        ) from refused


class PdfBatchStartView(PermissionRequired, View):
    """Render the PDFs of the invoices the list shows (with its filters) in the background.
    Starting a batch writes (its row, then its archive), so read-only users cannot."""

    permission_required = "invoicing.add_pdfbatch"

    def post(self, request):
        invoices = InvoiceFilter(request.POST, queryset=Invoice.objects.all()).qs
        ids = list(invoices.values_list("pk", flat=True)[:2000])
        if not ids:
            messages.error(request, _("There are no invoices to render."))
            return redirect("invoicing:invoice_list")
        batch = PdfBatch.objects.create(created_by=request.user, invoice_ids=ids)
        transaction.on_commit(lambda: pdf_batch_task.enqueue(batch.pk))
        return redirect("invoicing:pdf_batch", pk=batch.pk)


class PdfBatchView(PermissionRequired, DetailView):
    permission_required = "invoicing.view_invoice"
    model = PdfBatch
    context_object_name = "batch"
    template_name = "invoicing/invoices/pdf_batch.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["invoicing/invoices/_pdf_batch_status.html"]
        return [self.template_name]


class PdfBatchDownloadView(PermissionRequired, View):
    permission_required = "invoicing.view_invoice"

    def get(self, request, pk):
        batch = get_object_or_404(PdfBatch, pk=pk, status=PdfBatch.Status.DONE)
        return FileResponse(
            batch.archive.open("rb"), as_attachment=True, filename=f"invoices-{batch.pk}.zip"
        )


class EInvoiceDownloadView(PermissionRequired, View):
    """The stored e-invoice XML of a posted invoice, byte for byte, with its SHA-256."""

    permission_required = "invoicing.view_invoice"

    def get(self, request, pk):
        einvoice = get_object_or_404(
            EInvoice.objects.select_related("invoice"),
            invoice_id=pk,
            syntax=EInvoiceSyntax.PEPPOL_BIS_UBL,
        )
        return einvoice_response(einvoice)


def einvoice_response(einvoice: EInvoice) -> HttpResponse:
    response = HttpResponse(einvoice.xml_bytes, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{einvoice.filename}"'
    response["X-Content-SHA256"] = einvoice.sha256
    return response


class EInvoiceOutboxView(PermissionRequired, TemplateView):
    """E-invoices waiting to be picked up by an access point, and the latest picked up."""

    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/invoices/einvoice_outbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        waiting = Paginator(outbox.einvoices_listed(waiting=True), 50)
        context["page"] = page = waiting.get_page(self.request.GET.get("page"))
        for einvoice in page.object_list:
            einvoice.endpoint = ":".join(buyer_endpoint(einvoice.invoice.snapshot["buyer"]))
        context["picked_up"] = list(outbox.einvoices_listed(waiting=False)[:20])
        return context


class EInvoiceAcknowledgeView(PermissionRequired, View):
    """Mark an e-invoice as picked up (it leaves the outbox)."""

    permission_required = "invoicing.add_einvoiceacknowledgement"

    def post(self, request, pk):
        einvoice = get_object_or_404(EInvoice.objects.select_related("invoice"), pk=pk)
        try:
            outbox.einvoice_acknowledge(
                einvoice=einvoice,
                actor=request.user,
                message_reference=request.POST.get("message_reference", ""),
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(
                request,
                _("The e-invoice of %(number)s is marked as picked up.")
                % {"number": einvoice.invoice.number},
            )
        return redirect("invoicing:einvoice_outbox")
