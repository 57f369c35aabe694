"""Reading a timesheet file: its encoding, its CSV dialect, its header (with the names other
systems give the columns), and the numbers and dates as people type them. Pure: no Django; the
checking of each row is in timesheets.py."""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from contracts.texts import deferred_gettext as _  # messages are shown in their reader's language

# Canonical column -> accepted header names (compared lower-case, spaces and dashes as "_").


# Canonical column -> accepted header names (compared lower-case, spaces and dashes as "_").
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "entry_id": ("entry_id", "id", "external_reference", "reference", "entry", "rad_id", "post_id"),
    "date": ("date", "datum", "dato", "work_date"),
    "project": ("project", "projekt", "project_code", "project_id"),
    "worker": ("worker", "employee", "employee_id", "medarbetare", "medarbejder", "resource"),
    "category": ("category", "kategori", "activity", "aktivitet"),
    "hours": ("hours", "quantity", "timmar", "timer", "antal", "qty"),
    "description": ("description", "comment", "beskrivning", "beskrivelse", "kommentar", "text"),
    "kind": ("kind", "type", "typ"),
    "item": ("item", "artikel", "vare"),
    "sales_price": ("sales_price", "rate", "price", "pris", "salgspris", "forsaljningspris"),
    "cost_price": ("cost_price", "cost", "kostpris"),
    "currency": ("currency", "valuta"),
    "line_property": ("line_property", "radegenskap", "linjeegenskab"),
}
REQUIRED_COLUMNS = ("entry_id", "date", "project", "category", "hours")
KINDS = ("hour", "expense", "item", "fee")
KIND_ALIASES = {
    "hour": "hour", "hours": "hour", "timme": "hour", "timmar": "hour", "time": "hour", "timer": "hour",
    "expense": "expense", "utlägg": "expense", "udlæg": "expense",
    "item": "item", "artikel": "item", "vare": "item",
    "fee": "fee", "avgift": "fee", "gebyr": "fee",
}  # fmt: skip
MAX_HOURS_PER_LINE = Decimal("24")
MAX_FILE_ROWS = 1_000_000
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d")
INVOICEABLE_TYPES = ("time_material", "fixed_price")

_SPACES = re.compile(r"[\s\u00a0\u202f']")


class TimesheetFileError(ValueError):
    """The file as a whole cannot be read (encoding, no header, missing columns)."""


# ------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------


# The encodings a file is read in, and how the batch names them to the clerk.
UTF_8 = "utf-8"
UTF_16 = "utf-16"
WINDOWS_1252 = "windows-1252"


def timesheet_decode(content: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in: UTF-8 (with or without BOM), UTF-16
    with its BOM (Excel's "Unicode text"), else Windows-1252, what Swedish and Danish Excel
    saves as "CSV (semicolon)". A file that is none of them is refused with advice."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, codec = UTF_16, "utf-16"
    else:
        encoding, codec = UTF_8, "utf-8-sig"
    try:
        text = content.decode(codec)
    except UnicodeDecodeError:
        try:
            encoding, text = WINDOWS_1252, content.decode("cp1252")
        except UnicodeDecodeError as error:
            raise TimesheetFileError(
                _(
                    "The file is neither UTF-8 nor Windows-1252 text (unreadable byte at "
                    "position %(position)s). Save it as 'CSV UTF-8' and upload it again."
                )
                % {"position": error.start}
            ) from error
    if "\0" in text:
        # No database stores a NUL in text, so it would fail the import later, not here.
        line = text.count("\n", 0, text.index("\0")) + 1
        raise TimesheetFileError(_csv_problem("NUL", line=line))
    return text, encoding


@dataclass
class TimesheetFile:
    header: list[str]  # canonical column names
    labels: dict[str, str]  # canonical name -> the name written in the file
    rows: list[list[str]]
    encoding: str = UTF_8


def timesheet_read(content: bytes) -> TimesheetFile:
    """Header (canonical column names, and as written) and data rows of a timesheet CSV file."""
    text, encoding = timesheet_decode(content)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise TimesheetFileError(
            _("The file is empty or its first line is blank: it needs a header row.")
        )
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    # strict: a quote that is opened and never closed is an error, not the rest of the file
    # swallowed into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = _records(reader)
    raw_header = next(records)
    header = columns_map(raw_header)
    rows = [row for row in records if "".join(row).strip()]  # blank lines are skipped
    if len(rows) > MAX_FILE_ROWS:
        raise TimesheetFileError(
            _("The file has %(count)s rows; at most %(limit)s rows can be imported at once.")
            % {"count": len(rows), "limit": MAX_FILE_ROWS}
        )
    labels = {column: raw.strip() for column, raw in zip(header, raw_header, strict=True)}
    return TimesheetFile(header=header, labels=labels, rows=rows, encoding=encoding)


def _records(reader):
    """The reader's records; a file the csv module cannot read is refused, naming the line
    where the unreadable record starts, never half read."""
    started = 1
    try:
        for record in reader:
            yield record
            started = reader.line_num + 1
    except csv.Error as error:
        raise TimesheetFileError(_csv_problem(str(error), line=started)) from error


def _csv_problem(problem: str, *, line: int) -> str:
    if "unexpected end of data" in problem or "expected after" in problem:
        return _(
            'Line %(line)s opens a quoted text (") that is not closed where it should be, so '
            "the lines after it would be read as one cell. Check the quotes on that line and "
            "upload the file again."
        ) % {"line": line}
    if "NUL" in problem:
        return _(
            "Line %(line)s contains a NUL character (a zero byte), which is not text. Export the "
            "file again as CSV and upload it."
        ) % {"line": line}
    if "field larger than field limit" in problem:
        return _(
            "Line %(line)s has a cell longer than %(limit)s characters, which no timesheet cell "
            "is; a quote is probably not closed. Check the quotes on that line."
        ) % {"line": line, "limit": csv.field_size_limit()}
    return _("Line %(line)s cannot be read as CSV (%(problem)s).") % {
        "line": line,
        "problem": problem,
    }


def _normalize(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


_ALIAS_TO_COLUMN = {
    alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases
}


def columns_map(raw_header: list[str]) -> list[str]:
    """Canonical names for a header row; refuses unknown, duplicate or missing columns."""
    header = []
    for position, name in enumerate(raw_header, start=1):
        column = _ALIAS_TO_COLUMN.get(_normalize(name))
        if column is None:
            raise TimesheetFileError(
                _(
                    "Column %(position)s, '%(name)s', is not a known column. Known columns: %(known)s."
                )
                % {"position": position, "name": name.strip(), "known": ", ".join(COLUMN_ALIASES)}
            )
        if column in header:
            raise TimesheetFileError(
                _("The column '%(name)s' appears twice in the header.") % {"name": column}
            )
        header.append(column)
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise TimesheetFileError(
            _("The header lacks the required column(s): %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    return header


def parse_decimal(text: str) -> Decimal | None:
    """A number written with a decimal comma or point, with or without thousands separators."""
    cleaned = _SPACES.sub("", text)
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    elif cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    elif cleaned.count(",") > 1:
        cleaned = cleaned.replace(",", "")
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_date(text: str) -> datetime.date | None:
    text = text.strip()
    if len(text) > 10 and text[10] in " T":
        text = text[:10]
    if len(text) == 10 and text[4] == "-":
        try:
            return datetime.date.fromisoformat(text)  # the common case, much faster than strptime
        except ValueError:
            return None
    for date_format in DATE_FORMATS[1:]:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None
