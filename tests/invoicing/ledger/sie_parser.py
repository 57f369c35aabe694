"""A small SIE 4 reader for the tests: it reads our files back the way an accounting program
would (code page 437, quoted fields with ``\\"``, vouchers in braces) and checks each record's
syntax, independently of the writer."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

TOKEN = re.compile(r'"((?:\\.|[^"\\])*)"|(\{\})|(\S+)')


def fields(line: str) -> list[str]:
    found = []
    for quoted, braces, plain in TOKEN.findall(line):
        if braces:
            found.append("{}")
        elif plain:
            found.append(plain)
        else:
            found.append(quoted.replace('\\"', '"'))
    return found


@dataclass
class ParsedVoucher:
    series: str
    number: int
    date: datetime.date
    text: str
    transactions: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass
class ParsedSie:
    labels: dict[str, list[str]] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    vouchers: list[ParsedVoucher] = field(default_factory=list)


def parse(data: bytes) -> ParsedSie:
    text = data.decode("cp437")
    assert "\r\n" in text and not text.replace("\r\n", "").count("\n"), "lines end in CR LF"
    result = ParsedSie()
    current: ParsedVoucher | None = None
    inside = False
    for line in text.split("\r\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped == "{":
            assert current is not None and not inside
            inside = True
            continue
        if stripped == "}":
            assert inside
            inside, current = False, None
            continue
        label, *rest = fields(stripped)
        if label == "#VER":
            series, number, date, voucher_text, *_registered = rest
            current = ParsedVoucher(
                series, int(number), datetime.datetime.strptime(date, "%Y%m%d").date(), voucher_text
            )
            result.vouchers.append(current)
        elif label == "#TRANS":
            assert inside, "#TRANS outside a voucher"
            account, objects, amount, *_more = rest
            assert objects == "{}"
            assert re.fullmatch(r"-?\d+\.\d{2}", amount), amount
            current.transactions.append((account, Decimal(amount)))
        elif label == "#KONTO":
            number, name = rest
            result.accounts[number] = name
        else:
            result.labels[label] = rest
    assert not inside
    return result
