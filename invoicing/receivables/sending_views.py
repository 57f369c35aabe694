"""Pages that send documents by e-mail: the invoice page's e-mail card (send, send again, try
a failed e-mail again, the log) and sending many from the invoice list."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from contracts.views import PermissionRequired
from invoicing.invoices.facturx import facturx_wanted
from invoicing.invoices.models import Invoice, InvoiceStatus
from invoicing.receivables import emails, sending
from invoicing.receivables.dispatch_models import DispatchKind, DispatchResult, InvoiceDispatch

SEND_PERMISSION = "invoicing.add_invoicedispatch"
#: The log shows the latest e-mails; the admin has them all.
LOG_ROWS = 50


class SendForm(forms.Form):
    to = forms.CharField(label=_("To"), max_length=500, required=False)
    cc = forms.CharField(
        label=_("Copy to"),
        max_length=500,
        required=False,
        help_text=_("Optional; separate several addresses with commas."),
    )


def attachment_summary(invoice: Invoice) -> str:
    """What the e-mail will carry, in the clerk's words."""
    if facturx_wanted(invoice):
        return _("The PDF as Factur-X (the e-invoice inside).")
    if emails.wants_einvoice_xml(invoice):
        return _("The PDF and the e-invoice XML (Peppol BIS Billing 3.0).")
    return _("The PDF.")


def invoice_page_sending(*, invoice: Invoice, request) -> dict:
    """The e-mail card of the invoice page (registered with ``invoices.hooks``): one query for
    the log, whatever its length."""
    dispatches = list(
        InvoiceDispatch.objects.filter(invoice=invoice)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:LOG_ROWS]
    )
    sent_requests = {row.request_key for row in dispatches if row.result == DispatchResult.SENT}
    # A failure is waiting for a retry when no attempt of its request went out since.
    waiting = next(
        (
            row
            for row in dispatches
            if row.result == DispatchResult.FAILED and row.request_key not in sent_requests
        ),
        None,
    )
    return {
        "dispatches": dispatches,
        "dispatch_failed": waiting,
        "send_form": SendForm(initial={"to": invoice.customer.email}),
        "send_attachments": attachment_summary(invoice),
        # Sent before (a reminder is not the document being sent): sending asks to confirm.
        "send_again": invoice.status != InvoiceStatus.POSTED
        or any(row.is_sent and row.kind == DispatchKind.DOCUMENT for row in dispatches),
    }


class InvoiceSendView(PermissionRequired, View):
    """Send the invoice or credit note by e-mail (again, when it was sent), or try a failed
    e-mail again (``retry`` names it)."""

    permission_required = SEND_PERMISSION

    def post(self, request, pk):
        invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
        back = invoice.get_absolute_url() + "#sending"
        try:
            if request.POST.get("retry"):
                dispatch = get_object_or_404(
                    InvoiceDispatch, pk=request.POST["retry"], invoice=invoice
                )
                sending.dispatch_retry(dispatch=dispatch, actor=request.user)
                messages.success(request, _("The e-mail is being sent again."))
                return redirect(back)
            form = SendForm(request.POST)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return redirect(back)
            sending.invoice_send(
                invoice=invoice,
                actor=request.user,
                to=form.cleaned_data["to"],
                cc=form.cleaned_data["cc"],
            )
        except sending.SendingRefused as refused:
            messages.error(request, str(refused))
            return redirect(back)
        messages.success(
            request,
            _("The e-mail to %(to)s is queued; its result appears in the log below.")
            % {"to": form.cleaned_data["to"] or invoice.customer.email},
        )
        return redirect(back)


class InvoicesSendView(PermissionRequired, View):
    """Send the invoices chosen on the list, each to its customer's invoice e-mail."""

    permission_required = SEND_PERMISSION

    def post(self, request):
        ids = [value for value in request.POST.getlist("invoice") if value.isdigit()]
        back = request.POST.get("next") or reverse("invoicing:invoice_list")
        if not back.startswith("/"):
            back = reverse("invoicing:invoice_list")
        if not ids:
            messages.error(request, sending.NOTHING_SELECTED)
            return redirect(back)
        result = sending.invoices_send(
            invoices=Invoice.objects.filter(pk__in=ids[:500]), actor=request.user
        )
        if result.queued:
            count = len(result.queued)
            messages.success(
                request,
                ngettext(
                    "%(count)s e-mail is queued: %(numbers)s.",
                    "%(count)s e-mails are queued: %(numbers)s.",
                    count,
                )
                % {"count": count, "numbers": ", ".join(i.number for i in result.queued)},
            )
        if result.refused:
            count = len(result.refused)
            messages.warning(
                request,
                ngettext(
                    "%(count)s invoice was not queued:", "%(count)s invoices were not queued:", count
                ) % {"count": count}
                + " "
                + "; ".join(f"{invoice.number}: {reason}" for invoice, reason in result.refused),
            )  # fmt: skip
        return redirect(back)
