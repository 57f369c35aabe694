"""Bankgirot BgMax: the fixture files written from Bankgirot's record descriptions are read
field by field; every malformed one is refused with the line and a reason a clerk understands."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.receivables.bank_files.bgmax import (
    BgMaxDepositOut,
    BgMaxPaymentOut,
    bgmax_parse,
    bgmax_write,
)
from invoicing.receivables.bank_files.statement import BankFileError, bank_file_kind

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "bank"
D = Decimal


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_two_deposits_read_record_by_record():
    parsed = bgmax_parse(read("bgmax_two_deposits.txt"))
    assert parsed.kind == "bgmax"
    assert parsed.created_at == datetime.datetime(2026, 2, 4, 6, 30)
    assert not parsed.is_test
    first, second, third, fourth, deduction, unknown = parsed.payments
    # TK20 with TK26 name, TK27/28 address and TK29 organisation number
    assert first.amount == D("27500.00")
    assert first.currency == "SEK"
    assert first.booked_on == datetime.date(2026, 2, 3)  # the deposit's (TK15) payment date
    assert first.references == ("133",)
    assert first.payer_name == "Customer 1 AB"
    assert first.payer_account == "1234566"
    assert first.payer_address == "Storgatan 1, 11122 Stockholm"
    assert first.payer_organization_number == "5560001116"
    assert first.payee_account == "50501055"
    assert first.bank_reference == "BGMAX-50501055-20260203-000000000001"
    assert first.line == 3
    # No reference (code 1), the message in an information record (TK25), å/ä/ö in ISO 8859-1
    assert third.references == ()
    assert third.texts == ("Faktura INV-3 delbetalning",)
    assert third.payer_name == "Fjällräven Öst AB"
    assert third.amount == D("1250.50")
    # Extra references (TK22) follow the payment's own
    assert fourth.references == ("430", "539", "638")
    assert fourth.booked_on == datetime.date(2026, 2, 4)
    # A deduction (TK21) is marked and subtracted from the deposit
    assert deduction.is_deduction and deduction.amount == D("300.00")
    assert unknown.references == ("1234567890",)
    assert parsed.total("SEK") == D("27500.00") + D("10000.00") + D("1250.50") + D("5000.00") - D(
        "300.00"
    ) + D("99.99")


def test_line_ends_may_be_lf_or_crlf_and_trailing_newlines_are_ignored():
    content = read("bgmax_two_deposits.txt").replace(b"\r\n", b"\n") + b"\n\n"
    assert len(bgmax_parse(content).payments) == 6


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("bgmax_wrong_length.txt", 8, "exactly 80 characters, this one has 79"),
        ("bgmax_bad_deposit_total.txt", 13, "says 38750.49 SEK, but its payments"),
        ("bgmax_bad_closing_count.txt", 24, "counts 6 payment records (20), but the file has 5"),
        ("bgmax_unknown_currency.txt", 2, "currency 'NOK' is not one BgMax pays in"),
        ("bgmax_unknown_record.txt", 10, "record type '99' is not a BgMax record"),
        ("bgmax_cut_off.txt", 14, "has no deposit record (15)"),
    ],
)
def test_malformed_files_are_refused_naming_the_line(name, line, words):
    with pytest.raises(BankFileError) as refused:
        bgmax_parse(read(name))
    assert refused.value.line == line
    assert words in str(refused.value)
    assert str(refused.value).startswith(f"Line {line}: ")


def test_a_file_without_closing_record_is_incomplete():
    lines = read("bgmax_two_deposits.txt").split(b"\r\n")
    with pytest.raises(BankFileError, match="without its closing record"):
        bgmax_parse(b"\r\n".join(lines[:23]))


def test_wrong_version_and_wrong_layout_are_refused():
    content = read("bgmax_two_deposits.txt")
    with pytest.raises(BankFileError, match="version 02 is not known"):
        bgmax_parse(content[:22] + b"02" + content[24:])
    with pytest.raises(BankFileError, match="not start with a BgMax opening record"):
        bgmax_parse(b"01BGMIN" + content[7:])


def test_letters_in_an_amount_are_refused():
    lines = read("bgmax_two_deposits.txt").split(b"\r\n")
    lines[2] = lines[2][:40] + b"X" + lines[2][41:]
    with pytest.raises(BankFileError, match="The amount must be digits") as refused:
        bgmax_parse(b"\r\n".join(lines))
    assert refused.value.line == 3


def test_a_payment_before_any_deposit_opening_is_out_of_place():
    lines = read("bgmax_two_deposits.txt").split(b"\r\n")
    del lines[1]
    with pytest.raises(BankFileError, match="deposit opening record") as refused:
        bgmax_parse(b"\r\n".join(lines))
    assert refused.value.line == 2


def test_kind_is_told_from_the_content():
    assert bank_file_kind(read("bgmax_two_deposits.txt")) == "bgmax"
    assert bank_file_kind(read("camt054_v02.xml")) == "camt054"
    with pytest.raises(BankFileError, match="neither a Bankgirot BgMax"):
        bank_file_kind(b"date;amount\n2026-01-01;100\n")


@given(
    deposits=st.lists(
        st.lists(
            st.tuples(
                st.decimals(min_value=D("0.01"), max_value=D("9999999.99"), places=2),
                st.booleans(),
            ),
            min_size=1,
            max_size=5,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_what_is_written_reads_back(deposits):
    written = [
        BgMaxDepositOut(
            bankgiro="50501055",
            payment_date=datetime.date(2026, 3, 2),
            serial=index + 1,
            payments=tuple(
                BgMaxPaymentOut(amount=amount, reference="133" if with_reference else "")
                for amount, with_reference in payments
            ),
        )
        for index, payments in enumerate(deposits)
    ]
    parsed = bgmax_parse(bgmax_write(written, created_at=datetime.datetime(2026, 3, 2, 7)))
    assert [payment.amount for payment in parsed.payments] == [
        amount for payments in deposits for amount, _with in payments
    ]
    assert len({payment.bank_reference for payment in parsed.payments}) == len(parsed.payments)
