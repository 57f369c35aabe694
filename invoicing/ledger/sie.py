"""SIE 4 files of type 4I (vouchers for import into an accounting system): the journal of a
legal entity for a period, as Swedish accounting programs (Fortnox, Visma, ...) read it. Pure:
dataclasses in, bytes out.

The format, as the SIE specification (SIE-gruppen, version 4B) lays it down:

- one record per line (CR LF), a label starting with ``#`` and fields separated by spaces;
- a field holding spaces (or nothing) is written in double quotes; a double quote inside it
  is written ``\\"``; control characters are not allowed;
- the file is in code page 437 (``#FORMAT PC8``), so å, ä, ö, Å, Ä, Ö and é fit; a character
  outside it is written as ``?``;
- amounts have a point as decimal separator and at most two decimals, a credit is negative;
  dates are ``YYYYMMDD``;
- a voucher is ``#VER series number date "text" registration-date`` followed by its
  transactions between ``{`` and ``}`` on their own lines, each ``#TRANS account {} amount``
  (the ``{}`` is the empty object list: no cost centres or projects); the transactions of a
  voucher add up to zero.

The header: ``#FLAGGA 0`` (not yet imported), ``#PROGRAM``, ``#FORMAT PC8``, ``#GEN`` (date and
who), ``#SIETYP 4``, ``#FNAMN`` (company name), ``#ORGNR``, ``#RAR 0`` (the financial year the
vouchers belong to), ``#VALUTA``, and ``#KONTO`` with the name of every account used.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

ENCODING = "cp437"


@dataclass(frozen=True)
class SieTransaction:
    account: str
    amount: Decimal


@dataclass(frozen=True)
class SieVoucher:
    series: str
    number: int
    date: datetime.date
    text: str
    transactions: tuple[SieTransaction, ...]
    registered_on: datetime.date | None = None


@dataclass(frozen=True)
class SieCompany:
    name: str
    organization_number: str
    currency: str
    fiscal_year_start: datetime.date
    fiscal_year_end: datetime.date


def sie_quote(text: str) -> str:
    """A text field: in double quotes, inner quotes as ``\\"``, control characters left out."""
    cleaned = "".join(char for char in str(text) if ord(char) >= 32 and ord(char) != 127)
    return '"' + cleaned.replace("\\", "/").replace('"', '\\"') + '"'


def sie_field(text: str) -> str:
    """A field that is quoted only when it must be (spaces, quotes, or empty)."""
    text = str(text)
    if not text or any(char in text for char in ' "\t{}'):
        return sie_quote(text)
    return text


def sie_amount(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(Decimal('0.01')):f}"


def sie_date(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


class SieUnbalanced(ValueError):
    """A voucher whose transactions do not add up to zero cannot be written."""


def sie_write(
    *,
    company: SieCompany,
    accounts: Sequence[tuple[str, str]],
    vouchers: Sequence[SieVoucher],
    generated_on: datetime.date,
    generated_by: str = "",
    program: tuple[str, str] = ("Project billing", "1.0"),
) -> bytes:
    """The SIE 4I file of ``vouchers``. ``accounts`` are (number, name) of every account the
    vouchers use. Raises ``SieUnbalanced`` naming the voucher that does not add up to zero."""
    lines = [
        "#FLAGGA 0",
        f"#PROGRAM {sie_quote(program[0])} {sie_field(program[1])}",
        "#FORMAT PC8",
        f"#GEN {sie_date(generated_on)}" + (f" {sie_quote(generated_by)}" if generated_by else ""),
        "#SIETYP 4",
        f"#FNAMN {sie_quote(company.name)}",
    ]
    if company.organization_number:
        lines.append(f"#ORGNR {sie_field(company.organization_number)}")
    lines.append(
        f"#RAR 0 {sie_date(company.fiscal_year_start)} {sie_date(company.fiscal_year_end)}"
    )
    lines.append(f"#VALUTA {company.currency}")
    for number, name in sorted(accounts):
        lines.append(f"#KONTO {number} {sie_quote(name)}")
    for voucher in vouchers:
        total = sum((transaction.amount for transaction in voucher.transactions), Decimal("0"))
        if total != 0:
            raise SieUnbalanced(
                f"Voucher {voucher.series}{voucher.number} adds up to {total}, not zero."
            )
        registered = voucher.registered_on or voucher.date
        lines.append(
            f"#VER {sie_field(voucher.series)} {voucher.number} {sie_date(voucher.date)} "
            f"{sie_quote(voucher.text)} {sie_date(registered)}"
        )
        lines.append("{")
        for transaction in voucher.transactions:
            lines.append(f"   #TRANS {transaction.account} {{}} {sie_amount(transaction.amount)}")
        lines.append("}")
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING, errors="replace")
