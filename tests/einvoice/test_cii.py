"""The CII writer (Factur-X EN 16931 profile): each document passes the Factur-X XML Schema and
CEN's EN 16931 rules for CII with no finding at all, and prints the figures it was given."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from einvoice.cii import GUIDELINE_ID, NSMAP, cii_bytes
from einvoice.document import (
    BRANCH_BANKGIRO,
    MEANS_CREDIT_TRANSFER,
    MEANS_REFERENCE_GIRO,
    MEANS_SEPA_CREDIT_TRANSFER,
    UNIT_HOUR,
    UNIT_ONE,
    Address,
    AllowanceCharge,
    Document,
    Line,
    Party,
    PaymentMeans,
    TaxCurrency,
    VatSubtotal,
)
from einvoice.validation import (
    RULE_CII_DOCUMENT_KIND,
    RULE_CII_SCHEMA,
    EInvoiceRejected,
    validate_cii,
    validate_cii_or_raise,
)

SWEDISH_SELLER = Party(
    name="Konsultbolaget AB",
    address=Address("SE", "Storgatan 1", "111 22", "Stockholm"),
    endpoint_scheme="0007",
    endpoint_id="5560001116",
    vat_number="SE556000111601",
    legal_id="5560001116",
    legal_id_scheme="0007",
    tax_registration="Godkänd för F-skatt",
    legal_information="Registered office: Stockholm",
    email="faktura@konsultbolaget.se",
    phone="+46 8 123 456",
)
DANISH_SELLER = Party(
    name="Rådgivning ApS",
    address=Address("DK", "Vestergade 2", "1456", "København K"),
    endpoint_scheme="0184",
    endpoint_id="13585628",
    vat_number="DK13585628",
    legal_id="13585628",
    legal_id_scheme="0184",
)
SWEDISH_BUYER = Party(
    name="Göteborgs kommun",
    address=Address("SE", "Gustaf Adolfs torg 4", "411 10", "Göteborg"),
    endpoint_scheme="0007",
    endpoint_id="2120001355",
    vat_number="SE212000135501",
    legal_id="2120001355",
    legal_id_scheme="0007",
)
GERMAN_BUYER = Party(
    name="Beratung GmbH",
    address=Address("DE", "Hauptstraße 5", "10115", "Berlin"),
    endpoint_scheme="9930",
    endpoint_id="DE136695976",
    vat_number="DE136695976",
)
HOURS = Line("1", "Consulting, 200 hours", Decimal("200"), UNIT_HOUR, Decimal("100.00"),
             Decimal("20000.00"), "S", Decimal("25"))  # fmt: skip
FEE = Line("2", "Fee 10 %", Decimal("1"), UNIT_ONE, Decimal("2000.00"), Decimal("2000.00"),
           "S", Decimal("25"))  # fmt: skip


def e1(**changes) -> Document:
    """Worked example E1: 200 hours x 100.00 = 20,000.00, a 10 % fee of 2,000.00, VAT 25 %
    5,500.00, total 27,500.00, from a Swedish seller paid by bankgiro with an OCR reference."""
    document = Document(
        kind="invoice",
        number="SE-2026-0001",
        issue_date=datetime.date(2026, 1, 31),
        due_date=datetime.date(2026, 3, 2),
        currency="SEK",
        seller=SWEDISH_SELLER,
        buyer=SWEDISH_BUYER,
        lines=(HOURS, FEE),
        vat_breakdown=(VatSubtotal("S", Decimal("25"), Decimal("22000.00"), Decimal("5500.00")),),
        buyer_reference="4025:1234",
        order_reference="PO-77",
        contract_reference="K-100",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        payment_means=(
            PaymentMeans(MEANS_CREDIT_TRANSFER, "1234574", "50501055", "", BRANCH_BANKGIRO),
            PaymentMeans(
                MEANS_CREDIT_TRANSFER, "1234574", "SE4550000000058398257466", "", "ESSESESS"
            ),
        ),  # fmt: skip
        payment_terms="30 days net",
    )
    return dataclasses.replace(document, **changes)


def danish_e1() -> Document:
    return e1(
        number="DK-2026-0001",
        currency="DKK",
        seller=DANISH_SELLER,
        payment_means=(
            PaymentMeans(MEANS_REFERENCE_GIRO, "71#000000000000026", "81234567"),
            PaymentMeans(
                MEANS_SEPA_CREDIT_TRANSFER, "DK-2026-0001", "DK5000400440116243", "", "DABADKKK"
            ),
        ),  # fmt: skip
    )


def credit_note() -> Document:
    return e1(
        kind="credit_note",
        number="SE-2026-0002",
        issue_date=datetime.date(2026, 2, 10),
        due_date=None,
        lines=(dataclasses.replace(FEE, line_id="1"),),
        vat_breakdown=(VatSubtotal("S", Decimal("25"), Decimal("2000.00"), Decimal("500.00")),),
        preceding_invoice_number="SE-2026-0001",
        preceding_invoice_date=datetime.date(2026, 1, 31),
        note="The fee was charged twice.",
        payment_means=(),
        payment_terms="",
    )


def with_retention() -> Document:
    """E1 with 10 % of the work withheld as retention: a document-level allowance of 2,000.00
    that lowers the taxable amount to 20,000.00 (VAT 5,000.00, total 25,000.00)."""
    return e1(
        allowances_charges=(
            AllowanceCharge(False, Decimal("2000.00"), "Retention 10 %", "S", Decimal("25")),
        ),
        vat_breakdown=(VatSubtotal("S", Decimal("25"), Decimal("20000.00"), Decimal("5000.00")),),
    )


def reverse_charge() -> Document:
    """A Swedish seller to a German company: reverse charge (AE), 0 %, with the VATEX code."""
    return e1(
        buyer=GERMAN_BUYER,
        currency="EUR",
        lines=(
            dataclasses.replace(HOURS, vat_category="AE", vat_rate=Decimal("0")),
            dataclasses.replace(FEE, vat_category="AE", vat_rate=Decimal("0")),
        ),
        vat_breakdown=(
            VatSubtotal(
                "AE",
                Decimal("0"),
                Decimal("22000.00"),
                Decimal("0.00"),
                "VATEX-EU-AE",
                "Reverse charge",
            ),
        ),  # fmt: skip
        tax_currency=TaxCurrency("SEK", Decimal("0.00")),
    )


def in_euro() -> Document:
    """E1 billed in euro by a Swedish seller: the VAT shown in SEK too (BT-6, BT-111)."""
    return e1(currency="EUR", tax_currency=TaxCurrency("SEK", Decimal("60500.00")))


DOCUMENTS = {
    "e1-swedish-seller": e1,
    "e1-danish-seller": danish_e1,
    "credit-note": credit_note,
    "retention-allowance": with_retention,
    "reverse-charge": reverse_charge,
    "euro-with-tax-currency": in_euro,
}


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(value) for value in etree.fromstring(xml).xpath(path, namespaces=NSMAP)]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_passes_the_facturx_schema_and_the_cen_cii_rules(name):
    xml = cii_bytes(DOCUMENTS[name]())

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert validate_cii(xml) == []
    assert facturx.get_level(etree.fromstring(xml), "factur-x") == "en16931"


def test_the_worked_example_e1_prints_its_figures():
    xml = cii_bytes(e1())

    assert xpath(xml, "//rsm:ExchangedDocumentContext//ram:ID/text()") == [GUIDELINE_ID]
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["380"]
    assert xpath(xml, "//ram:IssueDateTime/udt:DateTimeString/@format") == ["102"]
    assert xpath(xml, "//ram:IssueDateTime/udt:DateTimeString/text()") == ["20260131"]
    assert xpath(xml, "//ram:BilledQuantity/@unitCode") == ["HUR", "C62"]
    assert xpath(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()") == ["100", "2000"]
    assert xpath(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/*/text()") == [
        "20000.00",
        "2000.00",
    ]
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert xpath(xml, summation + "*/text()") == [
        "22000.00",  # LineTotalAmount
        "22000.00",  # TaxBasisTotalAmount
        "5500.00",  # TaxTotalAmount
        "27500.00",  # GrandTotalAmount
        "27500.00",  # DuePayableAmount
    ]
    assert xpath(xml, summation + "ram:TaxTotalAmount/@currencyID") == ["SEK"]
    assert xpath(xml, "//ram:PaymentReference/text()") == ["1234574"]
    assert xpath(xml, "//ram:ProprietaryID/text()") == ["50501055"]
    assert xpath(xml, "//ram:IBANID/text()") == ["SE4550000000058398257466"]
    assert xpath(xml, "//ram:BICID/text()") == ["ESSESESS"]
    assert xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/@schemeID") == [
        "VA",
        "FC",
    ]
    assert xpath(xml, "//ram:DueDateDateTime/udt:DateTimeString/text()") == ["20260302"]
    assert xpath(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["PO-77"]
    assert xpath(xml, "//ram:ContractReferencedDocument/ram:IssuerAssignedID/text()") == ["K-100"]


def test_a_danish_seller_is_paid_by_fik_to_its_creditor_number_only():
    """CII allows one payment means code per document (CII-SR-467): the FIK, first, stays."""
    xml = cii_bytes(danish_e1())

    assert xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["93"]
    assert xpath(xml, "//ram:IBANID") == []
    assert xpath(xml, "//ram:PaymentReference/text()") == ["71#000000000000026"]
    assert xpath(xml, "//ram:ProprietaryID/text()") == ["81234567"]
    assert xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/@schemeID") == [
        "0184"
    ]


def test_a_credit_note_is_381_with_positive_amounts_and_names_the_invoice_it_corrects():
    xml = cii_bytes(credit_note())

    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    assert xpath(xml, "//ram:DuePayableAmount/text()") == ["2500.00"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [
        "SE-2026-0001"
    ]
    assert xpath(xml, "//ram:InvoiceReferencedDocument//qdt:DateTimeString/text()") == ["20260131"]
    assert xpath(xml, "//rsm:ExchangedDocument/ram:IncludedNote/ram:Content/text()") == [
        "The fee was charged twice."
    ]
    assert xpath(xml, "//ram:SpecifiedTradePaymentTerms") == []


def test_retention_is_a_document_level_allowance_with_its_vat():
    xml = cii_bytes(with_retention())

    allowance = "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeAllowanceCharge/"
    assert xpath(xml, allowance + "ram:ChargeIndicator/udt:Indicator/text()") == ["false"]
    assert xpath(xml, allowance + "ram:ActualAmount/text()") == ["2000.00"]
    assert xpath(xml, allowance + "ram:CategoryTradeTax/ram:CategoryCode/text()") == ["S"]
    assert xpath(xml, "//ram:AllowanceTotalAmount/text()") == ["2000.00"]
    assert xpath(xml, "//ram:TaxBasisTotalAmount/text()") == ["20000.00"]
    assert xpath(xml, "//ram:GrandTotalAmount/text()") == ["25000.00"]


def test_reverse_charge_gives_its_exemption_reason_and_code():
    xml = cii_bytes(reverse_charge())

    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert xpath(xml, tax + "ram:CategoryCode/text()") == ["AE"]
    assert xpath(xml, tax + "ram:ExemptionReasonCode/text()") == ["VATEX-EU-AE"]
    assert xpath(xml, tax + "ram:ExemptionReason/text()") == ["Reverse charge"]
    assert xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == [
        "DE136695976"
    ]


def test_an_invoice_in_euro_shows_its_vat_in_the_sellers_currency_too():
    xml = cii_bytes(in_euro())

    assert xpath(xml, "//ram:TaxCurrencyCode/text()") == ["SEK"]
    assert xpath(xml, "//ram:InvoiceCurrencyCode/text()") == ["EUR"]
    assert xpath(xml, "//ram:TaxTotalAmount/@currencyID") == ["EUR", "SEK"]
    assert xpath(xml, "//ram:TaxTotalAmount/text()") == ["5500.00", "60500.00"]


def test_the_same_document_gives_the_same_bytes():
    assert cii_bytes(e1()) == cii_bytes(e1())


def test_an_amount_with_more_than_two_decimals_is_refused_not_rounded():
    document = e1(lines=(dataclasses.replace(HOURS, net_amount=Decimal("20000.001")), FEE))

    with pytest.raises(ValueError, match="not rounded"):
        cii_bytes(document)


def test_a_broken_total_is_a_fatal_cen_finding_and_is_refused():
    xml = cii_bytes(e1()).replace(b"<ram:GrandTotalAmount>27500.00", b"<ram:GrandTotalAmount>1.00")

    findings = validate_cii(xml)

    assert {finding.rule_id for finding in findings} == {"BR-CO-15", "BR-CO-16"}
    assert {finding.source for finding in findings} == {"cen-cii"}
    with pytest.raises(EInvoiceRejected) as refused:
        validate_cii_or_raise(xml)
    assert refused.value.messages[0] == (
        "The Factur-X e-invoice breaks 2 rules of EN 16931, so it was not posted:"
    )


def test_a_schema_error_and_a_ubl_document_are_fatal_findings():
    broken = cii_bytes(e1()).replace(b"<ram:BuyerReference>", b"<ram:Unknown/><ram:BuyerReference>")
    ubl = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'

    assert RULE_CII_SCHEMA in {finding.rule_id for finding in validate_cii(broken)}
    assert [finding.rule_id for finding in validate_cii(ubl)] == [RULE_CII_DOCUMENT_KIND]
