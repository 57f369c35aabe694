"""Payment state of posted invoices: sent, and partly or fully paid."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy

from contracts.money import round_money
from invoicing.invoices.models import DocumentType, Invoice, InvoiceStatus

ALREADY_SENT = gettext_lazy("This invoice is already %(status)s.")
PAYMENT_NOT_POSITIVE = gettext_lazy("A payment must be more than zero.")
PAYMENT_TOO_LARGE = gettext_lazy("The payment of %(amount)s is more than the %(open)s still open.")
ALREADY_PAID = gettext_lazy("This invoice is already paid.")


CREDIT_NOTE_PAYMENT = gettext_lazy("Payments are recorded on invoices, not on credit notes.")


class PaymentRefused(ValueError):
    pass


@transaction.atomic
def invoice_mark_sent(*, invoice: Invoice, actor: AbstractBaseUser) -> Invoice:
    """Posted -> sent."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.POSTED:
        raise PaymentRefused(ALREADY_SENT % {"status": locked.get_status_display().lower()})
    locked.mark_sent()
    locked.save(update_fields=["status", "sent_at"])
    return locked


@transaction.atomic
def invoice_payment_record(
    *, invoice: Invoice, amount: Decimal, paid_on: datetime.date, actor: AbstractBaseUser
) -> Invoice:
    """Record a payment (partial or in full); the invoice is paid when nothing is open."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.document_type != DocumentType.INVOICE:
        raise PaymentRefused(CREDIT_NOTE_PAYMENT)
    if locked.status == InvoiceStatus.PAID:
        raise PaymentRefused(ALREADY_PAID)
    amount = round_money(amount, locked.currency)
    if amount <= 0:
        raise PaymentRefused(PAYMENT_NOT_POSITIVE)
    if amount > locked.open_amount:
        raise PaymentRefused(PAYMENT_TOO_LARGE % {"amount": amount, "open": locked.open_amount})
    locked.paid_amount += amount
    fields = ["paid_amount"]
    if locked.open_amount == 0:
        locked.mark_paid(on=paid_on)
        fields += ["status", "paid_at"]
    locked.save(update_fields=fields)
    return locked
