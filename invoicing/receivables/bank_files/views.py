"""The bank file pages: the files imported and an upload form, a file's preview (confirm or
discard) and result, the queue of payments waiting for a clerk, and matching one by hand."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from contracts.views import PermissionRequired
from invoicing.receivables.bank_files import selectors, services
from invoicing.receivables.bank_files.forms import (
    BankFileUploadForm,
    CustomerChoiceForm,
    ManualMatchForm,
)
from invoicing.receivables.bank_files.matching import reason_text
from invoicing.receivables.bank_files.models import BankFile, BankFilePayment
from invoicing.receivables.bank_files.statement import BankFileError
from invoicing.receivables.views import WRITE_PERMISSION

VIEW_PERMISSION = "invoicing.view_bankfile"


def payment_rows(rows) -> list[dict]:
    """What a page shows of each payment: the row and its reasons in the reader's language."""
    return [
        {"row": row, "reasons": [reason_text(reason) for reason in row.match.get("reasons", [])]}
        for row in rows
    ]


class BankFileListView(PermissionRequired, TemplateView):
    permission_required = VIEW_PERMISSION
    template_name = "invoicing/receivables/bank_files/bank_file_list.html"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.bank_files_listed(), settings.PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "form": kwargs.get("form") or BankFileUploadForm(),
            "waiting": selectors.bank_payments_waiting().count(),
        }


class BankFileUploadView(PermissionRequired, View):
    permission_required = WRITE_PERMISSION

    def post(self, request):
        form = BankFileUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("invoicing:bank_file_list")
        uploaded = form.cleaned_data["file"]
        try:
            upload = services.bank_file_upload(
                content=uploaded.read(), file_name=uploaded.name, actor=request.user
            )
        except (BankFileError, services.BankFileRefused) as refused:
            messages.error(
                request,
                _("%(file)s was not imported. %(reason)s")
                % {"file": uploaded.name, "reason": refused},
            )
            return redirect("invoicing:bank_file_list")
        if not upload.is_new:
            messages.warning(
                request,
                _(
                    "This file was already imported on %(date)s as %(file)s; nothing new was created."
                )
                % {
                    "date": date_format(upload.bank_file.uploaded_at, "SHORT_DATE_FORMAT"),
                    "file": upload.bank_file.file_name,
                },
            )
        return redirect(upload.bank_file.get_absolute_url())


class BankFileDetailView(PermissionRequired, TemplateView):
    """The preview of a file read but not confirmed, or what became of each payment."""

    permission_required = VIEW_PERMISSION
    template_name = "invoicing/receivables/bank_files/bank_file_detail.html"

    def get_context_data(self, **kwargs):
        bank_file = get_object_or_404(BankFile.objects.defer("content"), pk=self.kwargs["pk"])
        rows = list(selectors.bank_file_payments(bank_file))
        return {
            **super().get_context_data(**kwargs),
            "bank_file": bank_file,
            "rows": payment_rows(rows),
            "summary": selectors.bank_file_summary(rows),
        }


class BankFileConfirmView(PermissionRequired, View):
    permission_required = WRITE_PERMISSION

    def post(self, request, pk):
        bank_file = get_object_or_404(BankFile.objects.defer("content"), pk=pk)
        try:
            services.bank_file_confirm(bank_file=bank_file, actor=request.user)
            messages.success(request, _("The matched payments were booked."))
        except services.BankFileRefused as refused:
            messages.error(request, str(refused))
        return redirect(bank_file.get_absolute_url())


class BankFileDiscardView(PermissionRequired, View):
    permission_required = WRITE_PERMISSION

    def post(self, request, pk):
        bank_file = get_object_or_404(BankFile.objects.defer("content"), pk=pk)
        try:
            services.bank_file_discard(bank_file=bank_file, actor=request.user)
            messages.success(request, _("The bank file was discarded; nothing was booked."))
        except services.BankFileRefused as refused:
            messages.error(request, str(refused))
            return redirect(bank_file.get_absolute_url())
        return redirect("invoicing:bank_file_list")


class BankPaymentQueueView(PermissionRequired, TemplateView):
    """Payments of confirmed files no invoice was found for."""

    permission_required = VIEW_PERMISSION
    template_name = "invoicing/receivables/bank_files/bank_payment_queue.html"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.bank_payments_waiting(), settings.PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return {
            **super().get_context_data(**kwargs),
            "page": page,
            "rows": payment_rows(page.object_list),
        }


class BankPaymentMatchView(PermissionRequired, TemplateView):
    """Book one waiting payment by hand: choose the customer, then the invoices and amounts, or
    keep it all as the customer's credit."""

    permission_required = VIEW_PERMISSION
    template_name = "invoicing/receivables/bank_files/bank_payment_match.html"

    def _row(self) -> BankFilePayment:
        return get_object_or_404(
            BankFilePayment.objects.select_related("bank_file", "customer", "payment").defer(
                "bank_file__content"
            ),
            pk=self.kwargs["pk"],
        )

    def _customer(self, row, data):
        """The customer chosen; before any choice, the one the matcher named or whose name is
        the payer's."""
        suggested = row.customer or selectors.customer_named(row.payer_name)
        choice = CustomerChoiceForm(data or None, initial={"customer": suggested})
        customer = suggested
        if choice.is_bound and choice.is_valid():
            customer = choice.cleaned_data["customer"]
        return choice, customer

    def get_context_data(self, **kwargs):
        row = kwargs.get("row") or self._row()
        choice, customer = self._customer(row, self.request.GET)
        invoices = selectors.customer_open_invoices(customer, row.currency) if customer else []
        return {
            **super().get_context_data(**kwargs),
            "row": row,
            "reasons": payment_rows([row])[0]["reasons"],
            "choice": choice,
            "customer": customer,
            "form": kwargs.get("form") or ManualMatchForm(invoices=invoices),
        }

    def post(self, request, pk):
        if not request.user.has_perm(WRITE_PERMISSION):
            return self.handle_no_permission()
        row = self._row()
        choice, customer = self._customer(row, request.POST)
        invoices = selectors.customer_open_invoices(customer, row.currency) if customer else []
        form = ManualMatchForm(request.POST, invoices=invoices)
        url = reverse("invoicing:bank_payment_match", args=[row.pk])
        if customer:
            url += f"?customer={customer.pk}"
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(url)
        try:
            if request.POST.get("operation") == "credit":
                services.bank_payment_keep_as_credit(
                    bank_payment=row, customer=customer, actor=request.user
                )
                messages.success(request, _("The payment was kept as customer credit."))
            else:
                services.bank_payment_book(
                    bank_payment=row,
                    customer=customer,
                    allocations=form.allocations(),
                    keep_surplus_as_credit=form.cleaned_data["keep_surplus_as_credit"],
                    actor=request.user,
                )
                messages.success(request, _("The payment was booked."))
        except services.BankFileRefused as refused:
            messages.error(request, str(refused))
            return redirect(url)
        return redirect("invoicing:bank_payment_queue")
