"""Factur-X (issue 14, item 5): for a buyer that wants it, the invoice PDF is a PDF/A-3b that
carries the e-invoice inside, as the UN/CEFACT CII XML of the Factur-X EN 16931 profile
(ZUGFeRD 2 is the same format).

Whether a document is Factur-X is frozen at posting (the snapshot's ``buyer.wants_facturx``),
so a posted document's PDF never changes kind. Posting (``einvoices.einvoice_started``) writes
the CII from the same ``Document`` as the Peppol UBL, checks it offline (the Factur-X XML
Schema and CEN's EN 16931 rules for CII: a fatal finding rolls the posting back) and stores it
as an ``EInvoice`` of syntax ``factur-x-cii``. The PDF (``documents.invoice_pdf``) is rendered
as PDF/A-3b by WeasyPrint (fonts embedded, an sRGB OutputIntent) and the stored bytes are
embedded by the ``factur-x`` package as ``factur-x.xml``: one ``/AF`` entry (relationship
Alternative, ``text/xml``) and one XMP metadata stream declaring PDF/A-3B and the Factur-X
extension schema. The package's online schematron check is never called.
"""

from __future__ import annotations

import hashlib

from einvoice.cii import cii_bytes
from einvoice.document import Document
from einvoice.validation import validate_cii_or_raise
from invoicing.invoices.models import EInvoice, EInvoiceSyntax, Invoice

FLAVOR = "factur-x"
LEVEL = "en16931"
#: The CII is the PDF's content in machine-readable form, not data derived from it.
AF_RELATIONSHIP = "alternative"


def facturx_wanted(invoice: Invoice) -> bool:
    """The buyer wanted Factur-X when the document was posted (a snapshot taken before the
    setting existed, or without it, says no)."""
    return bool((invoice.snapshot or {}).get("buyer", {}).get("wants_facturx"))


def facturx_einvoice_create(*, invoice: Invoice, document: Document) -> EInvoice:
    """Write, check and store the CII of a document being posted (inside the posting
    transaction, from the ``Document`` its UBL was written from). A fatal finding raises
    ``EInvoiceRejected``, so the posting rolls back."""
    xml = cii_bytes(document)
    validate_cii_or_raise(xml)
    return EInvoice.objects.create(
        invoice=invoice,
        syntax=EInvoiceSyntax.FACTURX_CII,
        xml=xml.decode("utf-8"),
        sha256=hashlib.sha256(xml).hexdigest(),
    )


def facturx_xml(invoice: Invoice) -> bytes | None:
    """The stored CII bytes of a Factur-X document, None for a plain one. A Factur-X document
    without its CII is a defect of ours and raises ``EInvoice.DoesNotExist``."""
    if not facturx_wanted(invoice):
        return None
    return EInvoice.objects.get(invoice=invoice, syntax=EInvoiceSyntax.FACTURX_CII).xml_bytes


def facturx_finisher(_document, pdf) -> None:
    """WeasyPrint's last step before writing a PDF/A-3b that becomes Factur-X: leave out its
    ``/Producer``. The ``factur-x`` package replaces the XMP with its own, whose
    ``pdf:Producer`` is "pypdf", and PDF/A wants every entry of the Info dictionary to say
    what the XMP says (ISO 19005-3, 6.6.2.3.1); an XMP property alone is allowed."""
    pdf.info.pop("Producer", None)


def facturx_pdf(pdf_a3: bytes, xml: bytes, *, title: str, author: str, language: str) -> bytes:
    """A PDF/A-3b (as WeasyPrint renders it) with the CII embedded: exactly one ``/AF``
    file, ``factur-x.xml``, exactly these bytes, and the XMP metadata replaced by one stream
    that declares PDF/A-3B and the Factur-X extension schema. The XML Schema is checked once
    more by the package (offline); its schematron check, a network call, is off."""
    import facturx  # imported late: pypdf and the XSDs are needed for Factur-X PDFs only

    return facturx.generate_from_binary(
        pdf_a3,
        xml,
        flavor=FLAVOR,
        level=LEVEL,
        check_xsd=True,
        check_schematron=False,
        pdf_metadata={
            "author": author,
            "keywords": "Factur-X",
            "title": title,
            "subject": title,
        },
        lang=language,
        afrelationship=AF_RELATIONSHIP,
    )
