"""A finance clerk imports the Riksbank's rates, is told which row of a bad file to fix, and
enters a rate by hand."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from contracts.models import ExchangeRate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_imports_the_riksbanks_rates_and_enters_one(page, live_server, log_in, tmp_path):
    clerk = UserFactory(username="karin", role="finance_clerk")
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    bad = tmp_path / "bad.csv"
    bad.write_text(f"Datum;Grupp;Serie;Värde\n{yesterday};Valutor;1 EUR;elva\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(
        f"Datum;Grupp;Serie;Värde\n{yesterday};Valutor;1 EUR;11,2345\n"
        f"{yesterday};Valutor;100 DKK;150,62\n",
        encoding="utf-8",
    )
    log_in(clerk)

    # When she imports a file with a bad value, she is told its row and column
    page.locator("#main-nav").get_by_role("link", name="Exchange rates").click()
    page.wait_for_url("**/contracts/exchange-rates/")
    page.click("text=Import the bank's rates")
    page.select_option("#id_layout", "riksbanken")
    page.set_input_files("#id_file", str(bad))
    page.click("main button[type=submit]")
    expect(page.get_by_test_id("import-problems")).to_contain_text(
        "Row 2, column “Värde”: “elva” is not a number."
    )
    assert not ExchangeRate.objects.exists()

    # and once the file is right, the rates are in the list
    page.select_option("#id_layout", "riksbanken")
    page.set_input_files("#id_file", str(good))
    page.click("main button[type=submit]")
    expect(page.get_by_text("New rates imported: 2;")).to_be_visible()
    expect(page.get_by_test_id("exchange-rates")).to_contain_text("1 EUR = 11.2345")
    expect(page.get_by_test_id("exchange-rates")).to_contain_text("1 DKK = 1.5062")

    # She enters a USD rate by hand, with a decimal comma
    page.click("text=Enter a rate")
    page.select_option("#id_currency", "USD")
    page.select_option("#id_quote_currency", "SEK")
    page.fill("#id_rate_date", yesterday)
    page.fill("#id_rate", "10,4321")
    page.click("text=Save rate")
    expect(page.get_by_text("was saved")).to_be_visible()
    expect(page.get_by_test_id("exchange-rates")).to_contain_text("1 USD = 10.4321")
    assert ExchangeRate.objects.get(currency="USD").source == "entered"


def test_a_danish_clerk_picks_the_date_from_a_danish_calendar(page, live_server, log_in):
    """The date input follows the page's language, not the browser's (this browser is en-GB):
    Danish day names, "I dag", and the date written 31.12.2026; the rate with a decimal comma."""
    clerk = UserFactory(username="mette", role="finance_clerk")
    log_in(clerk)
    page.context.add_cookies([{"name": "django_language", "value": "da", "url": live_server.url}])
    page.goto(f"{live_server.url}/contracts/exchange-rates/")
    page.get_by_role("link", name="Registrér en kurs").click()
    page.select_option("#id_currency", "EUR")
    page.select_option("#id_quote_currency", "DKK")
    page.click("#id_rate_date")
    calendar = page.locator(".air-datepicker.-active-")
    expect(calendar).to_be_visible()
    expect(calendar.locator(".air-datepicker-body--day-name").first).to_have_text("ma")
    calendar.get_by_text("I dag").click()
    today = datetime.date.today()
    expect(page.locator("#id_rate_date")).to_have_value(f"{today:%d.%m.%Y}")
    page.fill("#id_rate", "7,4612")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("exchange-rates")).to_contain_text("1 EUR = 7,4612")
    rate = ExchangeRate.objects.get(currency="EUR")
    assert (rate.rate_date, rate.rate) == (today, Decimal("7.4612"))
