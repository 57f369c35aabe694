"""Bankgirot BgMax (Bankgiro Inbetalningar): the file of incoming bankgiro payments, read and
written. Pure: no ORM.

A BgMax file is lines of exactly 80 characters (ISO 8859-1), each a record whose first two
characters are its transaction code (TK). Positions below are 1-based and inclusive, as in
Bankgirot's technical manual; amounts are in öre, right-aligned and zero-filled.

==  =====================  ===============================================================
TK  record                 fields
==  =====================  ===============================================================
01  opening (start)        3-22 layout name ``BGMAX``, 23-24 version ``01``, 25-44 time stamp
                           (``YYYYMMDDHHMMSSffffff``), 45 ``T`` for a test file, else ``P``
05  deposit opening        3-12 payee bankgiro number, 13-22 plusgiro number, 23-25 currency
20  payment                3-12 payer's bankgiro number, 13-37 reference, 38-55 amount,
                           56 reference code, 57 payment channel, 58-69 BGC serial number,
                           70 image mark
21  deduction              as 20, and 71 deduction code
22  extra reference        as 20 (a further reference of the payment before it)
23  extra reference, neg.  as 20 (a reference deducted: a credit note)
25  information            3-52 free text (the payer's message)
26  name                   3-37 payer's name, 38-72 extra name
27  address 1              3-37 address, 38-46 post code
28  address 2              3-37 town, 38-72 country, 73-74 country code
29  organisation number    3-14 payer's organisation or personal identity number
15  deposit                3-37 payee's bank account, 38-45 payment date, 46-50 deposit
                           serial number, 51-68 deposit amount, 69-71 currency, 72-79 number
                           of payments (20 and 21), 80 deposit type
70  closing (end)          3-10 number of payment records (20), 11-18 of deduction records
                           (21), 19-26 of extra reference records (22 and 23), 27-34 of
                           deposit records (15)
==  =====================  ===============================================================

A deposit is 05, its payments (each 20 or 21 followed by its 22-29 records), then 15. The
deposit amount is the payments less the deductions. The reader checks every length, code,
amount, date, currency and count, and names the line of the first thing wrong.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from invoicing.receivables.bank_files.statement import (
    KIND_BGMAX,
    BankFileError,
    BankPayment,
    ParsedBankFile,
)

RECORD_LENGTH = 80
LAYOUT_NAME = "BGMAX"
VERSION = "01"
#: Bankgirot sends BgMax deposits in Swedish kronor, and in euro for a euro bankgiro account.
CURRENCIES = ("SEK", "EUR")
OERE = Decimal("100")
CENT = Decimal("0.01")

WRONG_LENGTH = _(
    "a BgMax record has exactly 80 characters, this one has %(length)s. The file may have "
    "been edited or cut; ask the bank for the file again."
)
EMPTY_LINE = _("the line is empty; a BgMax file has no empty lines between its records.")
NOT_BGMAX = _("the file does not start with a BgMax opening record (01BGMAX).")
WRONG_VERSION = _("BgMax version %(version)s is not known; version 01 can be read.")
UNKNOWN_RECORD = _("record type %(code)s is not a BgMax record.")
UNKNOWN_CURRENCY = _("the currency %(currency)s is not one BgMax pays in (SEK or EUR).")
NOT_A_NUMBER = _("%(field)s must be digits, not %(value)s.")
NOT_A_DATE = _("%(value)s is not a date (YYYYMMDD).")
OUT_OF_PLACE = _("a %(record)s record cannot come here: %(expected)s.")
DEPOSIT_TOTAL_WRONG = _(
    "the deposit record says %(stated)s %(currency)s, but its payments less deductions add up to "
    "%(counted)s %(currency)s."
)
DEPOSIT_COUNT_WRONG = _(
    "the deposit record says %(stated)s payments, but the deposit has %(counted)s."
)
DEPOSIT_CURRENCY_WRONG = _(
    "the deposit record is in %(closing)s but the deposit was opened in %(opening)s."
)
CLOSING_COUNT_WRONG = _(
    "the closing record counts %(stated)s %(what)s, but the file has %(counted)s."
)
NO_CLOSING = _(
    "the file ends without its closing record (70): it is incomplete; ask the bank for the "
    "whole file."
)
AFTER_CLOSING = _("there is a record after the closing record (70).")
DEPOSIT_NOT_CLOSED = _("the deposit opened on line %(opened)s has no deposit record (15).")

RECORD_NAMES = {
    "01": _("opening"),
    "05": _("deposit opening"),
    "15": _("deposit"),
    "20": _("payment"),
    "21": _("deduction"),
    "22": _("extra reference"),
    "23": _("extra reference"),
    "25": _("information"),
    "26": _("name"),
    "27": _("address"),
    "28": _("address"),
    "29": _("organisation number"),
    "70": _("closing"),
}
PAYMENT_DETAIL_CODES = ("22", "23", "25", "26", "27", "28", "29")


def _field(record: str, first: int, last: int) -> str:
    """Positions ``first``..``last`` (1-based, inclusive), spaces stripped."""
    return record[first - 1 : last].strip()


def _number(record: str, first: int, last: int, what, line: int) -> int:
    value = record[first - 1 : last]
    if not value.isascii() or not value.isdigit():
        raise BankFileError(NOT_A_NUMBER % {"field": what, "value": repr(value)}, line=line)
    return int(value)


def _date(record: str, first: int, last: int, line: int) -> datetime.date:
    value = record[first - 1 : last]
    try:
        return datetime.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise BankFileError(NOT_A_DATE % {"value": repr(value)}, line=line) from None


def _bankgiro(value: str) -> str:
    """A bankgiro number without the zeros it is filled with ('' when none is given)."""
    return value.lstrip("0")


def _decode(content: bytes) -> str:
    """BgMax is ISO 8859-1; a file saved again as UTF-8 is read as such."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("iso-8859-1")


def _lines(content: bytes) -> list[tuple[int, str]]:
    """(line number, record) pairs; the line breaks (CR, LF) and the empty lines at the end
    are not part of any record."""
    text = _decode(content).lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return list(enumerate(lines, start=1))


@dataclass
class _Payment:
    line: int
    code: str
    payer_account: str
    reference: str
    amount: Decimal
    reference_code: str
    serial: str
    references: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    street: str = ""
    town: list[str] = field(default_factory=list)
    organization_number: str = ""

    @property
    def address(self) -> str:
        return ", ".join(
            part for part in (self.street, " ".join(p for p in self.town if p)) if part
        )


@dataclass
class _Deposit:
    line: int
    bankgiro: str
    currency: str
    payments: list[_Payment] = field(default_factory=list)


def bgmax_parse(content: bytes) -> ParsedBankFile:
    """Read a BgMax file into its payments (deductions marked ``is_deduction``); raises
    ``BankFileError`` naming the line of the first thing wrong.

    Each payment's bank reference is ``BGMAX-<payee bankgiro>-<payment date>-<BGC serial
    number>``: Bankgirot's serial number is the payment's own, so the same payment in a second
    file has the same reference. Its references are the one on the payment record (when the
    payer gave one) and those of its extra reference records (22); its texts are the
    information records (25) and the references deducted (23)."""
    lines = _lines(content)
    if not lines or not lines[0][1].startswith("01"):
        raise BankFileError(NOT_BGMAX, line=1)
    for number, record in lines:
        if not record:
            raise BankFileError(EMPTY_LINE, line=number)
        if len(record) != RECORD_LENGTH:
            raise BankFileError(WRONG_LENGTH % {"length": len(record)}, line=number)
        if record[:2] not in RECORD_NAMES:
            raise BankFileError(UNKNOWN_RECORD % {"code": repr(record[:2])}, line=number)

    _number_line, opening = lines[0]
    if _field(opening, 3, 22) != LAYOUT_NAME:
        raise BankFileError(NOT_BGMAX, line=1)
    if _field(opening, 23, 24) != VERSION:
        raise BankFileError(WRONG_VERSION % {"version": _field(opening, 23, 24)}, line=1)
    created_at = None
    stamp = _field(opening, 25, 44)
    if stamp:
        try:
            created_at = datetime.datetime.strptime(stamp[:14], "%Y%m%d%H%M%S")
        except ValueError:
            raise BankFileError(NOT_A_DATE % {"value": repr(stamp)}, line=1) from None

    payments: list[BankPayment] = []
    deposit: _Deposit | None = None
    counted = {"20": 0, "21": 0, "extra": 0, "15": 0}
    closed = False
    for number, record in lines[1:]:
        code = record[:2]
        if closed:
            raise BankFileError(AFTER_CLOSING, line=number)
        if code == "01":
            raise BankFileError(
                OUT_OF_PLACE
                % {
                    "record": RECORD_NAMES[code],
                    "expected": _("only the first line opens the file"),
                },
                line=number,
            )
        if code == "05":
            if deposit is not None:
                raise BankFileError(DEPOSIT_NOT_CLOSED % {"opened": deposit.line}, line=number)
            currency = _field(record, 23, 25)
            if currency not in CURRENCIES:
                raise BankFileError(UNKNOWN_CURRENCY % {"currency": repr(currency)}, line=number)
            deposit = _Deposit(
                line=number,
                bankgiro=_bankgiro(
                    str(_number(record, 3, 12, _("The payee's bankgiro number"), number))
                ),
                currency=currency,
            )
        elif code == "70":
            if deposit is not None:
                raise BankFileError(DEPOSIT_NOT_CLOSED % {"opened": deposit.line}, line=number)
            _closing_check(record, counted, number)
            closed = True
        elif deposit is None:
            raise BankFileError(
                OUT_OF_PLACE
                % {
                    "record": RECORD_NAMES[code],
                    "expected": _("a deposit opening record (05) comes first"),
                },
                line=number,
            )
        elif code in ("20", "21"):
            counted[code] += 1
            deposit.payments.append(
                _Payment(
                    line=number,
                    code=code,
                    payer_account=_bankgiro(_field(record, 3, 12)),
                    reference=_field(record, 13, 37),
                    amount=(
                        Decimal(_number(record, 38, 55, _("The amount"), number)) / OERE
                    ).quantize(CENT),
                    reference_code=record[55],
                    serial=_field(record, 58, 69),
                )
            )
        elif code in PAYMENT_DETAIL_CODES:
            if not deposit.payments:
                raise BankFileError(
                    OUT_OF_PLACE
                    % {
                        "record": RECORD_NAMES[code],
                        "expected": _("a payment record (20 or 21) comes first"),
                    },
                    line=number,
                )
            _detail_read(deposit.payments[-1], record, number)
            if code in ("22", "23"):
                counted["extra"] += 1
        elif code == "15":
            counted["15"] += 1
            payments.extend(_deposit_close(deposit, record, number))
            deposit = None
    if deposit is not None:
        raise BankFileError(DEPOSIT_NOT_CLOSED % {"opened": deposit.line}, line=deposit.line)
    if not closed:
        raise BankFileError(NO_CLOSING, line=lines[-1][0])
    return ParsedBankFile(
        kind=KIND_BGMAX,
        identifier=stamp,
        created_at=created_at,
        payments=tuple(payments),
        is_test=opening[44] == "T",
    )


def _detail_read(payment: _Payment, record: str, line: int) -> None:
    code = record[:2]
    if code == "22":
        _number(record, 38, 55, _("The amount"), line)
        if reference := _field(record, 13, 37):
            payment.references.append(reference)
    elif code == "23":
        _number(record, 38, 55, _("The amount"), line)
        if reference := _field(record, 13, 37):
            payment.texts.append(reference)
    elif code == "25":
        if text := _field(record, 3, 52):
            payment.texts.append(text)
    elif code == "26":
        payment.names.extend(
            part for part in (_field(record, 3, 37), _field(record, 38, 72)) if part
        )
    elif code == "27":
        payment.street = _field(record, 3, 37)
        payment.town.insert(0, _field(record, 38, 46))  # the post code, before the town
    elif code == "28":
        payment.town.extend(p for p in (_field(record, 3, 37), _field(record, 38, 72)) if p)
    elif code == "29":
        payment.organization_number = _field(record, 3, 14).lstrip("0")


def _deposit_close(deposit: _Deposit, record: str, line: int) -> list[BankPayment]:
    """Check the deposit record (15) against the deposit's payments and turn them into
    ``BankPayment``s dated the deposit's payment date."""
    booked_on = _date(record, 38, 45, line)
    stated = (Decimal(_number(record, 51, 68, _("The deposit amount"), line)) / OERE).quantize(CENT)
    currency = _field(record, 69, 71)
    if currency not in CURRENCIES:
        raise BankFileError(UNKNOWN_CURRENCY % {"currency": repr(currency)}, line=line)
    if currency != deposit.currency:
        raise BankFileError(
            DEPOSIT_CURRENCY_WRONG % {"closing": currency, "opening": deposit.currency}, line=line
        )
    count = _number(record, 72, 79, _("The number of payments"), line)
    if count != len(deposit.payments):
        raise BankFileError(
            DEPOSIT_COUNT_WRONG % {"stated": count, "counted": len(deposit.payments)}, line=line
        )
    total = sum((-p.amount if p.code == "21" else p.amount for p in deposit.payments), Decimal(0))
    if total != stated:
        raise BankFileError(
            DEPOSIT_TOTAL_WRONG
            % {"stated": f"{stated:.2f}", "counted": f"{total:.2f}", "currency": currency},
            line=line,
        )
    return [
        BankPayment(
            bank_reference=f"BGMAX-{deposit.bankgiro}-{booked_on:%Y%m%d}-{payment.serial or payment.line}",
            amount=payment.amount,
            currency=currency,
            booked_on=booked_on,
            payer_name=" ".join(payment.names),
            payer_account=payment.payer_account,
            payer_address=payment.address,
            payer_organization_number=payment.organization_number,
            # Reference codes 0 and 1: the payer gave none (the field may hold noise).
            references=tuple(
                (
                    [payment.reference]
                    if payment.reference and payment.reference_code not in "01"
                    else []
                )
                + payment.references
            ),
            texts=tuple(payment.texts),
            payee_account=deposit.bankgiro,
            is_deduction=payment.code == "21",
            line=payment.line,
        )
        for payment in deposit.payments
    ]


def _closing_check(record: str, counted: dict[str, int], line: int) -> None:
    for first, last, key, what in (
        (3, 10, "20", _("payment records (20)")),
        (11, 18, "21", _("deduction records (21)")),
        (19, 26, "extra", _("extra reference records (22, 23)")),
        (27, 34, "15", _("deposit records (15)")),
    ):
        stated = _number(record, first, last, what, line)
        if stated != counted[key]:
            raise BankFileError(
                CLOSING_COUNT_WRONG % {"stated": stated, "what": what, "counted": counted[key]},
                line=line,
            )


# Writing: the demo and the tests make the files a bank would send.


@dataclass(frozen=True)
class BgMaxPaymentOut:
    """One payment (or, ``is_deduction``, a deduction) to write into a deposit."""

    amount: Decimal
    reference: str = ""
    serial: str = ""
    payer_bankgiro: str = ""
    payer_name: str = ""
    payer_address: str = ""
    payer_post_code: str = ""
    payer_town: str = ""
    payer_organization_number: str = ""
    extra_references: tuple[str, ...] = ()
    information: tuple[str, ...] = ()
    is_deduction: bool = False


@dataclass(frozen=True)
class BgMaxDepositOut:
    bankgiro: str
    payment_date: datetime.date
    payments: tuple[BgMaxPaymentOut, ...]
    currency: str = "SEK"
    bank_account: str = ""
    serial: int = 1


def _record(*parts: tuple[int, str]) -> str:
    """An 80-character record from (position, text) pairs."""
    record = [" "] * RECORD_LENGTH
    for position, text in parts:
        record[position - 1 : position - 1 + len(text)] = list(text)
    return "".join(record[:RECORD_LENGTH])


def _oere(amount: Decimal, width: int = 18) -> str:
    return str(int((amount * OERE).to_integral_value())).zfill(width)


def bgmax_write(
    deposits: list[BgMaxDepositOut], *, created_at: datetime.datetime, is_test: bool = False
) -> bytes:
    """A BgMax file (ISO 8859-1, CR LF line ends) with these deposits, its counts and totals
    right. Payments without a serial number get one running through the file."""
    lines = [
        _record(
            (1, "01"),
            (3, LAYOUT_NAME.ljust(20)),
            (23, VERSION),
            (25, created_at.strftime("%Y%m%d%H%M%S%f")),
            (45, "T" if is_test else "P"),
        )
    ]
    counts = {"20": 0, "21": 0, "extra": 0, "15": 0}
    serial = 0
    for deposit in deposits:
        lines.append(_record((1, "05"), (3, deposit.bankgiro.zfill(10)), (23, deposit.currency)))
        total = Decimal(0)
        for payment in deposit.payments:
            serial += 1
            code = "21" if payment.is_deduction else "20"
            counts[code] += 1
            total += -payment.amount if payment.is_deduction else payment.amount
            fields = [
                (1, code),
                (3, payment.payer_bankgiro.zfill(10)),
                (13, payment.reference[:25].ljust(25)),
                (38, _oere(payment.amount)),
                (56, "2" if payment.reference else "1"),
                (57, "1"),
                (58, (payment.serial or str(serial)).zfill(12)),
                (70, "0"),
            ]
            if payment.is_deduction:
                fields.append((71, "0"))
            lines.append(_record(*fields))
            for reference in payment.extra_references:
                counts["extra"] += 1
                lines.append(
                    _record(
                        (1, "22"),
                        (3, "0" * 10),
                        (13, reference[:25].ljust(25)),
                        (38, _oere(Decimal(0))),
                        (56, "2"),
                        (57, "1"),
                        (58, "0" * 12),
                        (70, "0"),
                    )  # fmt: skip
                )
            for text in payment.information:
                lines.append(_record((1, "25"), (3, text[:50])))
            if payment.payer_name:
                lines.append(_record((1, "26"), (3, payment.payer_name[:35])))
            if payment.payer_address or payment.payer_post_code:
                lines.append(
                    _record(
                        (1, "27"),
                        (3, payment.payer_address[:35]),
                        (38, payment.payer_post_code[:9]),
                    )
                )
            if payment.payer_town:
                lines.append(_record((1, "28"), (3, payment.payer_town[:35])))
            if payment.payer_organization_number:
                lines.append(_record((1, "29"), (3, payment.payer_organization_number.zfill(12))))
        counts["15"] += 1
        lines.append(
            _record(
                (1, "15"),
                (3, deposit.bank_account[:35]),
                (38, deposit.payment_date.strftime("%Y%m%d")),
                (46, str(deposit.serial).zfill(5)),
                (51, _oere(total)),
                (69, deposit.currency),
                (72, str(len(deposit.payments)).zfill(8)),
                (80, "K"),
            )
        )
    lines.append(
        _record(
            (1, "70"),
            (3, str(counts["20"]).zfill(8)),
            (11, str(counts["21"]).zfill(8)),
            (19, str(counts["extra"]).zfill(8)),
            (27, str(counts["15"]).zfill(8)),
        )
    )
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")
