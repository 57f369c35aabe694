"""The e-mail of a posted document or of a reminder (docs/sending.md): its subject and body in
the customer's language from ``templates/documents/emails/<language>/``, its sender, and the
files it carries (the PDF, the stored UBL for Peppol customers, the statement for reminders).
Reads only; ``delivery.py`` sends and logs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formataddr

from django.conf import settings
from django.template.loader import select_template
from django.utils import timezone, translation

from invoicing.invoices import documents
from invoicing.invoices.facturx import facturx_wanted
from invoicing.invoices.models import DocumentType, EInvoice, EInvoiceSyntax, Invoice
from invoicing.invoices.snapshots import snapshot_context
from invoicing.receivables.dispatch_models import DispatchKind
from invoicing.receivables.selectors import invoice_with_payment_state
from invoicing.receivables.statement_documents import statement_document_context, statement_pdf


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def record(self) -> dict:
        """What the log keeps of it: the name, type, size and SHA-256, not the bytes."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.content),
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    attachments: list[Attachment]
    from_email: str
    reply_to: list[str]


def email_language(invoice: Invoice) -> str:
    """The e-mail speaks the customer's language as it is now (sv, da or en); a customer whose
    language is not one we write falls back to the document's."""
    language = getattr(invoice.customer, "language", "") or invoice.language
    return language if language in dict(settings.LANGUAGES) else invoice.language


def wants_einvoice_xml(invoice: Invoice) -> bool:
    """The Peppol UBL goes with the e-mail when the customer has a Peppol endpoint set (it
    reads UBL, and the copy lets it book the invoice before or without its access point). A
    Factur-X customer already has the CII inside the PDF and gets no second XML; a customer
    with neither gets the PDF only."""
    customer = invoice.customer
    return bool(customer.peppol_scheme and customer.peppol_identifier) and not facturx_wanted(
        invoice
    )


def document_attachments(invoice: Invoice) -> list[Attachment]:
    """The PDF the download gives (Factur-X when the document was posted as Factur-X) and,
    for customers who read e-invoices, the stored Peppol UBL byte for byte."""
    files = [Attachment(f"{invoice.number}.pdf", documents.invoice_pdf(invoice), "application/pdf")]
    if wants_einvoice_xml(invoice):
        stored = EInvoice.objects.filter(
            invoice=invoice, syntax=EInvoiceSyntax.PEPPOL_BIS_UBL
        ).first()
        if stored is not None:
            files.append(Attachment(stored.filename, stored.xml_bytes, "application/xml"))
    return files


def statement_attachment(invoice: Invoice, *, language: str) -> Attachment:
    """The customer's statement in the invoice's currency up to today: the PDF the statement
    page's PDF button gives."""
    with translation.override(language):
        context = statement_document_context(invoice.customer, currency=invoice.currency)
        pdf = statement_pdf(context)
    name = f"statement-{invoice.customer.code or invoice.customer_id}-{context['date_to']}.pdf"
    return Attachment(name, pdf, "application/pdf")


def reminder_attachments(invoice: Invoice, *, language: str) -> list[Attachment]:
    """A reminder carries the invoice's PDF and the customer's statement."""
    pdf = Attachment(f"{invoice.number}.pdf", documents.invoice_pdf(invoice), "application/pdf")
    return [pdf, statement_attachment(invoice, language=language)]


def _template(language: str, name: str):
    return select_template([f"documents/emails/{language}/{name}", f"documents/emails/en/{name}"])


def email_texts(
    invoice: Invoice, *, kind: str, attachments: Iterable[Attachment], open_amount=None
) -> tuple[str, str]:
    """Subject and body of the e-mail, from ``templates/documents/emails/<language>/`` in the
    customer's language, amounts and dates formatted for it."""
    language = email_language(invoice)
    frozen = snapshot_context(invoice.snapshot)
    files = list(attachments)
    with translation.override(language):
        context = {
            "invoice": invoice,
            "title": documents.document_title(invoice),
            "is_credit_note": invoice.document_type == DocumentType.CREDIT_NOTE,
            "amount": abs(invoice.gross_total),
            "open_amount": open_amount,
            "days_overdue": (timezone.localdate() - invoice.due_date).days,
            "entity": frozen["entity"],
            "customer": frozen["customer"],
            "payment_reference": frozen["payment_reference"],
            "credited": frozen["credited"],
            "attachments": files,
            "einvoice_attached": any(file.filename.endswith(".xml") for file in files),
            "facturx": facturx_wanted(invoice),
        }
        prefix = "reminder" if kind == DispatchKind.REMINDER else "invoice"
        subject = _template(language, f"{prefix}_subject.txt").render(context)
        body = _template(language, f"{prefix}_body.txt").render(context)
    return " ".join(subject.split()), body.strip() + "\n"


def email_sender(invoice: Invoice) -> tuple[str, list[str]]:
    """From: the legal entity's name (as on the document) at DEFAULT_FROM_EMAIL, so the mail
    server's domain sends it; Reply-To: the entity's own e-mail, where the customer's answers
    belong."""
    name = (invoice.snapshot or {}).get("seller", {}).get("name") or invoice.legal_entity.name
    reply_to = [invoice.legal_entity.email] if invoice.legal_entity.email else []
    return formataddr((name, settings.DEFAULT_FROM_EMAIL)), reply_to


def email_compose(invoice: Invoice, *, kind: str, open_amount=None) -> Email:
    """The whole e-mail of a document or a reminder: texts, files, sender."""
    language = email_language(invoice)
    if kind == DispatchKind.REMINDER:
        files = reminder_attachments(invoice, language=language)
    else:
        files = document_attachments(invoice)
    subject, body = email_texts(invoice, kind=kind, attachments=files, open_amount=open_amount)
    from_email, reply_to = email_sender(invoice)
    return Email(subject, body, files, from_email, reply_to)


def open_amount_and_overdue(invoice: Invoice) -> tuple:
    """What is open on the invoice and whether it is overdue, from the receivables ledger."""
    annotated = invoice_with_payment_state(invoice)
    return annotated.open_amount, annotated.is_overdue


def email_preview(invoice: Invoice, *, kind: str = DispatchKind.DOCUMENT) -> tuple[str, str]:
    """Subject and body as the customer would read them, without rendering any PDF (the
    attachment names are what they would be)."""
    names = [Attachment(f"{invoice.number}.pdf", b"", "application/pdf")]
    if kind == DispatchKind.DOCUMENT and wants_einvoice_xml(invoice):
        names.append(Attachment(f"{invoice.number}.xml", b"", "application/xml"))
    if kind == DispatchKind.REMINDER:
        names.append(Attachment("statement.pdf", b"", "application/pdf"))
    open_amount = open_amount_and_overdue(invoice)[0] if kind == DispatchKind.REMINDER else None
    return email_texts(invoice, kind=kind, attachments=names, open_amount=open_amount)
