"""Payment state of posted invoices: sent, partly or fully paid, overdue, reminders."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collaboration.notifications import notifications_send
from contracts.money import round_money
from contracts.roles import finance_team
from invoicing import notification_kinds
from invoicing.models import DocumentType, Invoice, InvoiceStatus

ALREADY_SENT = gettext_lazy("This invoice is already %(status)s.")
PAYMENT_NOT_POSITIVE = gettext_lazy("A payment must be more than zero.")
PAYMENT_TOO_LARGE = gettext_lazy("The payment of %(amount)s is more than the %(open)s still open.")
ALREADY_PAID = gettext_lazy("This invoice is already paid.")
NO_EMAIL = gettext_lazy("The customer has no invoice e-mail address; add one first.")
NOT_OVERDUE = gettext_lazy("This invoice is not overdue.")
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


def receivables() -> QuerySet[Invoice]:
    """Invoices not yet paid, oldest due first, with what a receivables page shows."""
    return (
        Invoice.objects.filter(document_type=DocumentType.INVOICE)
        .exclude(status=InvoiceStatus.PAID)
        .exclude(paid_amount__gte=F("gross_total"))
        .select_related("customer", "contract")
        .order_by("due_date", "sequence_number")
    )


def overdue(today: datetime.date | None = None) -> QuerySet[Invoice]:
    return receivables().filter(due_date__lt=today or timezone.localdate())


@transaction.atomic
def invoice_reminder_send(*, invoice: Invoice, actor: AbstractBaseUser | None) -> Invoice:
    """E-mail the customer a reminder for an overdue invoice, in the customer's language."""
    locked = (
        Invoice.objects.select_for_update()
        .select_related("customer", "legal_entity")
        .get(pk=invoice.pk)
    )
    if not locked.is_overdue:
        raise PaymentRefused(NOT_OVERDUE)
    if not locked.customer.email:
        raise PaymentRefused(NO_EMAIL)
    with translation.override(locked.language):
        context = {"invoice": locked, "days": (timezone.localdate() - locked.due_date).days}
        subject = _("Reminder: invoice %(number)s is overdue") % {"number": locked.number}
        body = render_to_string("documents/reminder.txt", context)
    send_mail(
        subject,
        body,
        locked.legal_entity.email or settings.DEFAULT_FROM_EMAIL,
        [locked.customer.email],
    )
    locked.reminded_at = timezone.now()
    locked.save(update_fields=["reminded_at"])
    return locked


def overdue_reminders_send(*, actor: AbstractBaseUser | None = None) -> tuple[int, list[str]]:
    """Remind every overdue invoice's customer; returns how many were sent and the problems."""
    sent, problems = 0, []
    for invoice in overdue():
        try:
            invoice_reminder_send(invoice=invoice, actor=actor)
            sent += 1
        except PaymentRefused as refused:
            problems.append(f"{invoice.number}: {refused}")
    return sent, problems


@transaction.atomic
def overdue_invoices_notify(*, today: datetime.date | None = None) -> int:
    """Tell finance about each invoice that has become overdue, once per invoice and person
    however often this runs (daily from cron: `manage.py notify_overdue_invoices`). Returns
    how many invoices were newly reported."""
    team = list(finance_team())
    reported = 0
    for invoice in overdue(today):
        created = notifications_send(
            recipients=team,
            kind=notification_kinds.INVOICE_OVERDUE,
            params={
                "invoice": invoice.number,
                "customer": invoice.customer.name,
                "amount": str(invoice.open_amount),
                "currency": invoice.currency,
                "due_date": invoice.due_date.isoformat(),
            },
            url=invoice.get_absolute_url(),
            event_key=f"invoice-overdue:{invoice.pk}",
        )
        reported += bool(created)
    return reported
