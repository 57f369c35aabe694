"""Sending posted documents to customers by e-mail (issue 15, item 4; docs/sending.md).

- ``invoice_send``: one invoice or credit note, from its page or the API; checks the address
  and queues a task. ``invoices_send``: many at once from the invoice list; each is queued or
  refused with its reason.
- the task (``tasks.py``) runs ``delivery.dispatch_deliver``: it renders the documents
  (``emails.py``), sends the e-mail with Django's e-mail API and writes one ``InvoiceDispatch``
  row whatever happens. The invoice moves posted -> sent only when the mail server took it.

Idempotence: each request (a click, an API call, a row of a bulk send) has a key; its attempts
share it and at most one of them is sent (a unique constraint says so too). A task that runs
again after its e-mail went out finds the sent row under the invoice's lock and sends nothing.
A clerk who sends again makes a new request: a resend is always explicit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy

from invoicing.invoices.models import Invoice, InvoiceStatus
from invoicing.receivables.dispatch_models import DispatchKind, DispatchResult, InvoiceDispatch
from invoicing.receivables.payments import PaymentRefused
from invoicing.receivables.tasks import invoice_dispatch_task

NO_ADDRESS = gettext_lazy(
    "%(customer)s has no invoice e-mail address; add one to the customer or type an address."
)
ADDRESS_INVALID = gettext_lazy("%(address)s is not a valid e-mail address.")
ALREADY_SENT_USE_PAGE = gettext_lazy("already %(status)s; open the invoice to send it again.")
NOT_A_FAILED_DISPATCH = gettext_lazy("Only an e-mail that failed can be tried again.")
RETRY_ALREADY_SENT = gettext_lazy("This e-mail went out on a later attempt; nothing to retry.")
NOTHING_SELECTED = gettext_lazy("Select the invoices to send first.")
TOO_MANY_RECIPIENTS = gettext_lazy("An e-mail goes to at most %(count)s addresses.")

MAX_RECIPIENTS = 10


class SendingRefused(PaymentRefused):
    """An e-mail that cannot be queued (no or invalid address, nothing to retry)."""


@dataclass
class BulkSend:
    """What a bulk send did: the invoices queued, and those refused with the reason."""

    queued: list[Invoice] = field(default_factory=list)
    refused: list[tuple[Invoice, str]] = field(default_factory=list)


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
