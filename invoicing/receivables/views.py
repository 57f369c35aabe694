"""What customers owe: the receivables list, payments and reminders."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from contracts.views import PermissionRequired
from invoicing.invoices.forms import amount_parse
from invoicing.invoices.models import Invoice
from invoicing.receivables import payments, reminders, selectors


class ReceivablesView(PermissionRequired, TemplateView):
    """Unpaid invoices, the overdue ones first in line, with totals per currency."""

    permission_required = "invoicing.view_invoice"
    template_name = "invoicing/receivables/receivables.html"

    def get_context_data(self, **kwargs):
        invoices = selectors.receivables()
        if self.request.GET.get("overdue"):
            invoices = selectors.overdue()
        rows = list(invoices)
        totals: dict[str, dict] = {}
        for invoice in rows:
            total = totals.setdefault(invoice.currency, {"open": 0, "overdue": 0})
            total["open"] += invoice.open_amount
            if invoice.is_overdue:
                total["overdue"] += invoice.open_amount
        return {
            **super().get_context_data(**kwargs),
            "invoices": rows,
            "totals": sorted(totals.items()),
            "only_overdue": bool(self.request.GET.get("overdue")),
            "today": timezone.localdate(),
        }


class InvoicePaymentView(PermissionRequired, View):
    """Mark sent, record a payment, or send a reminder."""

    permission_required = "invoicing.change_invoiceproposal"

    def post(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        operation = request.POST.get("operation")
        try:
            if operation == "sent":
                payments.invoice_mark_sent(invoice=invoice, actor=request.user)
                messages.success(request, _("The invoice is marked as sent."))
            elif operation == "payment":
                amount = amount_parse(request.POST.get("amount"))
                raw_date = request.POST.get("paid_on") or timezone.localdate().isoformat()
                paid_on = datetime.date.fromisoformat(raw_date)
                payments.invoice_payment_record(
                    invoice=invoice, amount=amount, paid_on=paid_on, actor=request.user
                )
                messages.success(request, _("The payment was recorded."))
            elif operation == "reminder":
                reminders.invoice_reminder_send(invoice=invoice, actor=request.user)
                messages.success(request, _("A reminder was e-mailed to the customer."))
        except (payments.PaymentRefused, ValueError) as refused:
            messages.error(request, str(refused))
        return redirect(request.POST.get("next") or invoice.get_absolute_url())


class RemindersSendView(PermissionRequired, View):
    permission_required = "invoicing.change_invoiceproposal"

    def post(self, request):
        sent, problems = reminders.overdue_reminders_send(actor=request.user)
        messages.success(request, _("%(count)s reminders were sent.") % {"count": sent})
        for problem in problems:
            messages.warning(request, problem)
        return redirect("invoicing:receivables")
