"""Delivering one e-mail of a request (the task's body, docs/sending.md): render, send, log,
and mark the invoice sent when the e-mail went out.

Idempotence: the attempts of one request share its key and at most one of them is sent (a
unique constraint says so too). A task that runs again after its e-mail went out finds the
sent row under the invoice's lock and sends nothing.
"""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from invoicing.invoices.models import Invoice, InvoiceStatus
from invoicing.receivables.dispatch_models import DispatchKind, DispatchResult, InvoiceDispatch
from invoicing.receivables.emails import email_compose, open_amount_and_overdue
from invoicing.receivables.payments import invoice_mark_sent

logger = logging.getLogger(__name__)

DOCUMENTS_FAILED = "The documents could not be made: %s"
NO_LONGER_OVERDUE = "Not sent: the invoice is no longer overdue."


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
            open_amount, is_overdue = open_amount_and_overdue(invoice)
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
