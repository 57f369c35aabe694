"""Swedish OCR references and Danish FIK payment ids: built with their check digits, verified,
and every single mistyped digit caught."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from einvoice.references import (
    InvalidReference,
    fik_code_line,
    fik_code_line_parse,
    fik_payment_id_build,
    fik_payment_id_is_valid,
    fik_ubl_payment_id,
    ocr_reference_build,
    ocr_reference_is_valid,
    payment_reference_for,
)

FAST = settings(max_examples=60, deadline=None, database=None)


def digits(min_size: int, max_size: int):
    return st.text("0123456789", min_size=min_size, max_size=max_size)


def mistyped(reference: str, position: int, digit: str) -> str:
    return reference[:position] + digit + reference[position + 1 :]


def test_an_ocr_reference_by_hand():
    # 12345, length digit 7 (7 digits in all), Luhn over 123457: 5+5+8+3+4+1 = 26 -> 4
    assert ocr_reference_build("12345") == "1234574"
    assert ocr_reference_build(12345, length_digit=False) == "123455"
    assert ocr_reference_is_valid("1234574")
    assert ocr_reference_is_valid("123455", length_digit=False)
    assert not ocr_reference_is_valid("123455")  # 5 is not the length digit of 6 digits


@FAST
@given(number=digits(1, 23), length_digit=st.booleans())
def test_an_ocr_reference_round_trips(number, length_digit):
    reference = ocr_reference_build(number, length_digit=length_digit)
    assert reference.startswith(number)
    assert len(reference) == len(number) + (2 if length_digit else 1)
    assert ocr_reference_is_valid(reference, length_digit=length_digit)


@FAST
@given(number=digits(1, 23), data=st.data())
def test_a_mistyped_ocr_digit_is_caught(number, data):
    reference = ocr_reference_build(number)
    position = data.draw(st.integers(0, len(reference) - 1))
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != reference[position]))
    assert not ocr_reference_is_valid(mistyped(reference, position, digit))


@pytest.mark.parametrize(
    ("number", "length_digit"), [("1" * 24, True), ("1" * 25, False), ("", False), ("12a", True)]
)
def test_an_ocr_reference_out_of_bounds_is_refused(number, length_digit):
    with pytest.raises(InvalidReference):
        ocr_reference_build(number, length_digit=length_digit)


@pytest.mark.parametrize("reference", ["", "0", "1" * 26, "12 34", "١٢٣٤", "-18"])
def test_what_is_no_ocr_reference(reference):
    assert not ocr_reference_is_valid(reference, length_digit=False)


def test_a_fik_payment_id_by_hand():
    # payment id "2": zero-padded to 14 digits, Luhn check digit 6 (as printed on FI cards)
    assert fik_payment_id_build(2) == "000000000000026"
    assert fik_code_line("000000000000026", "81234567") == "+71<000000000000026+81234567<"
    assert fik_ubl_payment_id("000000000000026") == "71#000000000000026"


@FAST
@given(number=digits(1, 14), creditor=digits(8, 8))
def test_a_fik_code_line_round_trips(number, creditor):
    payment_id = fik_payment_id_build(number)
    assert len(payment_id) == 15 and int(payment_id[:-1]) == int(number)
    assert fik_code_line_parse(fik_code_line(payment_id, creditor)) == (payment_id, creditor)
    # the Peppol PaymentID passes DK-R-011's length (18 characters with "71#")
    assert len(fik_ubl_payment_id(payment_id)) == 18


@FAST
@given(number=digits(1, 14), data=st.data())
def test_a_mistyped_fik_digit_is_caught(number, data):
    payment_id = fik_payment_id_build(number)
    position = data.draw(st.integers(0, 14))
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != payment_id[position]))
    assert not fik_payment_id_is_valid(mistyped(payment_id, position, digit))


@pytest.mark.parametrize(
    "call",
    [
        lambda: fik_payment_id_build("1" * 15),
        lambda: fik_payment_id_build("12-3"),
        lambda: fik_code_line("000000000000025", "81234567"),
        lambda: fik_code_line("000000000000026", "1234567"),
        lambda: fik_code_line_parse("+71<000000000000025+81234567<"),
        lambda: fik_code_line_parse("+73<000000000000026+81234567<"),
        lambda: fik_ubl_payment_id("26"),
    ],
)
def test_a_wrong_fik_number_is_refused(call):
    with pytest.raises(InvalidReference):
        call()


def test_a_swedish_seller_paid_to_a_giro_gets_an_ocr_reference_from_the_invoice_number():
    # 20, the length digit 4 (four digits in all) and the Luhn digit 8 (checked by hand)
    assert payment_reference_for(number=20, country="SE", bankgiro="50501055") == {
        "scheme": "ocr",
        "reference": "2048",
    }
    assert payment_reference_for(number=1, country="SE", plusgiro="4123456")["reference"] == "133"


def test_a_danish_seller_with_a_fik_creditor_gets_a_fik_code_line():
    assert payment_reference_for(number=17, country="DK", fik_creditor_number="81234567") == {
        "scheme": "fik",
        "reference": "000000000000174",
        "code_line": "+71<000000000000174+81234567<",
    }


def test_a_seller_without_the_accounts_gets_no_payment_reference():
    assert payment_reference_for(number=5, country="SE") is None
    assert payment_reference_for(number=5, country="DK", bankgiro="50501055") is None
    assert payment_reference_for(number=5, country="NO", bankgiro="50501055") is None
