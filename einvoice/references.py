"""Nordic payment references a bank can match: the Swedish OCR reference (paid to a bankgiro or
plusgiro) and the Danish FIK payment id (Fælles Indbetalingskort, card type 71).

Pure functions over strings of digits; the check digits come from python-stdnum's Luhn
(modulus 10 with weights 2, 1 from the right), which both schemes use.

* OCR (Bankgirot): 2 to 25 digits, the last a Luhn check digit over all the others; with the
  optional length digit (Bankgirot's "hard" check) the digit before the check digit is the
  reference's whole length modulo 10.
* FIK 71: a 15-digit payment id, 14 digits then a Luhn check digit, printed on the payment
  slip's code line as ``+71<payment id+creditor number<`` with the payee's 8-digit creditor
  number; in a Peppol BIS invoice it is payment means 93 with PaymentID ``71#<payment id>``
  and the creditor number as the payee account (rules DK-R-010 and DK-R-011).
"""

from __future__ import annotations

import re

from stdnum import luhn

OCR_MIN_DIGITS = 2
OCR_MAX_DIGITS = 25
FIK_CARD_TYPE = "71"
FIK_PAYMENT_ID_DIGITS = 15
FIK_CREDITOR_DIGITS = 8
FIK_CODE_LINE = re.compile(r"\+71<(?P<payment_id>\d{15})\+(?P<creditor>\d{8})<")


class InvalidReference(ValueError):
    """The number cannot become (or is not) a valid payment reference."""


def _digits(value: int | str, what: str) -> str:
    text = str(value)
    if not text.isascii() or not text.isdigit():
        raise InvalidReference(f"{what} must be digits only, not {text!r}")
    return text


def ocr_reference_build(number: int | str, *, length_digit: bool = True) -> str:
    """The OCR reference for ``number`` (an invoice number's digits): the number, then the
    length digit if asked for, then the Luhn check digit. 2 to 25 digits in all."""
    digits = _digits(number, "An OCR reference's number")
    if length_digit:
        digits += str((len(digits) + 2) % 10)
    reference = digits + luhn.calc_check_digit(digits)
    if not OCR_MIN_DIGITS <= len(reference) <= OCR_MAX_DIGITS:
        raise InvalidReference(
            f"An OCR reference has {OCR_MIN_DIGITS} to {OCR_MAX_DIGITS} digits; "
            f"{number!r} would make {len(reference)}"
        )
    return reference


def ocr_reference_is_valid(reference: str, *, length_digit: bool = True) -> bool:
    """Whether a bank would accept ``reference``: digits only, 2 to 25 of them, a right Luhn
    check digit and, with ``length_digit``, a right length digit."""
    if not (reference.isascii() and reference.isdigit()):
        return False
    if not OCR_MIN_DIGITS <= len(reference) <= OCR_MAX_DIGITS or not luhn.is_valid(reference):
        return False
    if length_digit:
        return len(reference) >= 3 and int(reference[-2]) == len(reference) % 10
    return True


def fik_payment_id_build(number: int | str) -> str:
    """The 15-digit FIK 71 payment id for ``number``: zero-padded to 14 digits, then the Luhn
    check digit."""
    digits = _digits(number, "A FIK payment id's number")
    if len(digits) > FIK_PAYMENT_ID_DIGITS - 1:
        raise InvalidReference(
            f"A FIK payment id holds at most {FIK_PAYMENT_ID_DIGITS - 1} digits before its "
            f"check digit, not {len(digits)}"
        )
    digits = digits.zfill(FIK_PAYMENT_ID_DIGITS - 1)
    return digits + luhn.calc_check_digit(digits)


def fik_payment_id_is_valid(payment_id: str) -> bool:
    """15 digits whose last is the Luhn check digit of the 14 before it."""
    return (
        payment_id.isascii()
        and payment_id.isdigit()
        and len(payment_id) == FIK_PAYMENT_ID_DIGITS
        and luhn.is_valid(payment_id)
    )


def fik_creditor_is_valid(creditor: str) -> bool:
    """A FIK creditor number (kreditornummer): 8 digits. It has no check digit of its own;
    the bank that issued it knows it."""
    return creditor.isascii() and creditor.isdigit() and len(creditor) == FIK_CREDITOR_DIGITS


def fik_code_line(payment_id: str, creditor: str) -> str:
    """The payment slip's code line ``+71<payment id+creditor<`` a Danish bank reads."""
    if not fik_payment_id_is_valid(payment_id):
        raise InvalidReference(f"{payment_id!r} is not a valid FIK 71 payment id")
    if not fik_creditor_is_valid(creditor):
        raise InvalidReference(f"A FIK creditor number has 8 digits, not {creditor!r}")
    return f"+{FIK_CARD_TYPE}<{payment_id}+{creditor}<"


def fik_code_line_parse(line: str) -> tuple[str, str]:
    """The payment id and creditor number of a code line; refuses a wrong check digit."""
    match = FIK_CODE_LINE.fullmatch(line.strip())
    if not match or not fik_payment_id_is_valid(match["payment_id"]):
        raise InvalidReference(f"{line!r} is not a valid FIK 71 code line")
    return match["payment_id"], match["creditor"]


def fik_ubl_payment_id(payment_id: str) -> str:
    """PaymentID (BT-83) of a Peppol BIS invoice paid by FIK: ``71#`` and the payment id."""
    if not fik_payment_id_is_valid(payment_id):
        raise InvalidReference(f"{payment_id!r} is not a valid FIK 71 payment id")
    return f"{FIK_CARD_TYPE}#{payment_id}"


def payment_reference_for(
    *,
    number: int,
    country: str,
    bankgiro: str = "",
    plusgiro: str = "",
    fik_creditor_number: str = "",
) -> dict | None:
    """The reference a bank matches an invoice's payment by, for a seller in ``country`` with
    these accounts, from the invoice's sequence ``number``: a Swedish seller paid to a bankgiro
    or plusgiro gets an OCR reference (with the length digit); a Danish seller with a FIK
    creditor number gets a FIK 71 payment id and its code line; anyone else none.

    ``{"scheme": "ocr", "reference": ...}`` or ``{"scheme": "fik", "reference": <payment id>,
    "code_line": ...}``."""
    if country == "SE" and (bankgiro or plusgiro):
        return {"scheme": "ocr", "reference": ocr_reference_build(number)}
    if country == "DK" and fik_creditor_number:
        payment_id = fik_payment_id_build(number)
        return {
            "scheme": "fik",
            "reference": payment_id,
            "code_line": fik_code_line(payment_id, fik_creditor_number),
        }
    return None
