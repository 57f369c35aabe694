"""ISO 20022 camt.054: versions 02 and 08 read alike; debits are left out and said so; broken
XML, another message and an unknown currency are refused with the line."""

import datetime
from decimal import Decimal

import pytest

from invoicing.receivables.bank_files.camt054 import camt054_parse
from invoicing.receivables.bank_files.statement import BankFileError
from tests.invoicing.receivables.bank_files.test_bgmax import read

D = Decimal


def test_version_02_credits_with_ocr_and_free_text_debit_left_out():
    parsed = camt054_parse(read("camt054_v02.xml"))
    assert parsed.kind == "camt054"
    assert parsed.identifier == "NTF-2026-02-05-001"
    ocr, free_text = parsed.payments
    assert (ocr.amount, ocr.currency, ocr.booked_on) == (
        D("27500.00"),
        "SEK",
        datetime.date(2026, 2, 5),
    )
    assert ocr.references == ("133",)
    assert ocr.payer_name == "Customer 1 AB"
    assert ocr.payer_account == "SE3550000000054910000003"
    assert ocr.payee_account == "SE4550000000058398257466"
    assert ocr.bank_reference == "TX-0001"  # the bank's reference of the transaction
    # No transaction amount: the entry's; EndToEndId NOTPROVIDED: the entry's reference
    assert free_text.amount == D("10000.00")
    assert free_text.texts == ("Betalning faktura INV-2",)
    assert free_text.bank_reference == "ENTRY-0002/1"
    assert parsed.notes == ("1 debit entry (money paid out) was left out.",)


def test_version_08_batch_entry_fik_code_line_and_entry_without_details():
    parsed = camt054_parse(read("camt054_v08.xml"))
    fik, creditor_reference, bare = parsed.payments
    assert (fik.amount, fik.currency) == (D("12500.00"), "DKK")
    assert fik.references == ("+71<000000000000018+81234567<",)
    assert fik.payer_name == "Kunde 1 ApS"  # Dbtr/Pty/Nm in version 08
    assert creditor_reference.references == ("RF18539007547034",)
    assert creditor_reference.amount == D("2500.00")
    assert bare.amount == D("800.00") and bare.bank_reference == "DK-ENTRY-2/1"
    assert parsed.notes == ()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("camt054_broken.xml", "not well-formed XML"),
        ("camt054_wrong_namespace.xml", "camt.053.001.02"),
        ("camt054_unknown_currency.xml", "currency 'KRN' is not known"),
    ],
)
def test_malformed_notifications_are_refused(name, words):
    with pytest.raises(BankFileError) as refused:
        camt054_parse(read(name))
    assert words in str(refused.value)
    assert refused.value.line > 0


def test_entry_without_booking_date_is_refused():
    content = read("camt054_v02.xml").replace(b"<BookgDt><Dt>2026-02-05</Dt></BookgDt>", b"")
    content = content.replace(b"<ValDt><Dt>2026-02-05</Dt></ValDt>", b"")
    with pytest.raises(BankFileError, match="entry 1 has no BookgDt"):
        camt054_parse(content)


def test_external_entities_are_not_read():
    content = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        b"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>&x;</MsgId></GrpHdr>"
        b"</BkToCstmrDbtCdtNtfctn></Document>"
    )
    with pytest.raises(BankFileError, match="no notification"):
        camt054_parse(content)
