"""Currency lists (issue 16, item 5): the common Nordic currencies first, then the other current
ISO 4217 codes, named in the page's language; withdrawn currencies only on their old records."""

import pytest
from django.utils import translation

from contracts.currencies import COMMON_CURRENCIES, currency_choices
from contracts.filters import ExchangeRateFilter
from contracts.forms import ExchangeRateForm


def _codes(choices):
    return [code for _group, options in choices for code, _label in options]


def test_the_common_currencies_come_first_named_in_the_language():
    with translation.override("sv"):
        most_used, others = currency_choices()
    assert most_used[1][:2] == [("SEK", "SEK – svensk krona"), ("DKK", "DKK – dansk krona")]
    assert [code for code, _ in most_used[1]] == list(COMMON_CURRENCIES)
    codes = [code for code, _ in others[1]]
    assert codes == sorted(codes) and "JPY" in codes and "SEK" not in codes


@pytest.mark.parametrize("withdrawn", ["DDM", "DEM", "SEK", "XAU"])
def test_withdrawn_currencies_are_not_offered(withdrawn):
    codes = _codes(currency_choices(language="en"))
    assert (withdrawn in codes) == (withdrawn == "SEK")


def test_a_record_keeps_its_old_currency_selectable():
    assert "DEM" in _codes(currency_choices(language="da", keep="DEM"))


def test_forms_and_filters_offer_the_short_list_in_the_language():
    with translation.override("da"):
        html = str(ExchangeRateForm()["currency"])
        filter_html = str(ExchangeRateFilter().form["currency"])
    assert html.index("SEK – svensk krone") < html.index("AED")
    assert '<optgroup label="Mest brugte">' in html
    assert "DDM" not in html and "Swedish Krona" not in html
    assert "DKK – dansk krone" in filter_html and "DDM" not in filter_html
