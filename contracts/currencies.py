"""ISO 4217 currency choices, read once from Babel's CLDR data (pinned in requirements.txt)."""

import datetime
from functools import cache

from babel import Locale
from babel.numbers import get_territory_currencies, list_currencies
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

# Funds, precious metals and testing codes are not invoicing currencies.
_NOT_INVOICING = {
    "XAG",
    "XAU",
    "XBA",
    "XBB",
    "XBC",
    "XBD",
    "XDR",
    "XPD",
    "XPT",
    "XSU",
    "XTS",
    "XUA",
    "XXX",
}

CURRENCY_CODES = sorted(
    code
    for code in list_currencies()
    if len(code) == 3 and code.isalpha() and code.isupper() and code not in _NOT_INVOICING
)

_english = Locale("en")
CURRENCY_CHOICES = [
    (code, f"{code} – {_english.currencies.get(code, code)}") for code in CURRENCY_CODES
]


# What a Nordic finance team invoices in, offered first in every currency list.
COMMON_CURRENCIES = ("SEK", "DKK", "EUR", "NOK", "USD", "GBP")


@cache
def current_currency_codes(today: datetime.date) -> frozenset[str]:
    """ISO 4217 codes legal tender somewhere on ``today`` (CLDR's territory data): no East
    German mark, no Swedish 'SEK before 1873'... The database still accepts every ISO code
    (old records), but forms offer only these."""
    codes = set()
    for territory in _english.territories:
        if len(territory) == 2 and territory.isalpha():
            codes.update(get_territory_currencies(territory, today, tender=True))
    return frozenset(codes & set(CURRENCY_CODES))


def currency_choices(*, language: str | None = None, keep: str = "") -> list:
    """Choices for a currency select in ``language`` (the active one by default): the common
    currencies first, then the other current ones by code; ``keep`` (a record's own, possibly
    old, code) stays selectable."""
    locale = Locale.parse(to_locale(language or get_language() or "en"))
    names = locale.currencies

    def choice(code: str) -> tuple[str, str]:
        return code, f"{code} – {names.get(code, code)}"

    others = current_currency_codes(datetime.date.today()) - set(COMMON_CURRENCIES)
    if keep and keep not in others and keep not in COMMON_CURRENCIES:
        others = others | {keep}
    return [
        (_("Most used"), [choice(code) for code in COMMON_CURRENCIES]),
        (_("Other currencies"), [choice(code) for code in sorted(others)]),
    ]


def country_currency(country: str) -> str | None:
    """The currency legal tender in ``country`` today when it is a common one (SE: SEK, DE:
    EUR), else None."""
    today = datetime.date.today()
    for code in get_territory_currencies(country, today, tender=True) if country else ():
        if code in COMMON_CURRENCIES and code in current_currency_codes(today):
            return code
    return None
