"""ISO 4217 currency choices, read once from Babel's CLDR data (pinned in requirements.txt)."""

from babel import Locale
from babel.numbers import list_currencies

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
