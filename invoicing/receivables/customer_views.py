"""Customers as pages: the list with what each owes per currency, the customer's page (contact
and e-invoice settings, balance and ageing per currency, contracts, invoices, credit notes,
payments, customer credit, statement, comments, history) and the create and edit forms.

The form and the service are the customer master data of ``contracts``; the pages live here
because they show invoices and payments. Every figure comes from ``receivables.selectors``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django.views.generic.edit import CreateView, UpdateView

from collaboration.registry import CommentTarget
from contracts import selectors as contract_selectors
from contracts import services as contract_services
from contracts.filters import CustomerFilter
from contracts.forms import CustomerForm
from contracts.models import Customer
from contracts.spreadsheets import INTEGER, MONEY, Column, table_response
from contracts.views import PermissionRequired, ServiceFormMixin
from invoicing.invoices.models import DocumentType, Invoice
from invoicing.receivables import selectors, statements
from invoicing.receivables.forms import RefundForm
from invoicing.receivables.models import Payment, PaymentAllocation
from invoicing.receivables.views import WRITE_PERMISSION

#: Rows per section of the customer page; the section links to the full list beyond that.
SECTION_LIMIT = 25

BUCKET_LABELS = {
    statements.NOT_DUE: _("Not yet due"),
    statements.DAYS_0_30: _("0-30 days"),
    statements.DAYS_31_60: _("31-60 days"),
    statements.DAYS_61_90: _("61-90 days"),
    statements.OVER_90: _("Over 90 days"),
}

# Other stages add sections to the customer page (e.g. what was e-mailed to the customer):
# ``provider(customer=..., request=...)`` returns None or a dict with a ``template`` to include
# and the context it needs.
_page_sections: list[Callable[..., dict | None]] = []


def customer_page_section_register(provider: Callable[..., dict | None]) -> None:
    if provider not in _page_sections:
        _page_sections.append(provider)


def customer_page_sections(*, customer: Customer, request) -> list[dict]:
    sections = (provider(customer=customer, request=request) for provider in _page_sections)
    return [section for section in sections if section]


#: Customers carry a comment thread on their page (registered in InvoicingConfig.ready).
CUSTOMER_COMMENT_TARGET = CommentTarget(
    key="customer",
    model=Customer,
    permission="contracts.view_customer",
    url=lambda customer: reverse("invoicing:customer_detail", args=[customer.pk]) + "#comments",
    name=lambda customer: customer.code,
    label=_("customer %(name)s"),
    page=lambda customer: reverse("invoicing:customer_detail", args=[customer.pk]),
)


def _customer_list_filter(request) -> CustomerFilter:
    """The customers the list shows (search, country, "something open / overdue", sorting)."""
    customers = Customer.objects.select_related("payment_terms").order_by("code")
    owing = request.GET.get("owing", "")
    if owing == "open":
        customers = customers.filter(pk__in=selectors.receivables().values("customer_id"))
    elif owing == "overdue":
        customers = customers.filter(pk__in=selectors.overdue().values("customer_id"))
    return CustomerFilter(request.GET, queryset=customers)


CUSTOMER_COLUMNS = [
    Column(_("Code"), lambda row: row[0].code),
    Column(_("Name"), lambda row: row[0].name),
    Column(_("City"), lambda row: row[0].city),
    Column(_("Country"), lambda row: row[0].country.name if row[0].country else ""),
    Column(_("VAT number"), lambda row: row[0].vat_number),
    Column(_("Invoice e-mail"), lambda row: row[0].email),
    Column(_("Currency"), lambda row: row[1].currency if row[1] else ""),
    Column(_("Balance"), lambda row: row[1].balance if row[1] else None, MONEY),
    Column(_("Open"), lambda row: row[1].open_amount if row[1] else None, MONEY),
    Column(_("Overdue"), lambda row: row[1].overdue_amount if row[1] else None, MONEY),
    Column(_("Open invoices"), lambda row: row[1].open_invoices if row[1] else None, INTEGER),
    Column(_("Customer credit"), lambda row: row[1].credit_available if row[1] else None, MONEY),
]


class CustomerExportView(PermissionRequired, View):
    """The filtered customer list as XLSX or CSV: a row per customer and currency it has a
    position in (the figures of the list, from ``customers_receivable``)."""

    permission_required = ("contracts.view_customer", "invoicing.view_invoice")

    def get(self, request):
        customers = list(_customer_list_filter(request).qs)
        positions = selectors.customers_receivable(customer.pk for customer in customers)
        rows = [
            (customer, position)
            for customer in customers
            for position in (positions[customer.pk] or [None])
        ]
        return table_response(
            CUSTOMER_COLUMNS,
            rows,
            file_format=request.GET.get("format", "csv"),
            name="customers",
            language=get_language(),
        )


class CustomerListView(PermissionRequired, TemplateView):
    """Customers with what each owes per currency: balance, open and overdue amounts and the
    number of open invoices. The same queries whatever the number of customers and invoices:
    the page of customers, then ``customers_receivable`` for those customers only."""

    permission_required = ("contracts.view_customer", "invoicing.view_invoice")
    template_name = "invoicing/customers/customer_list.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["invoicing/customers/_customer_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        owing = self.request.GET.get("owing", "")
        customer_filter = _customer_list_filter(self.request)
        page = Paginator(customer_filter.qs, settings.PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        positions = selectors.customers_receivable(customer.pk for customer in page.object_list)
        for customer in page.object_list:
            customer.positions = positions[customer.pk]
        context.update(
            filter=customer_filter,
            page=page,
            ordering=self.request.GET.get("ordering", ""),
            owing=owing,
            owing_choices=[
                ("", _("All")),
                ("open", _("Something open")),
                ("overdue", _("Something overdue")),
            ],
        )
        return context


class CustomerDetailView(PermissionRequired, TemplateView):
    """One customer: contact and e-invoice settings, balance and ageing per currency, its
    contracts, invoices, credit notes, payments and customer credit, statement links, comments
    and history. A bounded number of queries (five more per currency, for the ageing)."""

    permission_required = ("contracts.view_customer", "invoicing.view_invoice")
    template_name = "invoicing/customers/customer_detail.html"

    def get_customer(self) -> Customer:
        try:
            return Customer.objects.select_related("payment_terms").get(pk=self.kwargs["pk"])
        except Customer.DoesNotExist as missing:
            raise Http404 from missing

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = self.get_customer()
        today = timezone.localdate()
        positions = selectors.customers_receivable([customer.pk], today=today)[customer.pk]
        # Open invoices are offered for the customer's credit: only in a currency with credit,
        # and only what the offer shows (a grantor has hundreds, each with its snapshot).
        credit_currencies = [p.currency for p in positions if p.credit_available > 0]
        open_invoices = (
            list(
                selectors.receivables(today)
                .filter(customer=customer, currency__in=credit_currencies)
                .select_related(None)
                .only("pk", "number", "currency")
            )
            if credit_currencies
            else []
        )
        balances = []
        for position in positions:
            statement = selectors.customer_statement(customer, position.currency, date_to=today)
            balances.append(
                {
                    "position": position,
                    "ageing": [
                        (BUCKET_LABELS[key], statement.ageing.buckets[key])
                        for key in statements.BUCKETS
                    ],
                    "credit_invoices": [
                        invoice
                        for invoice in open_invoices
                        if invoice.currency == position.currency
                    ],
                }
            )
        documents = Invoice.objects.filter(customer=customer).order_by(
            "-invoice_date", "-sequence_number"
        )
        invoices = selectors.invoices_with_open_amount(
            documents.filter(document_type=DocumentType.INVOICE), today=today
        ).select_related("contract")
        credit_notes = documents.filter(document_type=DocumentType.CREDIT_NOTE).select_related(
            "credited_invoice"
        )
        payments = (
            Payment.objects.filter(customer=customer)
            .select_related("reverses")
            .prefetch_related(
                "reversal",
                Prefetch(
                    "allocations",
                    # The page names each invoice a payment paid: its number, not its snapshot.
                    queryset=PaymentAllocation.objects.select_related("invoice")
                    .only("payment_id", "invoice__number")
                    .order_by("pk"),
                ),
            )
            .order_by("-paid_on", "-pk")
        )
        contracts = customer.contracts.select_related("legal_entity").order_by("code")
        context.update(
            customer=customer,
            today=today,
            balances=balances,
            contracts=list(contracts[: SECTION_LIMIT + 1]),
            invoices=list(invoices[: SECTION_LIMIT + 1]),
            credit_notes=list(credit_notes[: SECTION_LIMIT + 1]),
            payments=list(payments[: SECTION_LIMIT + 1]),
            section_limit=SECTION_LIMIT,
            refund_form=RefundForm(),
            can_write=self.request.user.has_perm(WRITE_PERMISSION),
            history=contract_selectors.history_entries(customer.history.all()),
            sections=customer_page_sections(customer=customer, request=self.request),
        )
        return context


class CustomerFormMixin(ServiceFormMixin):
    model = Customer
    form_class = CustomerForm
    template_name = "invoicing/customers/customer_form.html"
    context_object_name = "customer"

    def save_with_service(self, form):
        return contract_services.customer_save(customer=form.instance, actor=self.request.user)

    def get_success_url(self):
        return reverse("invoicing:customer_detail", args=[self.object.pk])


class CustomerCreateView(PermissionRequired, CustomerFormMixin, CreateView):
    permission_required = "contracts.add_customer"
    success_message = _("The customer was created.")


class CustomerUpdateView(PermissionRequired, CustomerFormMixin, UpdateView):
    permission_required = "contracts.change_customer"
    success_message = _("The customer was saved. Invoices already posted keep what they print.")
