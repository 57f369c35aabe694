"""Sending posted documents to customers by e-mail (issue 15, item 4; docs/sending.md).

- ``invoice_send``: one invoice or credit note, from its page or the API; checks the address
  and queues a task. ``invoices_send``: many at once from the invoice list; each is queued or
  refused with its reason.
- ``dispatch_deliver`` (the task's body): renders the documents, builds the e-mail in the
  customer's language, sends it with Django's e-mail API and writes one ``InvoiceDispatch``
  row whatever happens. The invoice moves posted -> sent only when the mail server took it.

Idempotence: each request (a click, an API call, a row of a bulk send) has a key; its attempts
share it and at most one of them is sent (a unique constraint says so too). A task that runs
again after its e-mail went out finds the sent row under the invoice's lock and sends nothing.
A clerk who sends again makes a new request: a resend is always explicit.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formataddr
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.http import QueryDict
from django.template.loader import select_template
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from invoicing.invoices import documents
from invoicing.invoices.facturx import facturx_wanted
from invoicing.invoices.models import (
    DocumentType,
    EInvoice,
    EInvoiceSyntax,
    Invoice,
    InvoiceStatus,
)
from invoicing.invoices.snapshots import snapshot_context
from invoicing.receivables.dispatch_models import DispatchKind, DispatchResult, InvoiceDispatch
from invoicing.receivables.payments import PaymentRefused, invoice_mark_sent

logger = logging.getLogger(__name__)

NO_ADDRESS = gettext_lazy(
    "%(customer)s has no invoice e-mail address; add one to the customer or type an address."
)
ADDRESS_INVALID = gettext_lazy("%(address)s is not a valid e-mail address.")
ALREADY_SENT_USE_PAGE = gettext_lazy("already %(status)s; open the invoice to send it again.")
NOT_A_FAILED_DISPATCH = gettext_lazy("Only an e-mail that failed can be tried again.")
RETRY_ALREADY_SENT = gettext_lazy("This e-mail went out on a later attempt; nothing to retry.")
NOTHING_SELECTED = gettext_lazy("Select the invoices to send first.")
TOO_MANY_RECIPIENTS = gettext_lazy("An e-mail goes to at most %(count)s addresses.")
DOCUMENTS_FAILED = "The documents could not be made: %s"
NO_LONGER_OVERDUE = "Not sent: the invoice is no longer overdue."

MAX_RECIPIENTS = 10


class SendingRefused(PaymentRefused):
    """An e-mail that cannot be queued (no or invalid address, nothing to retry)."""


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


@dataclass
class BulkSend:
    """What a bulk send did: the invoices queued, and those refused with the reason."""

    queued: list[Invoice] = field(default_factory=list)
    refused: list[tuple[Invoice, str]] = field(default_factory=list)


# -- What is sent ---------------------------------------------------------------------------


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
    """The customer's statement in the invoice's currency as of today: the PDF the statement
    page's PDF button gives."""
    from invoicing.receivables.views import statement_context  # the page's own context

    request = SimpleNamespace(GET=QueryDict(f"currency={invoice.currency}"))
    with translation.override(language):
        context = statement_context(request, invoice.customer)
        pdf = documents.html_pdf("documents/statement.html", context)
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


# -- Queuing --------------------------------------------------------------------------------


def _addresses(value: str | Iterable[str] | None) -> list[str]:
    if not value:
        return []
    parts = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    return [part.strip() for part in parts if part and part.strip()]


def recipients_check(*, invoice: Invoice, to: str | None, cc) -> tuple[list[str], list[str]]:
    """The addresses the e-mail goes to: ``to`` or the customer's invoice e-mail, and the
    copies; each must be a valid address. Raises ``SendingRefused`` in the clerk's words."""
    recipients = _addresses(to) or _addresses(invoice.customer.email)
    if not recipients:
        raise SendingRefused(NO_ADDRESS % {"customer": invoice.customer.name})
    copies = _addresses(cc)
    for address in [*recipients, *copies]:
        try:
            validate_email(address)
        except ValidationError:
            raise SendingRefused(ADDRESS_INVALID % {"address": address}) from None
    if len(recipients) + len(copies) > MAX_RECIPIENTS:
        raise SendingRefused(TOO_MANY_RECIPIENTS % {"count": MAX_RECIPIENTS})
    return recipients, copies


def _enqueue(*, invoice: Invoice, kind: str, to, cc, actor, key, only_if_unsent=False) -> None:
    from invoicing.receivables.tasks import invoice_dispatch_task  # the task imports us

    arguments = {
        "invoice_id": invoice.pk,
        "kind": str(kind),
        "to": list(to),
        "cc": list(cc),
        "actor_id": getattr(actor, "pk", None),
        "request_key": str(key),
        "only_if_unsent": only_if_unsent,
    }
    transaction.on_commit(lambda: invoice_dispatch_task.enqueue(**arguments))


@transaction.atomic
def invoice_send(
    *,
    invoice: Invoice,
    actor: AbstractBaseUser | None,
    to: str | None = None,
    cc: str | Iterable[str] | None = None,
) -> uuid.UUID:
    """Queue the e-mail of a posted invoice or credit note to ``to`` (default: the customer's
    invoice e-mail), with copies to ``cc``. Each call is a new request: calling it again sends
    again. Returns the request's key (its attempts are logged under it)."""
    invoice = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    recipients, copies = recipients_check(invoice=invoice, to=to, cc=cc)
    key = uuid.uuid4()
    _enqueue(invoice=invoice, kind=DispatchKind.DOCUMENT, to=recipients, cc=copies, actor=actor,
             key=key)  # fmt: skip
    return key


@transaction.atomic
def dispatch_retry(*, dispatch: InvoiceDispatch, actor: AbstractBaseUser | None) -> uuid.UUID:
    """Try a failed e-mail again: the same request, the same addresses, the next attempt."""
    if dispatch.result != DispatchResult.FAILED:
        raise SendingRefused(NOT_A_FAILED_DISPATCH)
    if InvoiceDispatch.objects.filter(
        request_key=dispatch.request_key, result=DispatchResult.SENT
    ).exists():
        raise SendingRefused(RETRY_ALREADY_SENT)
    _enqueue(
        invoice=dispatch.invoice,
        kind=dispatch.kind,
        to=_addresses(dispatch.to),
        cc=_addresses(dispatch.cc),
        actor=actor,
        key=dispatch.request_key,
    )
    return dispatch.request_key


@transaction.atomic
def invoices_send(*, invoices: Iterable[Invoice], actor: AbstractBaseUser | None) -> BulkSend:
    """Queue one e-mail per posted invoice or credit note not sent yet, to the customer's
    invoice e-mail. Each one refused keeps its reason (no address, an invalid one, already
    sent: a resend is made from the invoice's page). A task finding its invoice sent meanwhile
    (the same selection sent twice) sends nothing."""
    result = BulkSend()
    chosen = Invoice.objects.select_related("customer").filter(
        pk__in=[invoice.pk for invoice in invoices]
    )
    for invoice in chosen.order_by("legal_entity_id", "sequence_number"):
        if invoice.status != InvoiceStatus.POSTED:
            status = invoice.get_status_display().lower()
            result.refused.append((invoice, str(ALREADY_SENT_USE_PAGE % {"status": status})))
            continue
        try:
            recipients, copies = recipients_check(invoice=invoice, to=None, cc=None)
        except SendingRefused as refused:
            result.refused.append((invoice, str(refused)))
            continue
        _enqueue(invoice=invoice, kind=DispatchKind.DOCUMENT, to=recipients, cc=copies,
                 actor=actor, key=uuid.uuid4(), only_if_unsent=True)  # fmt: skip
        result.queued.append(invoice)
    return result


def reminder_queue(*, invoice: Invoice, actor: AbstractBaseUser | None) -> uuid.UUID:
    """Queue a reminder of an overdue invoice to the customer's invoice e-mail (checked by
    ``reminders.invoice_reminder_send``)."""
    recipients, copies = recipients_check(invoice=invoice, to=None, cc=None)
    key = uuid.uuid4()
    _enqueue(invoice=invoice, kind=DispatchKind.REMINDER, to=recipients, cc=copies, actor=actor,
             key=key)  # fmt: skip
    return key


# -- Delivering (the task) ------------------------------------------------------------------


def _open_amount(invoice: Invoice):
    from invoicing.receivables.selectors import invoice_with_payment_state

    annotated = invoice_with_payment_state(invoice)
    return annotated.open_amount, annotated.is_overdue


def dispatch_deliver(
    *,
    invoice_id: int,
    kind: str,
    to: list[str],
    cc: list[str],
    actor_id: int | None,
    request_key: str,
    only_if_unsent: bool = False,
) -> InvoiceDispatch | None:
    """Render, send and log one attempt of a request. Returns the log row, or None when there
    was nothing to do: the request was already sent (a task run again), or a bulk request's
    invoice was sent meanwhile. Never raises for a mail or rendering failure: it is logged as
    failed, the invoice keeps its status and the page offers to try again."""
    key = uuid.UUID(str(request_key))
    sent = InvoiceDispatch.objects.filter(request_key=key, result=DispatchResult.SENT)
    if sent.exists():
        return None
    invoice = Invoice.objects.select_related("customer", "legal_entity").get(pk=invoice_id)
    if only_if_unsent and invoice.status != InvoiceStatus.POSTED:
        return None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    email, error, open_amount = None, "", None
    try:
        if kind == DispatchKind.REMINDER:
            open_amount, is_overdue = _open_amount(invoice)
            if not is_overdue:
                error = NO_LONGER_OVERDUE
        if not error:
            email = email_compose(invoice, kind=kind, open_amount=open_amount)
    except Exception as failure:  # noqa: BLE001 - logged on the invoice with its reason
        logger.exception("Documents of invoice %s could not be made for e-mail", invoice_id)
        error = DOCUMENTS_FAILED % failure
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice_id)
        if sent.exists():  # another run of this request sent it while we rendered
            return None
        attempt = InvoiceDispatch.objects.filter(request_key=key).count() + 1
        result = DispatchResult.FAILED
        if email is not None:
            message = EmailMessage(
                email.subject, email.body, email.from_email, to, cc=cc, reply_to=email.reply_to
            )
            for file in email.attachments:
                message.attach(file.filename, file.content, file.content_type)
            try:
                message.send()
                result = DispatchResult.SENT
            except Exception as failure:  # noqa: BLE001 - any mail error is logged as failed
                logger.warning("E-mail of invoice %s failed: %s", invoice_id, failure)
                error = f"{type(failure).__name__}: {failure}".strip().rstrip(":")
        dispatch = InvoiceDispatch.objects.create(
            invoice=locked,
            kind=kind,
            request_key=key,
            attempt=attempt,
            to=", ".join(to),
            cc=", ".join(cc),
            subject=email.subject[:300] if email else "",
            attachments=[file.record() for file in email.attachments] if email else [],
            result=result,
            error=error,
            actor=actor,
        )
        if result == DispatchResult.SENT:
            if kind == DispatchKind.DOCUMENT and locked.status == InvoiceStatus.POSTED:
                invoice_mark_sent(invoice=locked, actor=actor)
            elif kind == DispatchKind.REMINDER:
                locked.reminded_at = timezone.now()
                locked.save(update_fields=["reminded_at"])
    return dispatch


def email_preview(invoice: Invoice, *, kind: str = DispatchKind.DOCUMENT) -> tuple[str, str]:
    """Subject and body as the customer would read them, without rendering any PDF (the
    attachment names are what they would be)."""
    names = [Attachment(f"{invoice.number}.pdf", b"", "application/pdf")]
    if kind == DispatchKind.DOCUMENT and wants_einvoice_xml(invoice):
        names.append(Attachment(f"{invoice.number}.xml", b"", "application/xml"))
    if kind == DispatchKind.REMINDER:
        names.append(Attachment("statement.pdf", b"", "application/pdf"))
    open_amount = _open_amount(invoice)[0] if kind == DispatchKind.REMINDER else None
    return email_texts(invoice, kind=kind, attachments=names, open_amount=open_amount)
