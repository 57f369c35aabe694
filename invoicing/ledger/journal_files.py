"""The journal as a spreadsheet for systems that do not read SIE: CSV (UTF-8 with a byte
order mark, semicolon-separated, so Excel opens it in Nordic locales) and XLSX (openpyxl).
One row per voucher line. Pure: dataclasses in, bytes out."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook


@dataclass(frozen=True)
class JournalRow:
    voucher: str
    date: datetime.date
    kind: str
    text: str
    account: str
    account_name: str
    amount: Decimal
    currency: str
    currency_amount: Decimal | None
    vat_category: str
    vat_rate: Decimal | None
    document: str

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


def _values(row: JournalRow) -> list:
    return [
        row.voucher,
        row.date,
        row.kind,
        row.text,
        row.account,
        row.account_name,
        row.debit,
        row.credit,
        row.currency,
        row.currency_amount,
        row.vat_category,
        row.vat_rate,
        row.document,
    ]


def journal_csv(*, header: Sequence[str], rows: Sequence[JournalRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ""
            if value is None
            else value.isoformat()
            if isinstance(value, datetime.date)
            else value
            for value in _values(row)
        )
    return buffer.getvalue().encode("utf-8-sig")


def journal_xlsx(*, header: Sequence[str], rows: Sequence[JournalRow], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        values = _values(row)
        sheet.append(values)
    for row_cells in sheet.iter_rows(min_row=2):
        row_cells[1].number_format = "yyyy-mm-dd"
        for index in (6, 7, 9):
            row_cells[index].number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
