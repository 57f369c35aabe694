"""What customers owe: the receivables list, payments and their reversal, customer credit,
reminders and the customer statement (page and PDF)."""

from __future__ import annotations

from operator import attrgetter

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from contracts.models import Customer
from contracts.spreadsheets import DATE, MONEY, Column, table_response
from contracts.views import PermissionRequired
from invoicing.invoices.models import DocumentType, Invoice
from invoicing.receivables import payments, reminders, selectors
from invoicing.receivables.filters import ReceivableFilter
from invoicing.receivables.forms import (
    CreditApplyForm,
    PaymentForm,
    RefundForm,
    ReversalForm,
    StatementFilterForm,
)
from invoicing.receivables.models import Payment
from invoicing.receivables.statement_documents import statement_document_context, statement_pdf

WRITE_PERMISSION = "invoicing.change_invoiceproposal"


def invoice_page_receivable(*, invoice: Invoice, request) -> dict:
    """What the invoice page shows about payment (registered with ``invoices.hooks``)."""
    annotated = selectors.invoice_with_payment_state(invoice)
    context = {
        "receivable": annotated,
        "payment_state_label": selectors.PaymentState.LABELS[annotated.payment_state],
        "payment_allocations": selectors.invoice_payments(invoice),
        "credit_applications": selectors.invoice_credit_applications(invoice),
    }
    if invoice.document_type == DocumentType.CREDIT_NOTE:
        context["credit_settlements"] = selectors.credit_note_settlements(invoice)
    elif annotated.open_amount > 0:
        context["payment_form"] = PaymentForm(initial={"amount": annotated.open_amount})
        context["credit_available"] = selectors.customer_credit_available(
            invoice.customer, invoice.currency
        )
    return context


RECEIVABLE_COLUMNS = [
    Column(_("Number"), attrgetter("number")),
    Column(_("Customer"), attrgetter("customer.name")),
    Column(_("Invoice date"), attrgetter("invoice_date"), DATE),
    Column(_("Due date"), attrgetter("due_date"), DATE),
    Column(_("Overdue"), lambda invoice: _("yes") if invoice.is_overdue else _("no")),
    Column(_("Currency"), attrgetter("currency")),
    Column(_("Total"), attrgetter("gross_total"), MONEY),
    Column(_("Paid"), attrgetter("amount_paid"), MONEY),
    Column(_("Credited"), attrgetter("amount_credited"), MONEY),
    Column(_("Open"), attrgetter("open_amount"), MONEY),
]


def _receivables_filter(request) -> ReceivableFilter:
    return ReceivableFilter(request.GET, queryset=selectors.receivables())


class ReceivablesExportView(PermissionRequired, View):
    """What the receivables page lists, filtered the same way, as XLSX or CSV."""

    permission_required = "invoicing.view_invoice"

    def get(self, request):
        return table_response(
            RECEIVABLE_COLUMNS,
            _receivables_filter(request).qs,
            file_format=request.GET.get("format", "csv"),
            name="receivables",
            language=translation.get_language(),
        )


class ReceivablesView(PermissionRequired, TemplateView):
    """Invoices with something open, the overdue ones marked, a page at a time, with totals per
    currency over all of them (from ``receivable_totals``, which also counts them for the
    paginator)."""

    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/receivables/receivables.html"

    def get_context_data(self, **kwargs):
        receivable_filter = _receivables_filter(self.request)
        invoices = receivable_filter.qs
        totals = selectors.receivable_totals(invoices)
        paginator = Paginator(invoices, settings.PAGE_SIZE)
        # The totals have counted the invoices already: no second pass over them.
        paginator.count = sum(row["count"] for row in totals)
        return {
            **super().get_context_data(**kwargs),
            "page": paginator.get_page(self.request.GET.get("page")),
            "totals": totals,
            "filter": receivable_filter,
            "today": timezone.localdate(),
        }


class InvoicePaymentView(PermissionRequired, View):
    """Mark sent, record a payment, or send a reminder."""

    permission_required = WRITE_PERMISSION

    def post(self, request, pk):
        invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
        operation = request.POST.get("operation")
        try:
            if operation == "sent":
                payments.invoice_mark_sent(invoice=invoice, actor=request.user)
                messages.success(request, _("The invoice is marked as sent."))
            elif operation == "payment":
                form = PaymentForm(request.POST)
                if not form.is_valid():
                    for errors in form.errors.values():
                        for error in errors:
                            messages.error(request, error)
                else:
                    data = form.cleaned_data
                    payments.payment_record(
                        customer=invoice.customer,
                        currency=invoice.currency,
                        amount=data["amount"],
                        paid_on=data["paid_on"],
                        allocations=[(invoice, None)],
                        method=data["method"],
                        reference=data["reference"],
                        payer=data["payer"],
                        keep_surplus_as_credit=data["keep_surplus_as_credit"],
                        actor=request.user,
                    )
                    messages.success(request, _("The payment was recorded."))
            elif operation == "apply_credit":
                form = CreditApplyForm(request.POST)
                if form.is_valid():
                    payments.customer_credit_apply(
                        customer=invoice.customer,
                        currency=invoice.currency,
                        invoice=invoice,
                        amount=form.cleaned_data["amount"],
                        actor=request.user,
                    )
                    messages.success(request, _("Customer credit was applied to the invoice."))
                else:
                    for errors in form.errors.values():
                        for error in errors:
                            messages.error(request, error)
            elif operation == "reminder":
                reminders.invoice_reminder_send(invoice=invoice, actor=request.user)
                messages.success(request, _("A reminder was e-mailed to the customer."))
        except payments.PaymentRefused as refused:
            messages.error(request, str(refused))
        return redirect(request.POST.get("next") or invoice.get_absolute_url())


class PaymentReverseView(PermissionRequired, View):
    """Reverse a payment with a reason (a reversing record; the payment stays)."""

    permission_required = WRITE_PERMISSION

    def post(self, request, pk):
        payment = get_object_or_404(Payment.objects.select_related("customer"), pk=pk)
        form = ReversalForm(request.POST)
        try:
            if not form.is_valid():
                raise payments.PaymentRefused(payments.REVERSAL_REASON_REQUIRED)
            payments.payment_reverse(
                payment=payment, reason=form.cleaned_data["reason"], actor=request.user
            )
            messages.success(request, _("The payment was reversed."))
        except payments.PaymentRefused as refused:
            messages.error(request, str(refused))
        return redirect(request.POST.get("next") or "invoicing:receivables")


class CustomerRefundView(PermissionRequired, View):
    """Record customer credit as paid back."""

    permission_required = WRITE_PERMISSION

    def post(self, request, pk):
        customer = get_object_or_404(Customer, pk=pk)
        form = RefundForm(request.POST)
        currency = request.POST.get("currency", "")
        try:
            if not form.is_valid():
                raise payments.PaymentRefused(payments.CREDIT_NOT_POSITIVE)
            data = form.cleaned_data
            payments.customer_credit_refund(
                customer=customer,
                currency=currency,
                amount=data["amount"],
                refunded_on=data["refunded_on"],
                method=data["method"],
                reference=data["reference"],
                actor=request.user,
            )
            messages.success(request, _("The refund was recorded."))
        except payments.PaymentRefused as refused:
            messages.error(request, str(refused))
        return redirect(request.POST.get("next") or customer_statement_url(customer, currency))


def customer_statement_url(customer: Customer, currency: str = "") -> str:
    url = reverse("invoicing:customer_statement", args=[customer.pk])
    return f"{url}?currency={currency}" if currency else url


def statement_context(request, customer: Customer) -> dict:
    currencies = selectors.customer_currencies(customer)
    form = StatementFilterForm(request.GET or None, currencies=currencies)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    currency = data.get("currency") or (currencies[0] if currencies else "")
    return {
        **statement_document_context(
            customer,
            currency=currency,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        ),
        "currencies": currencies,
        "form": form,
        "refund_form": RefundForm(),
    }


class CustomerStatementView(PermissionRequired, TemplateView):
    """A customer's statement: every document and movement with a running balance, ageing."""

    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/receivables/statement.html"

    def get_context_data(self, **kwargs):
        customer = get_object_or_404(Customer, pk=self.kwargs["pk"])
        return {
            **super().get_context_data(**kwargs),
            **statement_context(self.request, customer),
            "query": self.request.GET.urlencode(),
        }


class CustomerStatementPdfView(PermissionRequired, View):
    """The same statement as a PDF, in the customer's language."""

    permission_required = "invoicing.view_invoice"

    def get(self, request, pk):
        customer = get_object_or_404(Customer, pk=pk)
        with translation.override(customer.language):
            context = statement_context(request, customer)
            pdf = statement_pdf(context)
        response = HttpResponse(pdf, content_type="application/pdf")
        name = f"statement-{customer.pk}-{context['currency']}-{context['date_to']}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response


class RemindersSendView(PermissionRequired, View):
    permission_required = WRITE_PERMISSION

    def post(self, request):
        sent, problems = reminders.overdue_reminders_send(actor=request.user)
        messages.success(request, _("%(count)s reminders were sent.") % {"count": sent})
        for problem in problems:
            messages.warning(request, problem)
        return redirect("invoicing:receivables")
