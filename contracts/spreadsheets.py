"""Lists as files a Nordic office opens: CSV in the reader's convention (sv/da ``;`` with a
decimal comma, en ``,`` with a point; UTF-8 with BOM so Excel reads å, ä, ö) and XLSX with real
number and date cells. Text a spreadsheet would run as a formula is kept as text in both.

Pure: columns and rows in, bytes out; the views choose the rows and the language."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from contracts.numbers import language_code

# A spreadsheet runs a text cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

TEXT, DATE, MONEY, NUMBER, INTEGER = "text", "date", "money", "number", "integer"
_NUMBER_FORMATS = {MONEY: "#,##0.00", NUMBER: "#,##0.####", INTEGER: "0", DATE: "yyyy-mm-dd"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[object], object]  # the row's value for this column
    kind: str = TEXT


def spreadsheet_safe(value):
    """Text that a spreadsheet will show as text: a leading formula character gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_convention(language: str | None) -> tuple[str, str]:
    """(field delimiter, decimal mark) Excel expects in ``language``'s regional settings."""
    return (",", ".") if language_code(language) == "en" else (";", ",")


def _csv_cell(value, kind: str, decimal: str) -> str:
    if value is None:
        return ""
    if kind in (MONEY, NUMBER, INTEGER) and isinstance(value, Decimal | int):
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        return text.replace(".", decimal)  # no grouping: Excel reads 1234,50 as a number
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return spreadsheet_safe(str(value))


def table_csv(columns: list[Column], rows: Iterable, *, language: str | None) -> bytes:
    delimiter, decimal = csv_convention(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([str(column.label) for column in columns])
    for row in rows:
        writer.writerow([_csv_cell(c.value(row), c.kind, decimal) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_cell(sheet, value, kind: str):
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).replace(tzinfo=None)
    elif value is not None and kind == TEXT and not isinstance(value, str):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    elif kind in _NUMBER_FORMATS:
        cell.number_format = _NUMBER_FORMATS[kind]
    return cell


def table_xlsx(columns: list[Column], rows: Iterable, *, title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, c.value(row), c.kind) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_response(
    columns: list[Column], rows: Iterable, *, file_format: str, name: str, language: str | None
) -> HttpResponse:
    """The rows as a download: ``file_format`` "xlsx" or "csv" (anything else is CSV)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "xlsx":
        response = HttpResponse(table_xlsx(columns, rows, title=name), content_type=XLSX_TYPE)
        extension = "xlsx"
    else:
        body = table_csv(columns, rows, language=language)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        extension = "csv"
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{extension}"'
    return response
