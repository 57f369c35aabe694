"""The books' pages: the journal, a voucher, the chart-of-accounts mapping of each legal
entity, and the exports (SIE 4, CSV, XLSX) with their log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from contracts.models import LegalEntity
from contracts.views import PermissionRequired
from invoicing.ledger import exports, selectors, services
from invoicing.ledger.forms import (
    AccountFormSet,
    ExportForm,
    JournalFilterForm,
    RuleFormSet,
    VoucherReverseForm,
)
from invoicing.ledger.models import AccountPurpose, Voucher

PAGE_SIZE = 50


def invoice_page_voucher(*, invoice, request) -> dict:
    """The voucher that booked the invoice, for its page (registered with ``invoices.hooks``)."""
    return {
        "voucher": Voucher.objects.filter(invoice=invoice).only("pk", "series", "number").first()
    }


class JournalView(PermissionRequired, TemplateView):
    """Vouchers by legal entity and period, in date order, paginated."""

    permission_required = "invoicing.view_voucher"
    template_name = "invoicing/ledger/journal.html"

    def get_context_data(self, **kwargs):
        form = JournalFilterForm(self.request.GET or None)
        filters = {}
        if form.is_valid():
            data = form.cleaned_data
            filters = {
                "legal_entity_id": data["legal_entity"].pk if data["legal_entity"] else None,
                "date_from": data["date_from"],
                "date_to": data["date_to"],
            }
        page = Paginator(selectors.journal(**filters), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        rows = [(voucher, *selectors.voucher_source(voucher)) for voucher in page]
        return {**super().get_context_data(**kwargs), "form": form, "page": page, "rows": rows}


class VoucherDetailView(PermissionRequired, TemplateView):
    permission_required = "invoicing.view_voucher"
    template_name = "invoicing/ledger/voucher_detail.html"

    def get_context_data(self, **kwargs):
        try:
            voucher = selectors.voucher_detail(self.kwargs["pk"])
        except Voucher.DoesNotExist:
            raise Http404 from None
        lines = list(voucher.lines.all())
        label, url = selectors.voucher_source(voucher)
        reversal = getattr(voucher, "reversal", None)  # the reverse one-to-one, or None
        return {
            **super().get_context_data(**kwargs),
            "voucher": voucher,
            "lines": lines,
            "debit": sum((line.amount for line in lines if line.amount > 0), 0),
            "credit": -sum((line.amount for line in lines if line.amount < 0), 0),
            "source_label": label,
            "source_url": url,
            "reversal": reversal,
            "reverse_form": VoucherReverseForm(),
        }


class VoucherReverseView(PermissionRequired, View):
    permission_required = "invoicing.add_voucher"

    def post(self, request, pk):
        voucher = get_object_or_404(Voucher, pk=pk)
        form = VoucherReverseForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(voucher.get_absolute_url())
        try:
            reversal = services.voucher_reverse(
                voucher=voucher,
                reason=form.cleaned_data["reason"],
                reversed_on=form.cleaned_data["reversed_on"],
                actor=request.user,
            )
        except ValidationError as refused:
            for message in refused.messages:
                messages.error(request, message)
            return redirect(voucher.get_absolute_url())
        messages.success(
            request, _("Voucher %(voucher)s reverses it.") % {"voucher": reversal.label}
        )
        return redirect(reversal.get_absolute_url())


class ChartRedirectView(PermissionRequired, View):
    permission_required = "invoicing.view_accountrule"

    def get(self, request):
        entity = LegalEntity.objects.order_by("name").first()
        if entity is None:
            messages.info(request, _("There is no legal entity yet."))
            return redirect("invoicing:journal")
        return redirect("invoicing:chart_edit", pk=entity.pk)


class ChartEditView(PermissionRequired, View):
    """The chart-of-accounts mapping of one legal entity: its accounts and which account each
    purpose books to. Saved as a whole, after ``mapping.mapping_problems`` found nothing."""

    permission_required = "invoicing.view_accountrule"
    template_name = "invoicing/ledger/chart.html"

    def _context(self, entity, account_formset, rule_formset, problems=()):
        return {
            "entity": entity,
            "entities": LegalEntity.objects.order_by("name"),
            "account_formset": account_formset,
            "rule_formset": rule_formset,
            "problems": problems,
            "can_edit": self.request.user.has_perm("invoicing.change_accountrule"),
        }

    def get(self, request, pk):
        entity = get_object_or_404(LegalEntity, pk=pk)
        accounts, rules = selectors.chart(entity.pk)
        if not rules and request.user.has_perm("invoicing.change_accountrule"):
            services.chart_defaults_install(legal_entity=entity)
            accounts, rules = selectors.chart(entity.pk)
        account_formset = AccountFormSet(
            prefix="accounts",
            initial=[{"number": account.number, "name": account.name} for account in accounts],
        )
        rule_formset = RuleFormSet(
            prefix="rules",
            initial=[
                {
                    "purpose": rule.purpose,
                    "account": rule.account.number,
                    "kind": rule.kind,
                    "category": rule.category,
                    "vat_category": rule.vat_category,
                    "vat_rate": rule.vat_rate,
                }
                for rule in rules
            ],
        )
        return render(
            request, self.template_name, self._context(entity, account_formset, rule_formset)
        )

    def post(self, request, pk):
        if not request.user.has_perm("invoicing.change_accountrule"):
            raise PermissionDenied
        entity = get_object_or_404(LegalEntity, pk=pk)
        account_formset = AccountFormSet(request.POST, prefix="accounts")
        rule_formset = RuleFormSet(request.POST, prefix="rules")
        if not (account_formset.is_valid() and rule_formset.is_valid()):
            return render(
                request,
                self.template_name,
                self._context(entity, account_formset, rule_formset),
                status=400,
            )
        accounts = [
            (form.cleaned_data["number"], form.cleaned_data["name"].strip())
            for form in account_formset
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        labels = dict(AccountPurpose.choices)
        rules = [
            {
                **{key: value for key, value in form.cleaned_data.items() if key != "DELETE"},
                "purpose_label": str(labels.get(form.cleaned_data["purpose"], "")).lower(),
            }
            for form in rule_formset
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            services.chart_update(
                legal_entity=entity, accounts=accounts, rules=rules, actor=request.user
            )
        except ValidationError as refused:
            return render(
                request,
                self.template_name,
                self._context(entity, account_formset, rule_formset, refused.messages),
                status=400,
            )
        messages.success(
            request, _("The chart of accounts of %(entity)s is saved.") % {"entity": entity.name}
        )
        return redirect("invoicing:chart_edit", pk=entity.pk)


class ExportView(PermissionRequired, View):
    """Choose an entity, a period and a format; download the file; see what was exported."""

    permission_required = "invoicing.view_ledgerexport"
    template_name = "invoicing/ledger/export.html"

    def _render(self, request, form, overlap=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "overlap": overlap,
                "exports": selectors.export_log()[:50],
                "can_export": request.user.has_perm("invoicing.add_ledgerexport"),
            },
            status=status,
        )

    def get(self, request):
        initial = request.GET.dict()
        if "legal_entity" not in initial:
            first = LegalEntity.objects.order_by("name").first()
            initial["legal_entity"] = first.pk if first else None
        return self._render(request, ExportForm(initial=initial))

    def post(self, request):
        if not request.user.has_perm("invoicing.add_ledgerexport"):
            raise PermissionDenied
        form = ExportForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        data = form.cleaned_data
        try:
            exported = exports.ledger_export(
                legal_entity=data["legal_entity"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                export_format=data["export_format"],
                confirm_overlap=data["confirm_overlap"],
                actor=request.user,
            )
        except exports.ExportOverlaps as overlap:
            return self._render(request, form, overlap=overlap.messages[0], status=409)
        except ValidationError as refused:
            for message in refused.messages:
                form.add_error(None, message)
            return self._render(request, form, status=400)
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
