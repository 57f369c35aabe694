"""Customers as pages (issue 15, item 5): what each customer owes per currency from the
receivables selectors, the list and the customer's page in a bounded number of queries, and
creating and editing customers in the finance UI with the admin's checks."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import Customer
from contracts.services import customer_save
from invoicing.receivables import selectors
from invoicing.saved_filters import saved_filter_save
from tests.factories import CustomerFactory, ExchangeRateFactory, PaymentTermsFactory, UserFactory
from tests.invoicing.receivables.test_payments import JAN_1, credit_note, pay, post

pytestmark = pytest.mark.django_db
D = Decimal
LIST = reverse("invoicing:customer_list")


def detail(customer) -> str:
    return reverse("invoicing:customer_detail", args=[customer.pk])


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def customer(people):
    """A Swedish customer with an E1 invoice in SEK (27,500.00, due 2026-01-31, overdue today)
    paid 7,500.00, and one in EUR (27,500.00) not paid at all."""
    sek = post(people)
    pay(sek, people, "7500")
    ExchangeRateFactory(currency="EUR", quote_currency="SEK", rate_date=JAN_1)
    post(people, customer=sek.customer, legal_entity=sek.legal_entity, currency="EUR")
    return sek.customer


# ---- the figures ---------------------------------------------------------------------------


def test_a_customer_owing_sek_and_eur_has_one_position_per_currency(customer):
    [eur, sek] = selectors.customers_receivable([customer.pk])[customer.pk]
    assert (eur.currency, eur.balance, eur.open_amount, eur.overdue_amount) == (
        "EUR", D("27500.00"), D("27500.00"), D("27500.00"),
    )  # fmt: skip
    assert (sek.currency, sek.balance, sek.open_amount, sek.overdue_amount) == (
        "SEK", D("20000.00"), D("20000.00"), D("20000.00"),
    )  # fmt: skip
    assert (sek.open_invoices, sek.overdue_invoices, sek.credit_available) == (1, 1, D("0.00"))


def test_balance_is_what_is_open_less_the_credit_and_agrees_with_the_ledger(customer, people):
    """A credit note of a paid invoice and a surplus payment become customer credit: the
    balance goes down by the credit, the open amount does not."""
    paid = post(people, customer=customer)
    pay(paid, people, "28000", keep_surplus_as_credit=True)  # 500.00 surplus
    credit_note(paid, people)  # -4,512.50 on a paid invoice: all of it customer credit
    position = {row.currency: row for row in selectors.customers_receivable([customer.pk])[
        customer.pk
    ]}["SEK"]  # fmt: skip
    assert position.open_amount == D("20000.00")
    assert position.credit_available == D("5012.50")
    assert position.balance == D("14987.50") == position.open_amount - position.credit_available
    assert position.balance == selectors.customer_balance(customer, "SEK")
    assert position.credit_available == selectors.customer_credit_available(customer, "SEK")


def test_a_customer_with_nothing_invoiced_has_no_positions(people):
    quiet = CustomerFactory()
    assert selectors.customers_receivable([quiet.pk]) == {quiet.pk: []}


def test_the_receivables_page_and_the_dashboard_add_up_through_the_same_function(
    customer, people, client
):
    client.force_login(people["clerk"])
    totals = selectors.receivable_totals(selectors.receivables())
    assert [(row["currency"], row["open"], row["overdue"]) for row in totals] == [
        ("EUR", D("27500.00"), D("27500.00")),
        ("SEK", D("20000.00"), D("20000.00")),
    ]
    page = client.get(reverse("invoicing:receivables"))
    assert page.context["totals"] == totals
    home = client.get(reverse("home"))
    assert home.context["receivables"] == totals


# ---- the list ------------------------------------------------------------------------------


def test_the_list_shows_balance_and_overdue_per_currency_and_links_the_page(customer, client):
    client.force_login(UserFactory(role="read_only"))
    response = client.get(LIST)
    html = response.content.decode()
    assert detail(customer) in html
    assert "27,500.00" in html and "20,000.00" in html
    assert "EUR" in html and "SEK" in html


@pytest.mark.parametrize(
    "query",
    ["Kiruna", "kir-1", "SE 556677-8899 01", "5566778899", "billing@kiruna"],
)
def test_the_list_finds_a_customer_by_name_code_vat_org_number_or_email(client, query):
    CustomerFactory(code="OTHER", name="Other AB", vat_number="", email="x@other.example")
    CustomerFactory(
        code="KIR-1",
        name="Kiruna Kommun",
        vat_number="SE556677889901",
        peppol_scheme="0007",
        peppol_identifier="5566778899",
        email="billing@kiruna.example",
    )
    client.force_login(UserFactory(role="finance_clerk"))
    page = client.get(LIST, {"q": query}).context["page"]
    assert [customer.code for customer in page.object_list] == ["KIR-1"]


def test_the_list_sorts_and_filters_who_owes_something(customer, client):
    CustomerFactory(code="A-QUIET", name="Zeta AB")
    client.force_login(UserFactory(role="finance_clerk"))
    by_name = client.get(LIST, {"ordering": "-name"}).context["page"].object_list
    assert by_name[0].name == "Zeta AB"
    owing = client.get(LIST, {"owing": "overdue"}).context["page"].object_list
    assert [row.pk for row in owing] == [customer.pk]


def test_the_list_runs_the_same_queries_for_many_customers_and_invoices(customer, people, client):
    client.force_login(people["clerk"])
    few = _queries(client, LIST)
    for index in range(4):
        other = CustomerFactory(code=f"MANY-{index}")
        more = post(people, customer=other)
        pay(more, people, "100")
        post(people, customer=other, currency="EUR")
    many = _queries(client, LIST)
    assert many == few
    assert many <= 16


# ---- the customer's page -------------------------------------------------------------------


def test_the_page_shows_contact_einvoice_settings_documents_and_credit(customer, people, client):
    Customer.objects.filter(pk=customer.pk).update(
        peppol_scheme="0007", peppol_identifier="5560001116", buyer_reference="SBK-4711",
        email="ap@customer.example", wants_facturx=True,
    )  # fmt: skip
    invoice = customer.invoices.get(currency="SEK")
    note = credit_note(invoice, people)
    client.force_login(people["clerk"])
    response = client.get(detail(customer))
    html = response.content.decode()
    for text in ("0007:5560001116", "SBK-4711", "ap@customer.example", invoice.number, note.number):
        assert text in html
    # The credit note settled 4,512.50 of the SEK invoice: 15,487.50 open, no customer credit.
    [eur, sek] = [row["position"] for row in response.context["balances"]]
    assert sek.open_amount == D("15487.50") and sek.credit_available == 0
    ageing = dict(response.context["balances"][1]["ageing"])
    assert sum(ageing.values()) == sek.open_amount
    assert reverse("invoicing:customer_statement_pdf", args=[customer.pk]) in html
    assert 'id="comments"' in html


def test_customer_credit_can_be_applied_and_refunded_from_the_page(customer, people, client):
    paid = post(people, customer=customer)
    pay(paid, people, "28500", keep_surplus_as_credit=True)  # 1,000.00 of credit
    client.force_login(people["clerk"])
    page = client.get(detail(customer)).content.decode()
    open_invoice = customer.invoices.get(currency="SEK", pk__lt=paid.pk)
    assert reverse("invoicing:invoice_payment", args=[open_invoice.pk]) in page
    assert reverse("invoicing:customer_refund", args=[customer.pk]) in page
    response = client.post(
        reverse("invoicing:invoice_payment", args=[open_invoice.pk]),
        {"operation": "apply_credit", "amount": "", "next": detail(customer)},
    )
    assert response.url == detail(customer)
    assert selectors.invoice_open_amount(open_invoice) == D("19000.00")
    assert selectors.customer_credit_available(customer, "SEK") == 0


def test_the_page_offers_open_invoices_for_credit_without_their_snapshots(customer, people, client):
    """A grantor has hundreds of open invoices: the page loaded each whole (snapshot and all)
    to offer them for credit it did not have. Now none without credit, and with credit only
    what the offer shows."""
    client.force_login(people["clerk"])
    response = client.get(detail(customer))
    assert all(row["credit_invoices"] == [] for row in response.context["balances"])
    paid = post(people, customer=customer)
    pay(paid, people, "28500", keep_surplus_as_credit=True)
    response = client.get(detail(customer))
    [offered] = [
        invoice for row in response.context["balances"] for invoice in row["credit_invoices"]
    ]
    assert offered == customer.invoices.get(currency="SEK", pk__lt=paid.pk)
    assert {"snapshot", "customer_id", "contract_id"} <= offered.get_deferred_fields()
    assert offered.number in response.content.decode()


def test_the_page_runs_the_same_queries_however_many_documents(customer, people, client):
    client.force_login(people["clerk"])
    # A first request fills the process's caches (content types for the comment thread); in a
    # random order another test may or may not have done it, so it is not measured.
    _queries(client, detail(customer))
    few = _queries(client, detail(customer))
    for _ in range(3):
        more = post(people, customer=customer)
        pay(more, people, "100")
        credit_note(more, people)
    many = _queries(client, detail(customer))
    assert many == few
    assert many <= 40


def test_the_page_of_an_unknown_customer_is_404(client, people):
    client.force_login(people["clerk"])
    assert client.get(reverse("invoicing:customer_detail", args=[999999])).status_code == 404


def test_the_contract_invoice_and_receivables_pages_link_the_customer(customer, people, client):
    client.force_login(people["clerk"])
    invoice = customer.invoices.first()
    for url in (
        invoice.contract.get_absolute_url(),
        invoice.get_absolute_url(),
        reverse("invoicing:receivables"),
        reverse("invoicing:invoice_list"),
        reverse("contracts:contract_list"),
        reverse("invoicing:customer_statement", args=[customer.pk]),
    ):
        assert detail(customer) in client.get(url).content.decode(), url


def test_a_comment_on_a_customer_is_kept_on_its_page(customer, people, client):
    client.force_login(people["clerk"])
    url = reverse("collaboration:comments", kwargs={"target": "customer", "pk": customer.pk})
    client.post(url, {"body": "Call before sending the reminder."})
    assert "Call before sending the reminder." in client.get(detail(customer)).content.decode()


# ---- create and edit -----------------------------------------------------------------------


def customer_data(**overrides) -> dict:
    return {
        "code": "C-MAL",
        "name": "Malmö Hamn AB",
        "street": "Hamngatan 1",
        "postal_code": "211 22",
        "city": "Malmö",
        "country": "SE",
        "vat_number": "se 556677-8899 01",
        "email": "faktura@malmohamn.example",
        "language": "sv",
        "payment_terms": PaymentTermsFactory().pk,
        "peppol_scheme": "0007",
        "peppol_identifier": "556677-8899",
        "buyer_reference": " PO-77 ",
        **overrides,
    }


def test_a_clerk_creates_a_customer_stored_compact_with_history(client):
    clerk = UserFactory(role="finance_clerk")
    client.force_login(clerk)
    response = client.post(reverse("invoicing:customer_create"), customer_data())
    created = Customer.objects.get(code="C-MAL")
    assert response.url == detail(created)
    assert (created.vat_number, created.peppol_identifier, created.buyer_reference) == (
        "SE556677889901", "5566778899", "PO-77",
    )  # fmt: skip
    assert created.history.get().history_user == clerk


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"vat_number": "SE556677889801"}, "vat_number", "the check digit is wrong"),
        ({"vat_number": "DK32712452"}, "vat_number", "must start with SE"),
        ({"peppol_identifier": ""}, "peppol_identifier", "or neither"),
        ({"peppol_scheme": ""}, "peppol_scheme", "or neither"),
        ({"peppol_identifier": "556677-8898"}, "peppol_identifier", "not a valid Peppol"),
        ({"email": "faktura@"}, "email", "valid email"),
        ({"country": "XX"}, "country", "valid choice"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_the_form_explains_each_wrong_value_and_saves_nothing(client, overrides, field, message):
    client.force_login(UserFactory(role="finance_clerk"))
    response = client.post(reverse("invoicing:customer_create"), customer_data(**overrides))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Customer.objects.filter(code="C-MAL").exists()


def test_a_code_already_in_use_is_refused(client):
    CustomerFactory(code="C-MAL")
    client.force_login(UserFactory(role="finance_clerk"))
    response = client.post(reverse("invoicing:customer_create"), customer_data())
    assert "This code is already in use." in str(response.context["form"].errors)
    assert Customer.objects.filter(code="C-MAL").count() == 1


def test_editing_a_customer_leaves_its_posted_invoices_as_they_were(customer, people, client):
    invoice = customer.invoices.get(currency="SEK")
    printed = invoice.snapshot["buyer"]["name"]
    client.force_login(people["clerk"])
    data = customer_data(
        code=customer.code,
        name="Renamed AB",
        payment_terms=customer.payment_terms_id,
        vat_number=customer.vat_number,
        peppol_identifier="5560001116",
    )
    response = client.post(reverse("invoicing:customer_update", args=[customer.pk]), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    invoice.refresh_from_db()
    assert customer.name == "Renamed AB"
    assert invoice.snapshot["buyer"]["name"] == printed != "Renamed AB"
    assert customer.history.first().history_user == people["clerk"]


def test_a_refused_edit_changes_nothing(customer, people, client):
    client.force_login(people["clerk"])
    before = Customer.objects.values().get(pk=customer.pk)
    data = customer_data(code=customer.code, name="Renamed AB", vat_number="SE1")
    response = client.post(reverse("invoicing:customer_update", args=[customer.pk]), data)
    assert response.status_code == 200
    assert Customer.objects.values().get(pk=customer.pk) == before


@pytest.mark.parametrize(
    ("role", "can_change"),
    [
        ("finance_clerk", True),
        ("approver", False),
        ("project_manager", False),
        ("read_only", False),
    ],
)
def test_finance_clerks_add_and_change_customers_everyone_reads(client, role, can_change):
    existing = CustomerFactory()
    client.force_login(UserFactory(role=role))
    assert client.get(LIST).status_code == 200
    assert client.get(detail(existing)).status_code == 200
    expected = 200 if can_change else 403
    assert client.get(reverse("invoicing:customer_create")).status_code == expected
    assert client.get(reverse("invoicing:customer_update", args=[existing.pk])).status_code == (
        expected
    )
    response = client.post(reverse("invoicing:customer_create"), customer_data())
    assert Customer.objects.filter(code="C-MAL").exists() == can_change
    assert response.status_code == (302 if can_change else 403)


def test_the_service_refuses_what_the_form_refuses():
    from django.core.exceptions import ValidationError

    unsaved = CustomerFactory.build(
        payment_terms=PaymentTermsFactory(), peppol_scheme="0007", peppol_identifier=""
    )
    with pytest.raises(ValidationError) as refused:
        customer_save(customer=unsaved, actor=None)
    assert "peppol_identifier" in refused.value.message_dict
    assert not Customer.objects.filter(code=unsaved.code).exists()


def test_another_stage_adds_a_card_to_the_customer_page(customer, people, client):
    """The place left for, e.g., the log of invoices e-mailed to the customer."""
    from invoicing.receivables import customer_views

    def sent_log(*, customer, request):
        return {"template": "includes/form_errors.html", "form": None} if customer.pk else None

    customer_views.customer_page_section_register(sent_log)
    customer_views.customer_page_section_register(sent_log)  # once only
    try:
        client.force_login(people["clerk"])
        response = client.get(detail(customer))
        assert response.context["sections"] == [
            {"template": "includes/form_errors.html", "form": None}
        ]
    finally:
        customer_views._page_sections.remove(sent_log)


def test_searching_redraws_only_the_table(customer, people, client):
    client.force_login(people["clerk"])
    response = client.get(LIST, {"q": customer.name}, headers={"HX-Request": "true"})
    assert [template.name for template in response.templates][0] == (
        "invoicing/customers/_customer_table.html"
    )
    assert b"<html" not in response.content


def test_the_customer_list_exports_a_row_per_customer_and_currency(
    client, django_assert_max_num_queries
):
    """The list's figures (customers_receivable) as a workbook, in a bounded number of queries."""
    import io

    import openpyxl
    from django.urls import reverse

    from tests.factories import CustomerFactory, UserFactory

    CustomerFactory(code="C-NONE", name="Owes nothing")
    client.force_login(UserFactory(role="finance_clerk"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("invoicing:customer_export"), {"format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:2] == ("Code", "Name") and rows[0][-1] == "Customer credit"
    assert ("C-NONE", "Owes nothing") in {row[:2] for row in rows[1:]}


def test_the_receivables_page_filters_by_customer_currency_and_overdue(customer, client):
    client.force_login(UserFactory(role="read_only"))
    url = reverse("invoicing:receivables")

    eur = client.get(url, {"currency": "EUR", "customer": customer.name[:5]}).context
    overdue = client.get(url, {"overdue": "1"}).context
    nobody = client.get(url, {"customer": "No such customer"}).context

    assert [row.currency for row in eur["page"].object_list] == ["EUR"]
    assert [row["currency"] for row in eur["totals"]] == ["EUR"]  # the totals follow the filter
    assert len(overdue["page"].object_list) == 2  # both are overdue today
    assert list(nobody["page"].object_list) == [] and nobody["totals"] == []
    export = client.get(reverse("invoicing:receivables_export"), {"currency": "EUR"})
    [_header, row] = export.content.decode().splitlines()
    assert ",EUR," in row


def test_the_filtered_receivables_page_runs_the_same_queries_for_more_invoices(
    customer, people, client
):
    client.force_login(people["clerk"])
    saved_filter_save(
        user=people["clerk"], list_name="receivables", name="SEK", query="currency=SEK"
    )
    url = reverse("invoicing:receivables") + "?currency=SEK&overdue=1"
    few = _queries(client, url)
    for _ in range(3):
        post(people)
    assert _queries(client, url) == few


def test_overdue_asks_the_due_date_alone_and_finds_what_is_overdue_says(customer, people):
    """``overdue_only`` leaves out the open-amount test that ``receivables()`` already made:
    the same invoices as the ``is_overdue`` annotation, on any day."""
    import datetime

    paid = post(people, customer=customer)
    pay(paid, people, "100")
    dates = customer.invoices.values_list("due_date", flat=True)
    days = sorted({day + datetime.timedelta(days=shift) for day in dates for shift in (-1, 0, 1)})
    for today in days:
        expected = set(selectors.receivables(today).filter(is_overdue=True))
        assert set(selectors.overdue(today)) == expected, today


def test_the_payments_section_names_paid_invoices_without_loading_them_whole(
    customer, people, client
):
    """A grantor's payments each pay dozens of invoices: the section read every one whole
    (snapshot JSON decoded, 427 at the full benchmark scale) to print its number."""
    paid = post(people, customer=customer)
    pay(paid, people, "100")
    client.force_login(people["clerk"])
    response = client.get(detail(customer))
    allocations = [a for payment in response.context["payments"] for a in payment.allocations.all()]
    assert paid in [allocation.invoice for allocation in allocations]
    assert all("snapshot" in a.invoice.get_deferred_fields() for a in allocations)
    assert paid.number in response.content.decode()
