"""Exchange rate pages: the list, entering one rate, importing a central bank's file. Thin:
bind a form, call one service or selector, show a refusal."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from contracts import exchange_rates, selectors
from contracts.filters import ExchangeRateFilter
from contracts.forms import ExchangeRateForm, ExchangeRateImportForm
from contracts.models import LegalEntity
from contracts.views import PermissionRequired


class ExchangeRateListView(PermissionRequired, TemplateView):
    """Rates newest first, filtered by currency; the same queries for ten rows as for ten
    thousand."""

    permission_required = "contracts.view_exchangerate"
    template_name = "contracts/exchange_rate_list.html"

    def get_context_data(self, **kwargs):
        rate_filter = ExchangeRateFilter(self.request.GET, queryset=selectors.exchange_rate_list())
        page = Paginator(rate_filter.qs, settings.PAGE_SIZE).get_page(self.request.GET.get("page"))
        return {**super().get_context_data(**kwargs), "filter": rate_filter, "page": page}


class ExchangeRateCreateView(PermissionRequired, TemplateView):
    permission_required = "contracts.add_exchangerate"
    template_name = "contracts/exchange_rate_form.html"

    def get(self, request, *args, **kwargs):
        entity = LegalEntity.objects.order_by("pk").first()
        initial = {
            "rate_date": timezone.localdate(),
            "quote_currency": entity.base_currency if entity else "",
            **{
                key: value
                for key, value in request.GET.items()
                if key in ExchangeRateForm.Meta.fields
            },
        }
        return self.render_to_response(
            self.get_context_data(form=ExchangeRateForm(initial=initial))
        )

    def post(self, request, *args, **kwargs):
        form = ExchangeRateForm(request.POST)
        if form.is_valid():
            try:
                rate = exchange_rates.exchange_rate_enter(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("The rate 1 %(currency)s = %(rate)s %(quote)s on %(date)s was saved.")
                    % {
                        "currency": rate.currency,
                        "rate": rate.rate.normalize(),
                        "quote": rate.quote_currency,
                        "date": rate.rate_date.isoformat(),
                    },
                )
                return redirect("contracts:exchange_rate_list")
        return self.render_to_response(self.get_context_data(form=form))


class ExchangeRateImportView(PermissionRequired, TemplateView):
    permission_required = "contracts.add_exchangerate"
    template_name = "contracts/exchange_rate_upload.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ExchangeRateImportForm()))

    def post(self, request, *args, **kwargs):
        form = ExchangeRateImportForm(request.POST, request.FILES)
        problems = []
        if form.is_valid():
            try:
                result = exchange_rates.exchange_rates_import(
                    content=form.cleaned_data["file"].read(),
                    layout=form.cleaned_data["layout"],
                    actor=request.user,
                )
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(
                    request,
                    _(
                        "New rates imported: %(created)s; already there: %(unchanged)s; rows "
                        "without a rate: %(skipped)s."
                    )
                    % {
                        "created": result.created,
                        "unchanged": result.unchanged,
                        "skipped": result.skipped,
                    },
                )
                return redirect("contracts:exchange_rate_list")
        return self.render_to_response(self.get_context_data(form=form, problems=problems))
