"""The e-invoice outbox: the validated e-invoices no access point has picked up yet, and the
pick-up (acknowledgement) that takes one out of it.

Sending over the Peppol network needs a contract with an access-point provider; the outbox is
where such an integration reads from (the page, or ``/api/v1/einvoices/``) and what it answers
once the provider has the document, so that integration stays a small adapter.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from invoicing.invoices.models import EInvoice, EInvoiceAcknowledgement, EInvoiceSyntax

ALREADY_PICKED_UP = gettext_lazy("The e-invoice of %(number)s was already picked up on %(date)s.")
NOT_ALLOWED = gettext_lazy("Your role cannot mark e-invoices as picked up.")
REFERENCE_TOO_LONG = gettext_lazy("The message reference has at most 200 characters.")


def einvoices_listed(*, waiting: bool = True) -> QuerySet[EInvoice]:
    """Peppol e-invoices with what their lists show, oldest first: those still waiting in the
    outbox, or (``waiting=False``) those picked up, newest pick-up first. A Factur-X CII travels
    inside its PDF, not through the outbox."""
    einvoices = (
        EInvoice.objects.filter(syntax=EInvoiceSyntax.PEPPOL_BIS_UBL)
        .select_related(
            "invoice__customer", "invoice__legal_entity", "acknowledgement__acknowledged_by"
        )
        .defer("xml")
    )
    if waiting:
        return einvoices.filter(acknowledgement__isnull=True).order_by("pk")
    return einvoices.filter(acknowledgement__isnull=False).order_by(
        "-acknowledgement__acknowledged_at"
    )


def peppol_einvoice(*, invoice) -> EInvoice | None:
    """The Peppol BIS UBL e-invoice of a posted document (what the outbox sends), with its
    pick-up; None for documents posted before e-invoices were made."""
    return (
        EInvoice.objects.filter(invoice=invoice, syntax=EInvoiceSyntax.PEPPOL_BIS_UBL)
        .select_related("acknowledgement")
        .defer("xml")
        .first()
    )


def einvoice_acknowledge(
    *, einvoice: EInvoice, actor: AbstractBaseUser, message_reference: str = ""
) -> EInvoiceAcknowledgement:
    """Take an e-invoice out of the outbox: it has been picked up (by ``actor``, with the
    access point's ``message_reference``). Once only; a second pick-up is refused and says
    when the first was."""
    if not actor.has_perm("invoicing.add_einvoiceacknowledgement"):
        raise PermissionDenied(NOT_ALLOWED)
    message_reference = message_reference.strip()
    if len(message_reference) > 200:
        raise ValidationError(REFERENCE_TOO_LONG)
    try:
        with transaction.atomic():
            return EInvoiceAcknowledgement.objects.create(
                einvoice=einvoice, acknowledged_by=actor, message_reference=message_reference
            )
    except IntegrityError:
        first = EInvoiceAcknowledgement.objects.get(einvoice=einvoice)
        raise ValidationError(
            ALREADY_PICKED_UP
            % {
                "number": einvoice.invoice.number,
                "date": first.acknowledged_at.strftime("%Y-%m-%d %H:%M"),
            }
        ) from None
