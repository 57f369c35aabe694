"""Exchange rates: the rate used on a day, entering one, importing the central banks' files
(all or nothing, every bad row named with its column), and the pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from contracts import exchange_rates
from contracts.models import ExchangeRate
from contracts.rate_files import NATIONALBANKEN, RIKSBANKEN, rate_file_read
from contracts.selectors import exchange_rate_for
from contracts.texts import text_of_stored
from tests.factories import ExchangeRateFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
DEC = datetime.date


# ------------------------------------------------------------------------------------------
# The rate used on a day
# ------------------------------------------------------------------------------------------


def test_the_newest_rate_on_or_before_the_day_is_used():
    ExchangeRateFactory(rate_date=DEC(2026, 11, 26), rate=D("11.10"))
    friday = ExchangeRateFactory(rate_date=DEC(2026, 11, 27), rate=D("11.20"))
    ExchangeRateFactory(rate_date=DEC(2026, 11, 30), rate=D("11.30"))  # after the Sunday
    ExchangeRateFactory(currency="USD", rate_date=DEC(2026, 11, 28), rate=D("10.50"))
    ExchangeRateFactory(quote_currency="DKK", rate_date=DEC(2026, 11, 28), rate=D("7.46"))
    sunday = DEC(2026, 11, 29)
    assert exchange_rate_for(currency="EUR", quote_currency="SEK", on_date=sunday) == friday


def test_a_rate_of_the_day_itself_counts():
    rate = ExchangeRateFactory(rate_date=DEC(2026, 12, 3))
    assert exchange_rate_for(currency="EUR", quote_currency="SEK", on_date=DEC(2026, 12, 3)) == rate


def test_a_rate_at_most_seven_days_old_is_used_an_older_one_never():
    rate = ExchangeRateFactory(rate_date=DEC(2026, 11, 26))
    assert exchange_rate_for(currency="EUR", quote_currency="SEK", on_date=DEC(2026, 12, 3)) == rate
    assert exchange_rate_for(currency="EUR", quote_currency="SEK", on_date=DEC(2026, 12, 4)) is None


def test_a_rate_dated_after_the_day_is_never_used():
    ExchangeRateFactory(rate_date=DEC(2026, 12, 4))
    assert exchange_rate_for(currency="EUR", quote_currency="SEK", on_date=DEC(2026, 12, 3)) is None


# ------------------------------------------------------------------------------------------
# The database's last line
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"rate": D("0")},
        {"rate": D("-1")},
        {"quote_currency": "EUR"},
        {"currency": "XXX"},
    ],
)
def test_the_database_refuses_a_rate_that_breaks_a_rule(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRateFactory(**fields)


def test_one_rate_per_pair_and_day():
    ExchangeRateFactory(rate_date=DEC(2026, 12, 2))
    ExchangeRateFactory(rate_date=DEC(2026, 12, 2), quote_currency="DKK")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRateFactory(rate_date=DEC(2026, 12, 2))


# ------------------------------------------------------------------------------------------
# Entering a rate
# ------------------------------------------------------------------------------------------


def test_a_clerk_enters_a_rate(user_with_role):
    clerk = user_with_role("finance_clerk")
    rate = exchange_rates.exchange_rate_enter(
        currency="EUR", quote_currency="SEK", rate_date=DEC(2026, 12, 2), rate=D("11.2345"),
        actor=clerk,
    )  # fmt: skip
    rate.refresh_from_db()
    assert (rate.rate, rate.source, rate.created_by) == (D("11.2345"), "entered", clerk)
    assert rate.history.get().history_user == clerk


def test_entering_the_same_day_twice_is_refused_with_a_message(user_with_role):
    clerk = user_with_role("finance_clerk")
    ExchangeRateFactory(rate_date=DEC(2026, 12, 2))
    with pytest.raises(ValidationError, match="already a rate for this currency pair"):
        exchange_rates.exchange_rate_enter(
            currency="EUR", quote_currency="SEK", rate_date=DEC(2026, 12, 2), rate=D("11"),
            actor=clerk,
        )  # fmt: skip


@pytest.mark.parametrize("role", ["approver", "project_manager", "read_only"])
def test_only_finance_enters_rates(user_with_role, role):
    with pytest.raises(PermissionDenied):
        exchange_rates.exchange_rate_enter(
            currency="EUR", quote_currency="SEK", rate_date=DEC(2026, 12, 2), rate=D("11"),
            actor=user_with_role(role),
        )  # fmt: skip


# ------------------------------------------------------------------------------------------
# Reading the banks' files (pure)
# ------------------------------------------------------------------------------------------

TODAY = DEC(2026, 12, 3)
RIKSBANKEN_FILE = (
    "Datum;Grupp;Serie;Värde\r\n"
    "2026-12-01;Valutor mot svenska kronor;1 EUR;11,2100\r\n"
    "2026-12-01;Valutor mot svenska kronor;100 DKK;150,3150\r\n"
    "2026-12-02;Valutor mot svenska kronor;SEKEURPMI;11,2345\r\n"
    "2026-12-02;Valutor mot svenska kronor;SEKUSDPMI;n/a\r\n"
    "2026-12-02;Valutor mot svenska kronor;USD;10.5012\r\n"
).encode()
NATIONALBANKEN_FILE = (
    "Dato;Valuta;Kurs\n"
    "02-12-2026;EUR;746,03\n"
    "02.12.2026;Svenske kroner (SEK);66,41\n"
    "2026M12D01;USD;703,1\n"
).encode("cp1252")


def test_riksbankens_export_is_read_with_units_series_and_decimal_commas():
    read = rate_file_read(RIKSBANKEN_FILE, layout=RIKSBANKEN, today=TODAY)
    assert read.problems == []
    assert [(row.row, row.currency, row.rate_date, row.rate) for row in read.rows] == [
        (2, "EUR", DEC(2026, 12, 1), D("11.2100")),
        (3, "DKK", DEC(2026, 12, 1), D("1.503150")),
        (4, "EUR", DEC(2026, 12, 2), D("11.2345")),
        (6, "USD", DEC(2026, 12, 2), D("10.5012")),
    ]
    assert read.skipped == 1
    assert read.layout.quote_currency == "SEK"


def test_nationalbankens_rates_per_100_units_are_divided_by_100():
    read = rate_file_read(NATIONALBANKEN_FILE, layout=NATIONALBANKEN, today=TODAY)
    assert read.problems == []
    assert [(row.currency, row.rate_date, row.rate) for row in read.rows] == [
        ("EUR", DEC(2026, 12, 2), D("7.4603")),
        ("SEK", DEC(2026, 12, 2), D("0.6641")),
        ("USD", DEC(2026, 12, 1), D("7.031")),
    ]
    assert read.layout.quote_currency == "DKK"


def test_an_english_riksbank_export_with_day_first_dates_is_read():
    content = b"Period;Group;Series;Value\n02/12/2026;Currencies;1 EUR;11.2345\n"
    read = rate_file_read(content, layout=RIKSBANKEN, today=TODAY)
    assert [(row.currency, row.rate_date, row.rate) for row in read.rows] == [
        ("EUR", DEC(2026, 12, 2), D("11.2345"))
    ]


def test_every_bad_row_is_named_with_its_row_and_column():
    content = (
        "Datum;Grupp;Serie;Värde\n"
        "2026-12-02;Valutor;1 EUR;11,2345\n"
        "2026-13-02;Valutor;1 EUR;11,2345\n"
        "2026-12-02;Valutor;1 EUX;11,2\n"
        "2026-12-02;Valutor;1 USD;tio\n"
        "2026-12-02;Valutor;SEK;1\n"
        "2026-12-09;Valutor;NOK;0,98\n"
        "2026-12-02;Valutor;EUR;11,3\n"
        "2026-12-02;Valutor;GBP;-13\n"
    ).encode()
    read = rate_file_read(content, layout=RIKSBANKEN, today=TODAY)
    assert [str(problem) for problem in read.problems] == [
        "Row 3, column “Datum”: “2026-13-02” is not a date. Write it as 2026-12-02 (daily "
        "rates only).",
        "Row 4, column “Serie”: “1 EUX” is not a currency this file can name. Use the ISO "
        "code, e.g. EUR.",
        "Row 5, column “Värde”: “tio” is not a number.",
        "Row 6, column “Serie”: SEK is the currency the rates are in; it has no rate to itself.",
        "Row 7, column “Datum”: 2026-12-09 is in the future; a bank publishes no rate for it yet.",
        "Row 8: EUR on 2026-12-02 is already in row 2 with another rate (11.2345, here 11.3).",
        "Row 9, column “Värde”: A rate must be above zero, not -13.",
    ]


def test_a_file_without_the_columns_is_refused_saying_what_is_expected():
    read = rate_file_read(b"Day;Amount\n2026-12-02;11\n", layout=NATIONALBANKEN, today=TODAY)
    assert [str(problem) for problem in read.problems] == [
        "Row 1: The header row lacks the column(s) for the currency, exchange rate. Expected for "
        "Danmarks Nationalbank, for example: Dato;Valuta;Kurs."
    ]
    assert read.rows == []


@pytest.mark.parametrize("content", [b"", b"\n\n", b";;\n"])
def test_an_empty_file_is_refused(content):
    read = rate_file_read(content, layout=RIKSBANKEN, today=TODAY)
    assert read.rows == [] and len(read.problems) == 1


# ------------------------------------------------------------------------------------------
# Importing: all or nothing
# ------------------------------------------------------------------------------------------


def test_importing_riksbankens_file_stores_every_rate_once(user_with_role, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    clerk = user_with_role("finance_clerk")
    result = exchange_rates.exchange_rates_import(
        content=RIKSBANKEN_FILE, layout=RIKSBANKEN, actor=clerk
    )
    assert (result.created, result.unchanged, result.skipped) == (4, 0, 1)
    stored = ExchangeRate.objects.order_by("rate_date", "currency")
    assert [(r.currency, r.quote_currency, r.rate_date, r.rate, r.source) for r in stored] == [
        ("DKK", "SEK", DEC(2026, 12, 1), D("1.50315000"), "Riksbanken"),
        ("EUR", "SEK", DEC(2026, 12, 1), D("11.21000000"), "Riksbanken"),
        ("EUR", "SEK", DEC(2026, 12, 2), D("11.23450000"), "Riksbanken"),
        ("USD", "SEK", DEC(2026, 12, 2), D("10.50120000"), "Riksbanken"),
    ]
    assert {rate.created_by for rate in stored} == {clerk}
    assert ExchangeRate.history.filter(history_user=clerk).count() == 4
    # The history says where the rates came from in its reader's language (issue 16).
    reason = ExchangeRate.history.first().history_change_reason
    with translation.override("sv"):
        assert text_of_stored(reason) == "Importerad från Riksbanken"
    with translation.override("da"):
        assert text_of_stored(reason) == "Importeret fra Riksbanken"
    # The same file again writes nothing new.
    again = exchange_rates.exchange_rates_import(
        content=RIKSBANKEN_FILE, layout=RIKSBANKEN, actor=clerk
    )
    assert (again.created, again.unchanged) == (0, 4)
    assert ExchangeRate.objects.count() == 4


def test_importing_nationalbankens_file(user_with_role, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    exchange_rates.exchange_rates_import(
        content=NATIONALBANKEN_FILE, layout=NATIONALBANKEN, actor=user_with_role("finance_clerk")
    )
    eur = ExchangeRate.objects.get(currency="EUR")
    assert (eur.quote_currency, eur.rate, eur.source) == (
        "DKK",
        D("7.4603"),
        "Danmarks Nationalbank",
    )


def test_a_file_with_one_bad_row_writes_nothing(user_with_role, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    content = RIKSBANKEN_FILE + b"2026-12-02;Valutor mot svenska kronor;1 GBP;13,x\r\n"
    with pytest.raises(exchange_rates.RateImportRefused) as refusal:
        exchange_rates.exchange_rates_import(
            content=content, layout=RIKSBANKEN, actor=user_with_role("finance_clerk")
        )
    assert refusal.value.messages == ["Row 7, column “Värde”: “13,x” is not a number."]
    assert not ExchangeRate.objects.exists()


def test_a_stored_rate_with_another_value_is_a_problem_of_its_row(user_with_role, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    ExchangeRateFactory(rate_date=DEC(2026, 12, 2), rate=D("11.30"), source="entered")
    with pytest.raises(exchange_rates.RateImportRefused) as refusal:
        exchange_rates.exchange_rates_import(
            content=RIKSBANKEN_FILE, layout=RIKSBANKEN, actor=user_with_role("finance_clerk")
        )
    assert refusal.value.messages == [
        "Row 4: EUR on 2026-12-02 already has the rate 11.3 (entered by hand); the file says "
        "11.2345. An administrator can change or delete the stored rate."
    ]
    assert ExchangeRate.objects.count() == 1


def test_only_finance_imports_rates(user_with_role):
    with pytest.raises(PermissionDenied):
        exchange_rates.exchange_rates_import(
            content=RIKSBANKEN_FILE, layout=RIKSBANKEN, actor=user_with_role("approver")
        )


# ------------------------------------------------------------------------------------------
# The pages
# ------------------------------------------------------------------------------------------


def test_the_list_shows_rates_newest_first_in_bounded_queries(
    clerk_client, django_assert_max_num_queries
):
    ExchangeRateFactory(rate_date=DEC(2026, 12, 1), rate=D("11.2"))
    ExchangeRateFactory(rate_date=DEC(2026, 12, 2), rate=D("11.2345"))
    url = reverse("contracts:exchange_rate_list")
    with django_assert_max_num_queries(12) as few:
        response = clerk_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 EUR = 11.2345" in html
    assert html.index("2026-12-02") < html.index("2026-12-01")
    users = UserFactory.create_batch(3)
    for number in range(30):
        ExchangeRateFactory(
            currency="USD", rate_date=DEC(2026, 10, 1) + datetime.timedelta(days=number),
            created_by=users[number % 3],
        )  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clerk_client.get(url)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 32


def test_the_list_filters_by_currency(clerk_client):
    ExchangeRateFactory(currency="EUR", rate=D("11.2345"))
    ExchangeRateFactory(currency="USD", rate=D("10.4321"))
    response = clerk_client.get(reverse("contracts:exchange_rate_list"), {"currency": "USD"})
    html = response.content.decode()
    assert "10.4321" in html and "11.2345" not in html


def test_a_clerk_enters_a_rate_on_the_form(clerk_client):
    url = reverse("contracts:exchange_rate_create")
    assert clerk_client.get(url).status_code == 200
    response = clerk_client.post(
        url,
        {"currency": "EUR", "quote_currency": "SEK", "rate_date": "2026-12-02", "rate": "11,2345"},
    )
    assert response.status_code == 302  # a decimal comma, as the bank's page writes it
    assert ExchangeRate.objects.get().rate == D("11.2345")
    response = clerk_client.post(
        url,
        {"currency": "EUR", "quote_currency": "SEK", "rate_date": "2026-12-02", "rate": "11.3"},
    )
    assert "already a rate for this currency pair" in response.content.decode()
    response = clerk_client.post(
        url,
        {"currency": "SEK", "quote_currency": "SEK", "rate_date": "2026-12-02", "rate": "1"},
    )
    assert "no exchange rate to itself" in response.content.decode()


def test_a_bad_file_on_the_import_page_names_its_rows_and_writes_nothing(clerk_client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    url = reverse("contracts:exchange_rate_upload")
    assert clerk_client.get(url).status_code == 200
    bad = SimpleUploadedFile("rates.csv", b"Dato;Valuta;Kurs\n02-12-2026;EUR;abc\n")
    response = clerk_client.post(url, {"layout": NATIONALBANKEN, "file": bad})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in html
    assert "Row 2, column “Kurs”: “abc” is not a number." in html
    assert not ExchangeRate.objects.exists()
    good = SimpleUploadedFile("rates.csv", NATIONALBANKEN_FILE)
    response = clerk_client.post(url, {"layout": NATIONALBANKEN, "file": good}, follow=True)
    assert "New rates imported: 3;" in response.content.decode()
    assert ExchangeRate.objects.count() == 3


def test_the_admins_history_of_an_imported_rate_says_where_from_in_the_readers_language(
    client, user_with_role, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    exchange_rates.exchange_rates_import(
        content=RIKSBANKEN_FILE, layout=RIKSBANKEN, actor=user_with_role("finance_clerk")
    )
    rate = ExchangeRate.objects.first()
    client.force_login(user_with_role("admin", is_staff=True))
    client.cookies["django_language"] = "sv"
    page = client.get(f"/admin/contracts/exchangerate/{rate.pk}/history/").content.decode()
    assert "Importerad från Riksbanken" in page
    assert "§" not in page
