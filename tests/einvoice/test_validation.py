"""The validator's pipeline on whole documents: the official Peppol examples pass the XML
Schema, the CEN rules and the Peppol rules; broken documents give findings a clerk can read."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from einvoice.validation import (
    EInvoiceRejected,
    Finding,
    findings_summary,
    readable_location,
    rules_findings,
    validate,
    validate_or_raise,
)
from tests.einvoice.unit_tests import EXAMPLES

BASE_EXAMPLE = (EXAMPLES / "base-example.xml").read_bytes()


def document_kind(data: bytes) -> str:
    return "credit_note" if b"<CreditNote" in data else "invoice"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.xml")), ids=lambda path: path.name)
def test_every_official_example_passes_every_check(path):
    data = path.read_bytes()
    assert validate(data, document_kind(data)) == []


def test_a_credit_note_example_is_not_an_invoice():
    data = (EXAMPLES / "base-creditnote-correction.xml").read_bytes()
    [finding] = validate(data, "invoice")
    assert (finding.rule_id, finding.flag) == ("UBL-DOCUMENT-KIND", "fatal")
    assert "Expected a UBL Invoice document" in finding.text


def test_a_broken_total_fires_the_cen_rule_with_its_text_and_place():
    # Given the example with a payable amount that no longer adds up
    broken = BASE_EXAMPLE.replace(
        b'<cbc:PayableAmount currencyID="EUR">1656.25</cbc:PayableAmount>',
        b'<cbc:PayableAmount currencyID="EUR">1656.26</cbc:PayableAmount>',
    )
    assert broken != BASE_EXAMPLE
    # When it is validated
    findings = validate(broken, "invoice")
    # Then the CEN rule BR-CO-16 fires, fatal, at the monetary total, in the rule's own words
    [finding] = [finding for finding in findings if finding.rule_id == "BR-CO-16"]
    assert finding.flag == "fatal" and finding.is_fatal and finding.source == "cen"
    assert finding.text.startswith("Amount due for payment (BT-115)")
    assert finding.location == "/Invoice/cac:LegalMonetaryTotal[1]"


def test_a_schema_error_is_a_fatal_finding_with_its_line():
    broken = BASE_EXAMPLE.replace(b"<cbc:IssueDate>2017-11-13<", b"<cbc:IssueDate>13.11.2017<")
    findings = validate(broken, "invoice")
    schema = [finding for finding in findings if finding.source == "xsd"]
    assert [finding.rule_id for finding in schema] == ["UBL-XSD"]
    assert "IssueDate" in schema[0].text and schema[0].location == "line 8"


def test_a_document_that_is_not_xml_is_one_finding():
    [finding] = validate(b"<Invoice><unclosed></Invoice>", "invoice")
    assert finding.rule_id == "XML-WELL-FORMED" and finding.is_fatal


def test_an_expression_that_cannot_be_evaluated_is_a_finding_not_a_crash():
    # An empty quantity makes a Peppol rule's xs:decimal() fail (the CEN case BR-CL-23#1)
    fragment = (
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
        b' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
        b' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        b'<cac:InvoiceLine><cbc:InvoicedQuantity unitCode="C62"></cbc:InvoicedQuantity>'
        b"</cac:InvoiceLine></Invoice>"
    )
    findings = rules_findings(fragment, rule_sets=("peppol",))
    assert [finding.rule_id for finding in findings if finding.source == "peppol"][-1:] == [
        "PEPPOL-EVALUATION"
    ]


def test_a_peppol_rule_fires_from_the_compiled_schematron():
    # A Swedish seller whose VAT number is too short breaks SE-R-001 (national Peppol rule)
    swedish = BASE_EXAMPLE.replace(
        b"<cbc:CompanyID>GB1232434</cbc:CompanyID>", b"<cbc:CompanyID>SE55667788</cbc:CompanyID>"
    ).replace(b"<cbc:IdentificationCode>GB<", b"<cbc:IdentificationCode>SE<", 1)
    findings = validate(swedish, "invoice")
    assert "SE-R-001" in {finding.rule_id for finding in findings if finding.source == "peppol"}


def test_posting_gets_an_exception_a_clerk_can_read():
    # Given a document without a buyer reference (and no order reference)
    broken = BASE_EXAMPLE.replace(b"<cbc:BuyerReference>0150abc</cbc:BuyerReference>", b"")
    # When posting asks for it to be validated
    with pytest.raises(EInvoiceRejected) as raised:
        validate_or_raise(broken, "invoice")
    # Then it is a ValidationError naming the rule, what to do and the rule's text
    assert isinstance(raised.value, ValidationError)
    messages = raised.value.messages
    assert messages[0] == (
        "The e-invoice breaks 1 rule of Peppol BIS Billing 3.0, so it was not posted:"
    )
    assert messages[1].startswith(
        "PEPPOL-EN16931-R003: Enter the customer's buyer reference, or the contract's order "
        "reference. (A buyer reference or purchase order reference MUST be provided."
    )
    assert [finding.rule_id for finding in raised.value.findings] == ["PEPPOL-EN16931-R003"]


def test_the_summary_is_translated_and_counts_each_rule_once():
    findings = [Finding("BR-CO-10", "fatal", "Sum", "/a"), Finding("BR-CO-10", "fatal", "Sum")]
    findings += [Finding("BR-X", "warning", "Careful")]
    with translation.override("sv"):
        summary = findings_summary(findings)
    assert len(summary) == 2 and summary[1] == "BR-CO-10: Sum"
    assert summary[0] == (
        "E-fakturan bryter mot 1 regel i Peppol BIS Billing 3.0 och bokfördes därför inte:"
    )


def test_warnings_alone_do_not_stop_posting():
    # The example with a payment card number longer than 10 digits: BR-51 is a warning
    assert validate_or_raise(BASE_EXAMPLE, "invoice") == []


def test_locations_read_the_same_from_both_rule_sets():
    cac = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    invoice = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    skeleton = f"/*:Invoice[namespace-uri()='{invoice}'][1]/*:Delivery[namespace-uri()='{cac}'][2]"
    compiled = f"/Q{{{invoice}}}Invoice[1]/Q{{{cac}}}Delivery[2]/@schemeID"
    assert readable_location(skeleton) == "/Invoice/cac:Delivery[2]"
    assert readable_location(compiled) == "/Invoice/cac:Delivery[2]/@schemeID"


def test_threads_validate_at_the_same_time_with_the_same_results():
    expected = validate(BASE_EXAMPLE.replace(b"0150abc", b""), "invoice")
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(validate(BASE_EXAMPLE.replace(b"0150abc", b""), "invoice"))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [expected] * 12


def test_an_unknown_document_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        validate(BASE_EXAMPLE, "order")


def test_a_byte_order_mark_or_another_encoding_changes_nothing():
    assert validate(b"\xef\xbb\xbf" + BASE_EXAMPLE, "invoice") == []
    latin1 = BASE_EXAMPLE.decode().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    assert validate(latin1.encode("iso-8859-1"), "invoice") == []
