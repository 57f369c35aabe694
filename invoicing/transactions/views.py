"""Transaction list, single transactions, and the timesheet import pages."""

from __future__ import annotations

import csv
from operator import attrgetter

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, TemplateView
from django.views.generic.edit import CreateView, UpdateView

from contracts.keyset import keyset_page_by_date
from contracts.spreadsheets import (
    DATE,
    INTEGER,
    MONEY,
    NUMBER,
    Column,
    spreadsheet_safe,
    table_response,
)
from contracts.views import PermissionRequired, ServiceFormMixin
from invoicing.transactions import hooks, selectors, services, uploads
from invoicing.transactions.explanations import allocation_explain
from invoicing.transactions.filters import TYPEAHEAD_FIELDS, TransactionFilter, filter_choices
from invoicing.transactions.forms import TimesheetUploadForm, TransactionForm
from invoicing.transactions.models import ImportBatch, ProjectTransaction
from invoicing.transactions.timesheets import error_report_rows


class TransactionListView(PermissionRequired, TemplateView):
    permission_required = "invoicing.view_projecttransaction"
    template_name = "invoicing/transactions/transaction_list.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["invoicing/transactions/_transaction_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        transaction_filter = TransactionFilter(
            self.request.GET, queryset=selectors.transaction_list()
        )
        transactions = transaction_filter.qs
        # Newest first, a page found from the row before it: page 2,000 costs what page 1 does.
        page = keyset_page_by_date(
            transactions,
            size=settings.PAGE_SIZE,
            after=self.request.GET.get("after"),
            before=self.request.GET.get("before"),
        )
        context.update(
            filter=transaction_filter,
            page=page,
            totals=selectors.transaction_totals(transactions),
            totals_limit=selectors.TOTALS_LINES_LIMIT,
            query=self.request.GET.urlencode(),
        )
        if transaction_filter.form.is_valid() and transaction_filter.form.cleaned_data.get(
            "contract"
        ):
            context["work_in_progress"] = hooks.work_in_progress_by_funder(transactions)
        return context


TRANSACTION_COLUMNS = [
    Column(_("ID"), attrgetter("pk"), INTEGER),
    Column(_("External reference"), attrgetter("external_reference")),
    Column(_("Date"), attrgetter("date"), DATE),
    Column(_("Contract"), attrgetter("project.contract.code")),
    Column(_("Project"), attrgetter("project.code")),
    Column(_("Kind"), lambda t: t.get_kind_display()),
    Column(_("Category"), attrgetter("category.code")),
    Column(_("Worker"), lambda t: t.worker.code if t.worker else ""),
    Column(_("Item"), lambda t: t.item.code if t.item else ""),
    Column(_("Quantity"), attrgetter("quantity"), NUMBER),
    Column(_("Cost price"), attrgetter("cost_price"), NUMBER),
    Column(_("Sales price"), attrgetter("sales_price"), NUMBER),
    Column(_("Cost amount"), attrgetter("cost_amount"), MONEY),
    Column(_("Sales amount"), attrgetter("sales_amount"), MONEY),
    Column(_("Currency"), attrgetter("currency")),
    Column(_("Chargeable"), lambda t: _("yes") if t.is_chargeable else _("no")),
    Column(_("Billing status"), lambda t: t.get_billing_status_display()),
    Column(_("Description"), attrgetter("text")),
]


class TransactionFilterChoicesView(PermissionRequired, TemplateView):
    """The rows a type-ahead filter of the list offers for what the reader typed (``?q=``)."""

    permission_required = "invoicing.view_projecttransaction"
    template_name = "includes/typeahead_options.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if kwargs["field"] not in TYPEAHEAD_FIELDS:
            raise Http404
        context["choices"] = filter_choices(kwargs["field"], self.request.GET.get("q", ""))
        return context


class TransactionExportView(PermissionRequired, View):
    """The filtered list as CSV in the reader's convention or as XLSX (``?format=xlsx``)."""

    permission_required = "invoicing.export_projecttransaction"

    def get(self, request):
        transactions = TransactionFilter(request.GET, queryset=selectors.transaction_list()).qs
        return table_response(
            TRANSACTION_COLUMNS,
            transactions.iterator(chunk_size=2000),
            file_format=request.GET.get("format", "csv"),
            name="transactions",
            language=get_language(),
        )


class TransactionCreateView(PermissionRequired, ServiceFormMixin, CreateView):
    permission_required = "invoicing.add_projecttransaction"
    form_class = TransactionForm
    template_name = "invoicing/transactions/transaction_form.html"
    success_message = _("The transaction was recorded.")

    def get_initial(self):
        project = self.request.GET.get("project")
        return {"date": timezone.localdate(), **({"project": project} if project else {})}

    def save_with_service(self, form):
        return services.transaction_record(record=form.instance, actor=self.request.user)

    def get_success_url(self):
        return reverse("invoicing:transaction_list")


class TransactionUpdateView(PermissionRequired, ServiceFormMixin, UpdateView):
    permission_required = "invoicing.change_projecttransaction"
    model = ProjectTransaction
    form_class = TransactionForm
    template_name = "invoicing/transactions/transaction_form.html"
    context_object_name = "transaction"
    success_message = _("The transaction was saved.")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.object.is_locked:
            for field in form.fields.values():
                field.disabled = True
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        currency = self.object.currency
        context["allocations"] = [
            (share, allocation_explain(share, currency))
            for share in selectors.transaction_allocations(transaction=self.object)
        ]
        context["history"] = self.object.history.select_related("history_user")[:20]
        return context

    def save_with_service(self, form):
        return services.transaction_update(record=form.instance, actor=self.request.user)

    def get_success_url(self):
        return reverse("invoicing:transaction_list")


class TransactionDeleteView(PermissionRequired, View):
    permission_required = "invoicing.delete_projecttransaction"

    def post(self, request, pk):
        record = get_object_or_404(ProjectTransaction, pk=pk)
        try:
            services.transaction_delete(record=record, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("invoicing:transaction_update", pk=pk)
        messages.success(request, _("The transaction was deleted."))
        return redirect("invoicing:transaction_list")


class ImportListView(PermissionRequired, TemplateView):
    permission_required = "invoicing.view_importbatch"
    template_name = "invoicing/transactions/import_list.html"

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.import_batch_list(), settings.PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return {**super().get_context_data(**kwargs), "page": page}


class ImportUploadView(PermissionRequired, TemplateView):
    permission_required = "invoicing.import_projecttransaction"
    template_name = "invoicing/transactions/import_upload.html"

    def get_context_data(self, **kwargs):
        return {"form": TimesheetUploadForm(), **super().get_context_data(**kwargs)}

    def post(self, request):
        form = TimesheetUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        batch = uploads.import_batch_create(
            uploaded_file=form.cleaned_data["file"], actor=request.user
        )
        return redirect(batch.get_absolute_url())


class ImportDetailView(PermissionRequired, DetailView):
    permission_required = "invoicing.view_importbatch"
    model = ImportBatch
    template_name = "invoicing/transactions/import_detail.html"
    context_object_name = "batch"
    ERRORS_SHOWN = 200

    def get_queryset(self):
        return ImportBatch.objects.select_related("created_by")

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["invoicing/transactions/_import_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        context["errors_shown"] = batch.errors[: self.ERRORS_SHOWN]
        context["earlier"] = (
            ImportBatch.objects.filter(file_sha256=batch.file_sha256, status="imported")
            .exclude(pk=batch.pk)
            .only("pk", "created_at")
            .first()
        )
        return context


class ImportConfirmView(PermissionRequired, View):
    permission_required = "invoicing.import_projecttransaction"

    def post(self, request, pk):
        batch = get_object_or_404(ImportBatch, pk=pk)
        try:
            batch = uploads.import_batch_confirm(batch=batch, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(batch.get_absolute_url())
        batch.refresh_from_db()
        if batch.status == "imported":
            messages.success(
                request,
                ngettext(
                    "%(count)s transaction was imported.",
                    "%(count)s transactions were imported.",
                    batch.new_rows,
                )
                % {"count": batch.new_rows},
            )
        return redirect(batch.get_absolute_url())


class ImportCheckAgainView(PermissionRequired, View):
    """Check a failed, invalid or stalled import's file again (then it can be confirmed)."""

    permission_required = "invoicing.import_projecttransaction"

    def post(self, request, pk):
        batch = get_object_or_404(ImportBatch, pk=pk)
        try:
            uploads.import_batch_check_again(batch=batch, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(batch.get_absolute_url())


class ImportErrorReportView(PermissionRequired, View):
    permission_required = "invoicing.view_importbatch"

    def get(self, request, pk):
        batch = get_object_or_404(ImportBatch, pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="errors-{batch.pk}.csv"'
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
        writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem")])
        for row in error_report_rows(batch.errors):
            writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
        return response


class SampleTimesheetView(PermissionRequired, View):
    permission_required = "invoicing.import_projecttransaction"

    def get(self, request):
        sample = settings.BASE_DIR / "docs" / "sample-timesheet.csv"
        response = HttpResponse(sample.read_bytes(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sample-timesheet.csv"'
        return response
