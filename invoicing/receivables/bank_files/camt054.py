"""ISO 20022 camt.054 (Bank-to-Customer Debit/Credit Notification): the payments booked to an
account, read with lxml. Pure: no ORM.

Any version of the message is read (``urn:iso:std:iso:20022:tech:xsd:camt.054.001.NN``; the
elements read are the same in 02 and 08, except where noted):

- ``BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId`` and ``CreDtTm``: the file's identifier and time;
- ``Ntfctn/Acct/Id/IBAN`` (or ``Othr/Id``): the account paid into;
- each ``Ntfctn/Ntry``: ``Amt/@Ccy``, ``CdtDbtInd`` (only ``CRDT`` entries are payments;
  debits are left out and noted), ``BookgDt/Dt`` (or ``DtTm``), else ``ValDt``;
  ``AcctSvcrRef``;
- each ``NtryDtls/TxDtls`` of an entry is one payment: its amount ``Amt`` (08) or
  ``AmtDtls/TxAmt/Amt`` (02; else the entry's amount when it is the only one), its bank
  reference ``Refs/AcctSvcrRef``, else ``Refs/EndToEndId`` (unless ``NOTPROVIDED``), else the
  entry's ``AcctSvcrRef`` and the transaction's position; the references
  ``RmtInf/Strd/CdtrRefInf/Ref`` (OCR, FIK, RF creditor reference), the free text
  ``RmtInf/Ustrd``, the payer ``RltdPties/Dbtr/Nm`` (02) or ``RltdPties/Dbtr/Pty/Nm`` (08) and
  its account ``RltdPties/DbtrAcct/Id/IBAN``. An entry without details is one payment.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from lxml import etree

from contracts.money import is_valid_currency
from invoicing.receivables.bank_files.statement import (
    KIND_CAMT054,
    BankFileError,
    BankPayment,
    ParsedBankFile,
)

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.054\.001\.(\d{2})$")
NOT_XML = _("the file is not well-formed XML (%(error)s).")
WRONG_NAMESPACE = _(
    "this XML is not a camt.054 notification: its namespace is %(namespace)s, not "
    "urn:iso:std:iso:20022:tech:xsd:camt.054.001.NN."
)
NO_NOTIFICATION = _("the message has no notification (Ntfctn).")
MISSING = _("entry %(entry)s has no %(element)s.")
BAD_AMOUNT = _("entry %(entry)s: %(value)s is not an amount.")
UNKNOWN_CURRENCY = _("entry %(entry)s: the currency %(currency)s is not known.")
BAD_DATE = _("entry %(entry)s: %(value)s is not a date.")
DEBITS_LEFT_OUT = (
    "%(count)s debit entry (money paid out) was left out.",
    "%(count)s debit entries (money paid out) were left out.",
)
NOT_BOOKED_LEFT_OUT = (
    "%(count)s entry not yet booked by the bank was left out.",
    "%(count)s entries not yet booked by the bank were left out.",
)


class _Reader:
    def __init__(self, namespace: str):
        self.ns = {"c": namespace}

    def all(self, element, path: str) -> list:
        return element.xpath(self._path(path), namespaces=self.ns)

    def one(self, element, path: str):
        found = self.all(element, path)
        return found[0] if found else None

    def text(self, element, path: str) -> str:
        found = self.one(element, path)
        return (found.text or "").strip() if found is not None else ""

    @staticmethod
    def _path(path: str) -> str:
        return "/".join(f"c:{step}" if step[0].isalpha() else step for step in path.split("/"))


def _amount(element, entry: str, line: int) -> tuple[Decimal, str]:
    try:
        amount = Decimal((element.text or "").strip())
    except InvalidOperation:
        raise BankFileError(
            BAD_AMOUNT % {"entry": entry, "value": repr(element.text)}, line=line
        ) from None
    currency = element.get("Ccy", "")
    if not is_valid_currency(currency):
        raise BankFileError(
            UNKNOWN_CURRENCY % {"entry": entry, "currency": repr(currency)}, line=line
        )
    if not amount.is_finite() or amount <= 0:
        raise BankFileError(BAD_AMOUNT % {"entry": entry, "value": repr(element.text)}, line=line)
    return amount, currency


def _date(value: str, entry: str, line: int) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise BankFileError(BAD_DATE % {"entry": entry, "value": repr(value)}, line=line) from None


def camt054_parse(content: bytes) -> ParsedBankFile:
    """Read a camt.054 notification into its credit payments; debits and entries not booked
    are left out (and said so in ``notes``). Raises ``BankFileError`` for XML that is not
    well-formed, another namespace, an entry without amount or date, or an unknown currency."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise BankFileError(NOT_XML % {"error": error.msg}, line=error.lineno or 0) from None
    namespace = etree.QName(root).namespace or ""
    if not NAMESPACE.match(namespace):
        raise BankFileError(
            WRONG_NAMESPACE % {"namespace": repr(namespace or "none")}, line=root.sourceline or 0
        )
    read = _Reader(namespace)
    message = read.one(root, "BkToCstmrDbtCdtNtfctn")
    if message is None or not read.all(message, "Ntfctn"):
        raise BankFileError(NO_NOTIFICATION)
    identifier = read.text(message, "GrpHdr/MsgId")
    created = read.text(message, "GrpHdr/CreDtTm")
    try:
        created_at = datetime.datetime.fromisoformat(created) if created else None
    except ValueError:
        created_at = None
    payments: list[BankPayment] = []
    debits = not_booked = 0
    entry_number = 0
    for notification in read.all(message, "Ntfctn"):
        account = read.text(notification, "Acct/Id/IBAN") or read.text(
            notification, "Acct/Id/Othr/Id"
        )
        for entry in read.all(notification, "Ntry"):
            entry_number += 1
            label = str(entry_number)
            line = entry.sourceline or 0
            amount_element = read.one(entry, "Amt")
            if amount_element is None:
                raise BankFileError(MISSING % {"entry": label, "element": "Amt"}, line=line)
            entry_amount, entry_currency = _amount(amount_element, label, line)
            if read.text(entry, "CdtDbtInd") != "CRDT":
                debits += 1
                continue
            status = read.text(entry, "Sts") or read.text(entry, "Sts/Cd")
            if status and status != "BOOK":
                not_booked += 1
                continue
            day = (
                read.text(entry, "BookgDt/Dt")
                or read.text(entry, "BookgDt/DtTm")
                or read.text(entry, "ValDt/Dt")
                or read.text(entry, "ValDt/DtTm")
            )
            if not day:
                raise BankFileError(MISSING % {"entry": label, "element": "BookgDt"}, line=line)
            booked_on = _date(day, label, line)
            entry_reference = read.text(entry, "AcctSvcrRef") or read.text(entry, "NtryRef")
            details = read.all(entry, "NtryDtls/TxDtls")
            for position, detail in enumerate(details or [entry], start=1):
                payment = _payment(
                    read, detail, is_entry=not details, only=len(details) <= 1,
                    entry_amount=(entry_amount, entry_currency), label=f"{label}.{position}",
                    booked_on=booked_on, account=account,
                    # The entry's own bank reference is the same in every file that reports it.
                    fallback_reference=(
                        f"{entry_reference}/{position}"
                        if entry_reference
                        else f"{identifier}/{label}/{position}"
                    ),
                )  # fmt: skip
                if payment is not None:
                    payments.append(payment)
                else:
                    debits += 1
    notes = []
    if debits:
        notes.append(ngettext(*DEBITS_LEFT_OUT, debits) % {"count": debits})
    if not_booked:
        notes.append(ngettext(*NOT_BOOKED_LEFT_OUT, not_booked) % {"count": not_booked})
    return ParsedBankFile(
        kind=KIND_CAMT054,
        identifier=identifier,
        created_at=created_at,
        payments=tuple(payments),
        notes=tuple(notes),
    )


def _payment(
    read: _Reader, detail, *, is_entry, only, entry_amount, label, booked_on, account,
    fallback_reference,
) -> BankPayment | None:  # fmt: skip
    line = detail.sourceline or 0
    if not is_entry and read.text(detail, "CdtDbtInd") == "DBIT":
        return None
    amount_element = None
    # An element without children is false in lxml: compare with None.
    for path in () if is_entry else ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        amount_element = read.one(detail, path)
        if amount_element is not None:
            break
    if amount_element is not None:
        amount, currency = _amount(amount_element, label, line)
    elif only:
        amount, currency = entry_amount
    else:
        raise BankFileError(MISSING % {"entry": label, "element": "Amt"}, line=line)
    end_to_end = read.text(detail, "Refs/EndToEndId")
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    bank_reference = (
        (not is_entry and read.text(detail, "Refs/AcctSvcrRef")) or end_to_end or fallback_reference
    )
    references = tuple(
        (element.text or "").strip()
        for element in read.all(detail, "RmtInf/Strd/CdtrRefInf/Ref")
        if (element.text or "").strip()
    )
    texts = tuple(
        (element.text or "").strip()
        for element in read.all(detail, "RmtInf/Ustrd") + read.all(detail, "AddtlTxInf")
        if (element.text or "").strip()
    )
    payer = read.text(detail, "RltdPties/Dbtr/Nm") or read.text(detail, "RltdPties/Dbtr/Pty/Nm")
    payer_account = read.text(detail, "RltdPties/DbtrAcct/Id/IBAN") or read.text(
        detail, "RltdPties/DbtrAcct/Id/Othr/Id"
    )
    return BankPayment(
        bank_reference=bank_reference[:100],
        amount=amount,
        currency=currency,
        booked_on=booked_on,
        payer_name=payer,
        payer_account=payer_account,
        references=references,
        texts=texts,
        payee_account=account,
        line=line,
    )
