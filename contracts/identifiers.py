"""The numbers on an e-invoice's parties (issue 14, item 1): organisation and VAT numbers,
bankgiro and plusgiro, IBAN and BIC, the Danish FIK creditor number and Peppol endpoints.

Each ``<kind>_clean`` takes what a clerk typed and returns the number as it is stored (spaces,
dashes and dots taken out, letters upper-case), or raises ``ValidationError`` with a sentence
a clerk can act on: which number, and what is wrong with it (the check digit, the length, the
country). The check digits come from python-stdnum, the same library the Peppol rules mirror
(PEPPOL-COMMON-R040..R049), so a number accepted here is not refused by the access point for its
format. ``<kind>_display`` gives the printed form. Pure: no ORM."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import bic, ean, iban, luhn
from stdnum.be import vat as be_enterprise_number
from stdnum.dk import cvr
from stdnum.eu import vat
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as NumberError
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from einvoice.references import fik_creditor_is_valid

SEPARATORS = re.compile(r"[\s\-./]")

#: EU member states by ISO 3166 code; Greece writes its VAT numbers with ``EL``.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
VAT_PREFIXES = {"GR": "EL"}

ORGANIZATION_NUMBER_SE_INVALID = _(
    "This is not a valid Swedish organisation number: the check digit is wrong."
)
ORGANIZATION_NUMBER_SE_LENGTH = _(
    "A Swedish organisation number has 10 digits, for example 556677-8899."
)
ORGANIZATION_NUMBER_DK_INVALID = _(
    "This is not a valid Danish CVR number: the check digit is wrong."
)
ORGANIZATION_NUMBER_DK_LENGTH = _("A Danish CVR number has 8 digits, for example 32712452.")
VAT_NUMBER_INVALID = _("This is not a valid VAT number: the check digit is wrong.")
VAT_NUMBER_FORMAT = _(
    "This is not a valid VAT number: it has the wrong number of digits or characters."
)
VAT_NUMBER_COUNTRY = _(
    "The VAT number must start with %(prefix)s, the code of the country (%(country)s)."
)
BANKGIRO_LENGTH = _("A bankgiro number has 7 or 8 digits, for example 5050-1055.")
BANKGIRO_INVALID = _("This is not a valid bankgiro number: the check digit is wrong.")
PLUSGIRO_LENGTH = _("A plusgiro number has 2 to 8 digits, for example 4 12 34-6.")
PLUSGIRO_INVALID = _("This is not a valid plusgiro number: the check digit is wrong.")
IBAN_INVALID = _("This is not a valid IBAN: the check digits are wrong.")
IBAN_FORMAT = _(
    "This is not a valid IBAN: it must start with a country code and have that country's "
    "length, for example SE45 5000 0000 0583 9825 7466."
)
BIC_INVALID = _("This is not a valid BIC: it has 8 or 11 letters and digits, for example ESSESESS.")
FIK_CREDITOR_INVALID = _("A FIK creditor number has 8 digits, for example 81234567.")
PEPPOL_IDENTIFIER_INVALID = _(
    "This is not a valid Peppol identifier for the chosen scheme: %(reason)s"
)
PEPPOL_BOTH_OR_NEITHER = _("Enter both the Peppol scheme and the Peppol identifier, or neither.")
GLN_INVALID = _("a GLN has 13 digits and a correct check digit.")
BE_ENTERPRISE_NUMBER_INVALID = _(
    "a Belgian enterprise number has 10 digits and a correct check number."
)
NO_ORGANIZATION_NUMBER_INVALID = _(
    "a Norwegian organisation number has 9 digits and a correct check digit."
)


def compact(value: str) -> str:
    """The number without spaces, dashes, dots or slashes, upper-case."""
    return SEPARATORS.sub("", value or "").upper()


def organization_number_clean(number: str, country: str) -> str:
    """A Swedish organisation number (10 digits, Luhn) or a Danish CVR number (8 digits,
    modulus 11) checked and compacted; any other country's number is free text, only trimmed
    (a German register entry "HRB 12345" keeps its space)."""
    if country == "SE":
        digits = compact(number)
        if not (digits.isdigit() and len(digits) == 10):
            raise ValidationError(ORGANIZATION_NUMBER_SE_LENGTH, code="length")
        if not se_orgnr.is_valid(digits):
            raise ValidationError(ORGANIZATION_NUMBER_SE_INVALID, code="checksum")
        return digits
    if country == "DK":
        digits = compact(number)
        if digits.startswith("DK"):
            digits = digits[2:]
        if not (digits.isdigit() and len(digits) == 8):
            raise ValidationError(ORGANIZATION_NUMBER_DK_LENGTH, code="length")
        if not cvr.is_valid(digits):
            raise ValidationError(ORGANIZATION_NUMBER_DK_INVALID, code="checksum")
        return digits
    return (number or "").strip()


def organization_number_display(number: str, country: str) -> str:
    """The printed form: ``556677-8899`` in Sweden, as stored elsewhere."""
    if country == "SE" and len(number) == 10 and number.isdigit():
        return se_orgnr.format(number)
    return number


def vat_prefix(country: str) -> str:
    return VAT_PREFIXES.get(country, country)


def vat_number_clean(number: str, country: str) -> str:
    """An EU VAT number checked (check digits and format of its member state) and compacted;
    it must carry the prefix of ``country`` when that country is in the EU. Outside the EU the
    number is only compacted (a Norwegian "NO987654325MVA" is not an EU VAT number)."""
    value = compact(number)
    if country not in EU_COUNTRIES:
        return value
    prefix = vat_prefix(country)
    if not value.startswith(prefix):
        raise ValidationError(
            VAT_NUMBER_COUNTRY, code="country", params={"prefix": prefix, "country": country}
        )
    try:
        return vat.validate(value)
    except InvalidChecksum:
        raise ValidationError(VAT_NUMBER_INVALID, code="checksum") from None
    except NumberError:
        raise ValidationError(VAT_NUMBER_FORMAT, code="format") from None


def bankgiro_clean(number: str) -> str:
    """A bankgiro number: 7 or 8 digits, the last a Luhn check digit; stored as digits."""
    digits = compact(number)
    if not (digits.isdigit() and len(digits) in (7, 8)):
        raise ValidationError(BANKGIRO_LENGTH, code="length")
    if not luhn.is_valid(digits):
        raise ValidationError(BANKGIRO_INVALID, code="checksum")
    return digits


def bankgiro_display(digits: str) -> str:
    """``NNN-NNNN`` or ``NNNN-NNNN``, as Bankgirot prints it."""
    if not digits.isdigit() or len(digits) not in (7, 8):
        return digits
    return f"{digits[:-4]}-{digits[-4:]}"


def plusgiro_clean(number: str) -> str:
    """A plusgiro number: 2 to 8 digits, the last a Luhn check digit; stored as digits."""
    digits = compact(number)
    if not (digits.isdigit() and 2 <= len(digits) <= 8):
        raise ValidationError(PLUSGIRO_LENGTH, code="length")
    if not luhn.is_valid(digits):
        raise ValidationError(PLUSGIRO_INVALID, code="checksum")
    return digits


def plusgiro_display(digits: str) -> str:
    """Pairs from the right and the check digit after a dash: ``4 12 34-5``."""
    if not digits.isdigit() or len(digits) < 2:
        return digits
    body = digits[:-1]
    pairs = []
    while body:
        pairs.insert(0, body[-2:])
        body = body[:-2]
    return f"{' '.join(pairs)}-{digits[-1]}"


def iban_clean(number: str) -> str:
    """An IBAN with its country's length and correct check digits, compacted. The check digits
    are blamed only when the rest is right (python-stdnum checks them first)."""
    value = compact(number)
    if iban.is_valid(value):
        return iban.validate(value)
    if len(value) > 4 and iban.is_valid(value[:2] + iban.calc_check_digits(value) + value[4:]):
        raise ValidationError(IBAN_INVALID, code="checksum")
    raise ValidationError(IBAN_FORMAT, code="format")


def iban_display(number: str) -> str:
    return iban.format(number) if number else ""


def bic_clean(number: str) -> str:
    """A BIC: 8 or 11 characters, a known country code in place."""
    try:
        return bic.validate(compact(number))
    except NumberError:
        raise ValidationError(BIC_INVALID, code="format") from None


def fik_creditor_clean(number: str) -> str:
    """The Danish FIK creditor number (8 digits), as ``einvoice.references`` checks it."""
    digits = compact(number)
    if not fik_creditor_is_valid(digits):
        raise ValidationError(FIK_CREDITOR_INVALID, code="format")
    return digits


def _stdnum_checked(module, value: str, reason) -> str:
    try:
        return module.validate(value)
    except NumberError:
        raise ValidationError(
            PEPPOL_IDENTIFIER_INVALID, code="peppol", params={"reason": reason}
        ) from None


def peppol_identifier_clean(identifier: str, scheme: str) -> str:
    """A Peppol participant identifier checked the way the Peppol rules check its scheme
    (PEPPOL-COMMON-R040 GLN, R041 Norway, R042 Denmark, R043 Belgium, R049 Sweden; VAT schemes
    as VAT numbers); schemes the rules do not check (0216) are only compacted."""
    value = compact(identifier)
    if scheme == "0007":
        try:
            return organization_number_clean(value, "SE")
        except ValidationError as error:
            raise ValidationError(
                PEPPOL_IDENTIFIER_INVALID, code="peppol", params={"reason": error.messages[0]}
            ) from None
    if scheme == "0184":
        try:
            return organization_number_clean(value, "DK")
        except ValidationError as error:
            raise ValidationError(
                PEPPOL_IDENTIFIER_INVALID, code="peppol", params={"reason": error.messages[0]}
            ) from None
    if scheme == "0088":
        if len(value) != 13:
            raise ValidationError(
                PEPPOL_IDENTIFIER_INVALID, code="peppol", params={"reason": GLN_INVALID}
            )
        return _stdnum_checked(ean, value, GLN_INVALID)
    if scheme == "0192":
        return _stdnum_checked(no_orgnr, value, NO_ORGANIZATION_NUMBER_INVALID)
    if scheme == "0208":
        return _stdnum_checked(be_enterprise_number, value, BE_ENTERPRISE_NUMBER_INVALID)
    if scheme in VAT_SCHEMES:
        try:
            return vat_number_clean(value, VAT_SCHEMES[scheme])
        except ValidationError as error:
            raise ValidationError(
                PEPPOL_IDENTIFIER_INVALID,
                code="peppol",
                params={"reason": error.messages[0]},
            ) from None
    return value


#: Peppol schemes whose identifier is a VAT number of one country.
VAT_SCHEMES = {"0213": "FI", "9930": "DE", "9957": "FR"}
