"""Reading the central banks' published exchange rates from a CSV file, and checking every
row. Pure: no ORM; ``exchange_rates.exchange_rates_import`` writes what this returns, all or
nothing.

Two layouts, both semicolon-separated (a comma works too) with a decimal comma or point:

- **Riksbanken** (SEK): the export of "Sök räntor & valutakurser", daily values, columns
  ``Datum;Grupp;Serie;Värde`` (or ``Period``, and in English ``Date;Group;Series;Value``). The
  series names the currency as the Riksbank writes it: ``1 EUR``, ``100 DKK`` (the value is
  then for 100 units and is divided by 100), ``SEKEURPMI`` or just ``EUR``. A value of ``n/a``
  (no fixing that day) is skipped.
- **Danmarks Nationalbank** (DKK): rates in DKK per **100** units of the foreign currency,
  divided by 100 here. Columns ``Dato;Valuta;Kurs`` (or ``Date;Currency;Rate``, and the
  Statbank export's ``TID;VALUTA;INDHOLD`` with dates as ``2026M12D02``). The currency is its
  ISO code, alone or in brackets (``Euro (EUR)``).

Dates may be written 2026-12-02, 02.12.2026, 02-12-2026 or 02/12/2026 (day first).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.currency_conversion import EXCHANGE_RATE
from contracts.money import is_valid_currency

RIKSBANKEN = "riksbanken"
NATIONALBANKEN = "nationalbanken"


@dataclass(frozen=True)
class RateLayout:
    key: str
    source: str  # the ExchangeRate.source the rows are saved with
    quote_currency: str
    per_units: int  # the file's rates are for this many units of the currency


LAYOUTS = {
    RIKSBANKEN: RateLayout(RIKSBANKEN, "Riksbanken", "SEK", 1),
    NATIONALBANKEN: RateLayout(NATIONALBANKEN, "Danmarks Nationalbank", "DKK", 100),
}

# Canonical column -> header names (compared lower-case, without spaces, dashes and dots).
COLUMN_ALIASES = {
    "date": ("datum", "period", "date", "dato", "tid", "time", "dag", "day"),
    "currency": ("serie", "series", "valuta", "currency", "iso", "valutakode", "kode", "code"),
    "value": ("värde", "varde", "value", "kurs", "rate", "indhold", "valutakurs", "content"),
}
COLUMN_LABELS = {
    "date": gettext_lazy("date"),
    "currency": gettext_lazy("currency"),
    "value": gettext_lazy("exchange rate"),
}
MISSING_VALUES = ("", "n/a", "na", "..", "-", "–")
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d")
MAX_ROWS = 100_000
MAX_PROBLEMS_LISTED = 50

_STATBANK_DATE = re.compile(r"^(\d{4})M(\d{2})D(\d{2})$")
_RIKSBANK_SERIES = re.compile(r"^SEK([A-Z]{3})PMI$")
_UNITS_AND_CODE = re.compile(r"^(\d+)\s+([A-Z]{3})$")
_CODE_IN_BRACKETS = re.compile(r"\(([A-Z]{3})\)\s*$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class RateRow:
    row: int  # the row of the file, the header being row 1
    currency: str
    rate_date: datetime.date
    rate: Decimal  # units of the layout's quote currency per ONE unit of ``currency``


@dataclass(frozen=True)
class RateProblem:
    row: int  # 0: the file as a whole
    column: str  # as written in the file's header; blank for the file or the whole row
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        if not self.column:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class RateFile:
    layout: RateLayout
    rows: list[RateRow] = field(default_factory=list)
    problems: list[RateProblem] = field(default_factory=list)
    skipped: int = 0  # rows without a value (no fixing that day)


def rate_file_read(content: bytes, *, layout: str, today: datetime.date) -> RateFile:
    """Every rate of the file, or every problem with its row and column: a file with a problem
    must not be imported at all. Rates dated after ``today`` are refused (no bank publishes
    them); the same currency and day twice with two values is refused at the second row."""
    result = RateFile(layout=LAYOUTS[layout])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel on Windows saves "CSV" in the old Western European code page.
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            result.problems.append(RateProblem(0, "", _("The file is not a text (CSV) file.")))
            return result
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        result.problems.append(
            RateProblem(0, "", _("The file is empty: it needs a header row and rates."))
        )
        return result
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        result.problems.append(
            RateProblem(0, "", _("The file cannot be read as CSV (%(problem)s).") % {
                "problem": error
            })
        )  # fmt: skip
        return result
    header_at = next(
        (number for number, record in enumerate(records) if any(c.strip() for c in record)), None
    )
    if header_at is None:
        result.problems.append(
            RateProblem(0, "", _("The file is empty: it needs a header row and rates."))
        )
        return result
    columns = _columns(records[header_at], result)
    if columns is None:
        return result
    data = [
        (number + 1, record)
        for number, record in enumerate(records)
        if number > header_at and any(cell.strip() for cell in record)
    ]
    if len(data) > MAX_ROWS:
        result.problems.append(
            RateProblem(
                0,
                "",
                _("The file has %(count)s rows; at most %(limit)s can be imported at once.")
                % {"count": len(data), "limit": MAX_ROWS},
            )
        )
        return result
    seen: dict[tuple[str, datetime.date], RateRow] = {}
    for row_number, record in data:
        _row_read(row_number, record, columns, result, seen, today)
    if not result.rows and not result.problems:
        result.problems.append(RateProblem(0, "", _("The file has no rates to import.")))
    return result


def _normalize(name: str) -> str:
    return re.sub(r"[\s\-_.]+", "", name.strip().lower())


_ALIAS_TO_COLUMN = {
    alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases
}


def _columns(header: list[str], result: RateFile) -> dict[str, tuple[int, str]] | None:
    """Canonical column -> (position, name as written); other columns (Grupp) are ignored."""
    columns: dict[str, tuple[int, str]] = {}
    for position, name in enumerate(header):
        column = _ALIAS_TO_COLUMN.get(_normalize(name))
        if column and column not in columns:
            columns[column] = (position, name.strip())
    missing = [str(COLUMN_LABELS[column]) for column in COLUMN_ALIASES if column not in columns]
    if missing:
        result.problems.append(
            RateProblem(
                1,
                "",
                _(
                    "The header row lacks the column(s) for the %(missing)s. Expected for "
                    "%(bank)s, for example: %(example)s."
                )
                % {
                    "missing": ", ".join(missing),
                    "bank": result.layout.source,
                    "example": "Datum;Grupp;Serie;Värde"
                    if result.layout.key == RIKSBANKEN
                    else "Dato;Valuta;Kurs",
                },
            )
        )
        return None
    return columns


def _row_read(row_number, record, columns, result: RateFile, seen, today) -> None:
    def cell(column: str) -> tuple[str, str]:
        position, name = columns[column]
        return (record[position].strip() if position < len(record) else ""), name

    problems_before = len(result.problems)

    def problem(column_name: str, message: str) -> None:
        result.problems.append(RateProblem(row_number, column_name, message))

    value_text, value_column = cell("value")
    if value_text.lower() in MISSING_VALUES:
        result.skipped += 1
        return
    date_text, date_column = cell("date")
    rate_date = parse_rate_date(date_text)
    if rate_date is None:
        problem(
            date_column,
            _("“%(text)s” is not a date. Write it as 2026-12-02 (daily rates only).")
            % {"text": date_text},
        )
    elif rate_date > today:
        problem(
            date_column,
            _("%(date)s is in the future; a bank publishes no rate for it yet.")
            % {"date": rate_date.isoformat()},
        )
    currency_text, currency_column = cell("currency")
    currency, units = _currency_and_units(currency_text, result.layout)
    quote = result.layout.quote_currency
    if currency is None:
        problem(
            currency_column,
            _("“%(text)s” is not a currency this file can name. Use the ISO code, e.g. EUR.")
            % {"text": currency_text},
        )
    elif currency == quote:
        problem(
            currency_column,
            _("%(currency)s is the currency the rates are in; it has no rate to itself.")
            % {"currency": currency},
        )
    value = _parse_decimal(value_text)
    if value is None:
        problem(value_column, _("“%(text)s” is not a number.") % {"text": value_text})
    elif value <= 0:
        problem(value_column, _("A rate must be above zero, not %(text)s.") % {"text": value_text})
    if len(result.problems) > problems_before:
        return
    rate = value / units
    if not _fits(rate):
        problem(
            value_column,
            _("%(text)s has more digits than a rate can keep (%(decimals)s decimals).")
            % {"text": value_text, "decimals": EXCHANGE_RATE["decimal_places"]},
        )
        return
    earlier = seen.get((currency, rate_date))
    if earlier is not None:
        if earlier.rate != rate:
            problem(
                "",
                _(
                    "%(currency)s on %(date)s is already in row %(earlier)s with another rate "
                    "(%(first)s, here %(second)s)."
                )
                % {
                    "currency": currency,
                    "date": rate_date.isoformat(),
                    "earlier": earlier.row,
                    "first": earlier.rate.normalize(),
                    "second": rate.normalize(),
                },
            )
        return
    row = RateRow(row=row_number, currency=currency, rate_date=rate_date, rate=rate)
    seen[(currency, rate_date)] = row
    result.rows.append(row)


def parse_rate_date(text: str) -> datetime.date | None:
    """A day as the banks' exports and spreadsheets write it (day before month)."""
    match = _STATBANK_DATE.match(text)
    if match:
        text = "-".join(match.groups())
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


def _currency_and_units(text: str, layout: RateLayout) -> tuple[str | None, int]:
    """The ISO code a cell names, and for how many units its rate is."""
    cleaned = text.strip()
    upper = cleaned.upper()
    units = layout.per_units
    code = None
    for pattern in (_RIKSBANK_SERIES, _CODE_IN_BRACKETS):
        match = pattern.search(upper)
        if match:
            code = match.group(1)
            break
    else:
        match = _UNITS_AND_CODE.match(upper)
        if match:
            units, code = int(match.group(1)), match.group(2)
        elif len(upper) == 3:
            code = upper
    if code is None or not is_valid_currency(code) or units <= 0:
        return None, units
    return code, units


def _parse_decimal(text: str) -> Decimal | None:
    """A number with a decimal comma or point (the last of them when both are written)."""
    cleaned = _SPACES.sub("", text)
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _fits(rate: Decimal) -> bool:
    """True when the rate is stored exactly in ``ExchangeRate.rate``."""
    places = EXCHANGE_RATE["decimal_places"]
    integer_digits = EXCHANGE_RATE["max_digits"] - places
    return rate == rate.quantize(Decimal(1).scaleb(-places)) and rate < Decimal(10) ** (
        integer_digits
    )
