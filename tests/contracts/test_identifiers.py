"""The numbers on an e-invoice's parties (contracts/identifiers.py): each kind accepted with a
right check digit, compacted as stored, refused with a wrong one in words a clerk acts on.
Pure: no database."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from contracts import identifiers

ORGANISATION_CHECK_DIGIT = (
    "This is not a valid Swedish organisation number: the check digit is wrong."
)


def refusal(check, *args) -> str:
    with pytest.raises(ValidationError) as refused:
        check(*args)
    return " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("556677-8899", "5566778899"), (" 556677 8899 ", "5566778899"), ("5560001116", "5560001116")],
)
def test_a_swedish_organisation_number_is_checked_and_stored_as_digits(typed, stored):
    assert identifiers.organization_number_clean(typed, "SE") == stored
    assert identifiers.organization_number_display(stored, "SE") == f"{stored[:6]}-{stored[6:]}"


def test_a_swedish_organisation_number_with_a_wrong_check_digit_is_refused():
    assert refusal(identifiers.organization_number_clean, "556677-8898", "SE") == (
        ORGANISATION_CHECK_DIGIT
    )
    assert "has 10 digits" in refusal(identifiers.organization_number_clean, "55667788", "SE")


def test_a_danish_cvr_number_is_checked_with_modulus_11():
    assert identifiers.organization_number_clean("DK 32 71 24 52", "DK") == "32712452"
    assert refusal(identifiers.organization_number_clean, "32712453", "DK") == (
        "This is not a valid Danish CVR number: the check digit is wrong."
    )
    assert "has 8 digits" in refusal(identifiers.organization_number_clean, "3271245", "DK")


def test_other_countries_organisation_numbers_are_free_text():
    assert identifiers.organization_number_clean(" HRB 12345 ", "DE") == "HRB 12345"
    assert identifiers.organization_number_display("HRB 12345", "DE") == "HRB 12345"


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("se 5566 7788 9901", "SE", "SE556677889901"),
        ("DK-32712452", "DK", "DK32712452"),
        ("FI12345671", "FI", "FI12345671"),
        ("EL094259216", "GR", "EL094259216"),
        ("NO 987654325 MVA", "NO", "NO987654325MVA"),  # outside the EU: only compacted
    ],
)
def test_vat_numbers_are_checked_for_their_country(typed, country, stored):
    assert identifiers.vat_number_clean(typed, country) == stored


def test_a_vat_number_with_a_wrong_check_digit_or_another_country_is_refused():
    assert refusal(identifiers.vat_number_clean, "DK32712453", "DK") == (
        "This is not a valid VAT number: the check digit is wrong."
    )
    assert refusal(identifiers.vat_number_clean, "DK32712452", "SE") == (
        "The VAT number must start with SE, the code of the country (SE)."
    )
    assert "wrong number of digits" in refusal(identifiers.vat_number_clean, "SE5566", "SE")


def test_a_greek_vat_number_starts_with_el():
    assert "must start with EL" in refusal(identifiers.vat_number_clean, "GR094259216", "GR")


@pytest.mark.parametrize(
    ("typed", "stored", "printed"),
    [("5050-1055", "50501055", "5050-1055"), ("991-2346", "9912346", "991-2346")],
)
def test_a_bankgiro_number_is_stored_as_digits_and_printed_with_its_dash(typed, stored, printed):
    assert identifiers.bankgiro_clean(typed) == stored
    assert identifiers.bankgiro_display(stored) == printed


def test_a_bankgiro_number_with_a_wrong_check_digit_or_length_is_refused():
    assert refusal(identifiers.bankgiro_clean, "5050-1056") == (
        "This is not a valid bankgiro number: the check digit is wrong."
    )
    assert refusal(identifiers.bankgiro_clean, "505-105") == (
        "A bankgiro number has 7 or 8 digits, for example 5050-1055."
    )


def test_a_plusgiro_number_is_checked_and_printed_in_pairs():
    assert identifiers.plusgiro_clean("4 12 34-6") == "412346"
    assert identifiers.plusgiro_display("412346") == "4 12 34-6"
    assert identifiers.plusgiro_display("18") == "1-8"
    assert refusal(identifiers.plusgiro_clean, "4 12 34-5") == (
        "This is not a valid plusgiro number: the check digit is wrong."
    )
    assert "2 to 8 digits" in refusal(identifiers.plusgiro_clean, "123456789")


def test_iban_and_bic_are_checked():
    assert identifiers.iban_clean("se45 5000 0000 0583 9825 7466") == "SE4550000000058398257466"
    assert identifiers.iban_display("SE4550000000058398257466") == "SE45 5000 0000 0583 9825 7466"
    assert refusal(identifiers.iban_clean, "SE4650000000058398257466") == (
        "This is not a valid IBAN: the check digits are wrong."
    )
    assert "country's length" in refusal(identifiers.iban_clean, "SE455000")
    assert "country's length" in refusal(identifiers.iban_clean, "QQ4550000000058398257466")
    assert identifiers.bic_clean("essesess") == "ESSESESS"
    assert "8 or 11" in refusal(identifiers.bic_clean, "ESSE")


def test_a_fik_creditor_number_has_8_digits():
    assert identifiers.fik_creditor_clean("8123 4567") == "81234567"
    assert refusal(identifiers.fik_creditor_clean, "8123456") == (
        "A FIK creditor number has 8 digits, for example 81234567."
    )


@pytest.mark.parametrize(
    ("scheme", "typed", "stored"),
    [
        ("0007", "556000-1116", "5560001116"),
        ("0184", "DK41234563", "41234563"),
        ("0088", "7300010000001", "7300010000001"),
        ("0192", "987 654 325", "987654325"),
        ("0208", "0403.019.261", "0403019261"),
        ("9930", "DE 136 695 976", "DE136695976"),
        ("0216", "003712345671", "003712345671"),  # not checked by the rules: compacted only
    ],
)
def test_peppol_identifiers_are_checked_per_scheme(scheme, typed, stored):
    assert identifiers.peppol_identifier_clean(typed, scheme) == stored


@pytest.mark.parametrize(
    ("scheme", "typed", "reason"),
    [
        ("0007", "5560001117", "Swedish organisation number: the check digit is wrong"),
        ("0184", "41234564", "Danish CVR number: the check digit is wrong"),
        ("0088", "7300010000002", "a GLN has 13 digits and a correct check digit"),
        ("0088", "730001000000", "a GLN has 13 digits"),
        ("0192", "987654321", "a Norwegian organisation number has 9 digits"),
        ("0208", "0403019262", "a Belgian enterprise number has 10 digits"),
        ("9930", "DE136695977", "the check digit is wrong"),
    ],
)
def test_a_wrong_peppol_identifier_names_the_scheme_and_the_reason(scheme, typed, reason):
    message = refusal(identifiers.peppol_identifier_clean, typed, scheme)
    assert message.startswith("This is not a valid Peppol identifier for the chosen scheme: ")
    assert reason in message


digits = st.text(alphabet="0123456789", min_size=1, max_size=7)
separators = st.lists(st.sampled_from([" ", "-", ".", ""]), min_size=9, max_size=9)


def with_separators(number: str, between: list[str]) -> str:
    return "".join(digit + between[position % 9] for position, digit in enumerate(number))


@given(body=digits.filter(lambda body: len(body) in (6, 7)), between=separators)
def test_a_bankgiro_number_comes_back_the_same_however_it_is_typed(body, between):
    number = body + luhn.calc_check_digit(body)
    stored = identifiers.bankgiro_clean(with_separators(number, between))
    assert stored == number
    assert identifiers.bankgiro_clean(identifiers.bankgiro_display(stored)) == stored


@given(body=digits, between=separators)
def test_a_plusgiro_number_comes_back_the_same_however_it_is_typed(body, between):
    number = body + luhn.calc_check_digit(body)
    stored = identifiers.plusgiro_clean(with_separators(number, between).lower())
    assert stored == number
    assert identifiers.plusgiro_clean(identifiers.plusgiro_display(stored)) == stored


@given(body=st.text(alphabet="0123456789", min_size=9, max_size=9), between=separators)
def test_a_swedish_organisation_number_comes_back_the_same_however_it_is_typed(body, between):
    number = body + luhn.calc_check_digit(body)
    stored = identifiers.organization_number_clean(with_separators(number, between), "SE")
    assert stored == number
    display = identifiers.organization_number_display(stored, "SE")
    assert identifiers.organization_number_clean(display, "SE") == stored


@given(body=st.text(alphabet="0123456789", min_size=9, max_size=9), wrong=st.integers(1, 9))
def test_any_single_wrong_check_digit_is_refused(body, wrong):
    number = body + str((int(luhn.calc_check_digit(body)) + wrong) % 10)
    bankgiro = body[:7] + str((int(luhn.calc_check_digit(body[:7])) + wrong) % 10)
    with pytest.raises(ValidationError, match="check digit is wrong"):
        identifiers.organization_number_clean(number, "SE")
    with pytest.raises(ValidationError, match="check digit is wrong"):
        identifiers.bankgiro_clean(bankgiro)
