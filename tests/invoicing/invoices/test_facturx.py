"""Factur-X (issue 14, item 5): a customer who wants it gets one PDF that is both the printed
invoice (PDF/A-3b) and the e-invoice (the CII stored at posting, embedded byte for byte)."""

from __future__ import annotations

import datetime
import io
import subprocess
from decimal import Decimal

import facturx
import pikepdf
import pytest
from django.db import DatabaseError, connection, transaction
from lxml import etree

from contracts.models import Customer
from einvoice.cii import cii_bytes
from einvoice.validation import EInvoiceRejected
from invoicing.invoices import credits, posting
from invoicing.invoices.documents import invoice_pdf
from invoicing.invoices.facturx import facturx_wanted
from invoicing.invoices.models import EInvoice, EInvoiceSyntax, Invoice
from invoicing.proposals.models import ProposalStatus
from tests.factories import CustomerFactory, LegalEntityFactory
from tests.invoicing.invoices.test_credits import approve_and_post
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
POSTED_ON = datetime.date(2026, 4, 1)
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def approved(people, *, wants_facturx: bool = True, **entity_traits):
    """Worked example E1, approved, for a Peppol customer that wants Factur-X or not."""
    entity = LegalEntityFactory(**(entity_traits or {"swedish_details": True}))
    proposal = approved_e1(people, legal_entity=entity, currency=entity.base_currency)
    customer = proposal.funding_source.customer or proposal.contract.customer
    Customer.objects.filter(pk=customer.pk).update(
        **factory_fields(CustomerFactory, peppol=True), wants_facturx=wants_facturx
    )
    return proposal


def factory_fields(factory_class, **traits) -> dict:
    """The fields a factory's traits set (here: a Peppol customer's endpoint and reference)."""
    built = factory_class.build(**traits)
    return {
        field: getattr(built, field)
        for field in ("vat_number", "peppol_scheme", "peppol_identifier", "buyer_reference")
    }


def post(people, **options) -> Invoice:
    proposal = approved(people, **options)
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=POSTED_ON)


def stored_cii(invoice: Invoice) -> bytes:
    return EInvoice.objects.get(invoice=invoice, syntax=EInvoiceSyntax.FACTURX_CII).xml_bytes


def fonts_of(pdf: pikepdf.Pdf):
    """Every font dictionary the pages use, with a Type0 font's descendants."""
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for _name, font in fonts.items():
            yield font
            yield from font.get("/DescendantFonts", [])


def xmp_streams(pdf: pikepdf.Pdf) -> list:
    return [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/Metadata"
    ]


def test_posting_for_a_facturx_customer_stores_the_checked_cii_beside_the_ubl(people):
    invoice = post(people)

    syntaxes = set(invoice.einvoices.values_list("syntax", flat=True))
    assert syntaxes == {EInvoiceSyntax.PEPPOL_BIS_UBL, EInvoiceSyntax.FACTURX_CII}
    assert invoice.snapshot["buyer"]["wants_facturx"] is True
    xml = stored_cii(invoice)
    root = etree.fromstring(xml)
    namespaces = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}  # fmt: skip
    assert root.xpath("//ram:DuePayableAmount/text()", namespaces=namespaces) == ["27500.00"]
    assert root.xpath("//ram:TaxTotalAmount/text()", namespaces=namespaces) == ["5500.00"]
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")


def test_the_facturx_pdf_is_one_pdfa3b_with_the_stored_cii_inside(people):
    invoice = post(people)

    pdf_bytes = invoice_pdf(invoice)

    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        root = pdf.Root
        [attached] = list(root.AF)
        assert attached.AFRelationship == "/Alternative"
        assert str(attached.F) == str(attached.UF) == "factur-x.xml"
        assert attached.EF.F.Subtype == "/text/xml"
        assert attached.EF.F.read_bytes() == stored_cii(invoice)
        assert list(pdf.attachments) == ["factur-x.xml"]

        [metadata] = xmp_streams(pdf)
        assert metadata.objgen == root.Metadata.objgen
        xmp = root.Metadata.read_bytes().decode("utf-8")
        assert "<pdfaid:part>3</pdfaid:part>" in xmp
        assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
        assert "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp
        assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
        assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp

        fonts = list(fonts_of(pdf))
        assert fonts
        for font in fonts:
            if font.Subtype in ("/Type0", "/Type3"):
                continue  # a Type0's glyphs are its descendant's; a Type3 draws its own
            assert any(key in font.FontDescriptor for key in FONT_FILES), font.BaseFont

        # The Info dictionary says nothing the XMP contradicts (PDF/A 6.6.2.3.1).
        assert "/Producer" not in pdf.docinfo
        assert str(pdf.docinfo.Title) == f"{invoice.snapshot['seller']['name']}: Faktura 1"
        assert f'<rdf:li xml:lang="x-default">{pdf.docinfo.Title}</rdf:li>' in xmp

        [intent] = list(root.OutputIntents)
        assert intent.S == "/GTS_PDFA1"
        assert "/DestOutputProfile" in intent

    assert facturx.get_xml_from_pdf(pdf_bytes, check_xsd=True) == (
        "factur-x.xml",
        stored_cii(invoice),
    )


def test_a_danish_sellers_facturx_pdf_carries_its_cii_paid_to_its_iban(people):
    """A Danish seller without a FIK creditor number is paid to its IBAN (SEPA, 58)."""
    invoice = post(people, danish=True, fik_creditor_number="")

    _name, xml = facturx.get_facturx_xml_from_pdf(invoice_pdf(invoice))

    assert xml == stored_cii(invoice)
    assert b"<ram:TypeCode>58</ram:TypeCode>" in xml
    assert b"<ram:IBANID>DK5000400440116243</ram:IBANID>" in xml


def test_a_credit_note_for_a_facturx_customer_carries_a_381_cii(people):
    invoice = post(people)
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason="Wrong customer", rebill=False, actor=people["clerk"]
    )
    note = approve_and_post(proposal, people)

    _name, xml = facturx.get_facturx_xml_from_pdf(invoice_pdf(note))

    assert xml == stored_cii(note)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert b"<ram:DuePayableAmount>27500.00</ram:DuePayableAmount>" in xml
    assert f"<ram:IssuerAssignedID>{invoice.number}</ram:IssuerAssignedID>".encode() in xml


def test_a_customer_without_the_setting_gets_the_plain_pdf(people):
    invoice = post(people, wants_facturx=False)

    pdf_bytes = invoice_pdf(invoice)

    assert list(invoice.einvoices.values_list("syntax", flat=True)) == [
        EInvoiceSyntax.PEPPOL_BIS_UBL
    ]
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        assert "/AF" not in pdf.Root
        assert "/OutputIntents" not in pdf.Root
        assert list(pdf.attachments) == []
    assert facturx.get_xml_from_pdf(pdf_bytes) == (False, False)


def test_changing_the_customers_setting_after_posting_changes_nothing(people):
    facturx_invoice = post(people)
    plain_invoice = post(people, wants_facturx=False)

    Customer.objects.filter(pk=facturx_invoice.customer_id).update(wants_facturx=False)
    Customer.objects.filter(pk=plain_invoice.customer_id).update(wants_facturx=True)
    facturx_invoice = Invoice.objects.get(pk=facturx_invoice.pk)
    plain_invoice = Invoice.objects.get(pk=plain_invoice.pk)

    assert facturx_wanted(facturx_invoice) and not facturx_wanted(plain_invoice)
    assert facturx.get_facturx_xml_from_pdf(invoice_pdf(facturx_invoice))[1] == stored_cii(
        facturx_invoice
    )
    assert facturx.get_xml_from_pdf(invoice_pdf(plain_invoice)) == (False, False)


def test_a_snapshot_without_the_setting_is_a_plain_pdfs():
    assert facturx_wanted(Invoice(snapshot={"version": 2, "buyer": {"name": "A"}})) is False
    assert facturx_wanted(Invoice(snapshot={})) is False


def test_a_cii_that_breaks_an_en16931_rule_rolls_the_posting_back(people, monkeypatch):
    def broken(document):
        xml = cii_bytes(document)
        return xml.replace(b"<ram:GrandTotalAmount>27500.00", b"<ram:GrandTotalAmount>1.00")

    monkeypatch.setattr("invoicing.invoices.facturx.cii_bytes", broken)
    proposal = approved(people)

    with pytest.raises(EInvoiceRejected) as refused:
        posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=POSTED_ON)

    assert refused.value.messages[0] == (
        "The Factur-X e-invoice breaks 2 rules of EN 16931, so it was not posted:"
    )
    assert not Invoice.objects.exists()
    assert not EInvoice.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED


def test_the_facturx_pdf_prints_the_invoice(people):
    invoice = post(people)

    text = subprocess.run(
        ["pdftotext", "-", "-"], input=invoice_pdf(invoice), capture_output=True, check=True
    ).stdout.decode()

    assert invoice.number in text
    assert "27" in text and "500,00" in text.replace("\u00a0", " ").replace(" 500", "500")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_stored_cii_is_final_like_the_invoice(people):
    """Migration 0018's guard covers the e-invoices of every syntax after 0019: a CII cannot be
    changed, deleted or added once its invoice is posted."""
    invoice = post(people, wants_facturx=False)
    facturx_invoice = post(people)
    cii = EInvoice.objects.get(invoice=facturx_invoice, syntax=EInvoiceSyntax.FACTURX_CII)

    for change in (
        lambda: EInvoice.objects.filter(pk=cii.pk).update(xml="<changed/>"),
        lambda: EInvoice.objects.filter(pk=cii.pk).delete(),
        lambda: EInvoice.objects.create(
            invoice=invoice, syntax=EInvoiceSyntax.FACTURX_CII, xml="<late/>", sha256="0" * 64
        ),
    ):
        with pytest.raises(DatabaseError, match="Posted invoices are final"), transaction.atomic():
            change()

    assert EInvoice.objects.get(pk=cii.pk).xml_bytes == stored_cii(facturx_invoice)
    assert invoice.einvoices.count() == 1


def test_a_danish_seller_with_fik_is_paid_by_fik_in_both_syntaxes(people):
    invoice = post(people, danish=True)

    _name, xml = facturx.get_facturx_xml_from_pdf(invoice_pdf(invoice))

    assert b"<ram:TypeCode>93</ram:TypeCode>" in xml
    peppol = EInvoice.objects.get(invoice=invoice, syntax=EInvoiceSyntax.PEPPOL_BIS_UBL)
    assert b"<cbc:PaymentMeansCode>93</cbc:PaymentMeansCode>" in peppol.xml_bytes
