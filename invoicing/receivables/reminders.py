"""Reminders for what is overdue: one invoice or all of them by e-mail in the customer's
language, and finance told once of each newly overdue invoice."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy

from collaboration.notifications import notifications_send
from contracts.money import round_money
from contracts.roles import finance_team
from invoicing.invoices.models import Invoice
from invoicing.receivables import notification_kinds, sending
from invoicing.receivables.payments import PaymentRefused
from invoicing.receivables.selectors import invoices_with_open_amount, overdue

NO_EMAIL = gettext_lazy("The customer has no invoice e-mail address; add one first.")
NOT_OVERDUE = gettext_lazy("This invoice is not overdue.")


@transaction.atomic
def invoice_reminder_send(*, invoice: Invoice, actor: AbstractBaseUser | None) -> Invoice:
    """Queue a reminder of an overdue invoice to the customer's invoice e-mail, in the
    customer's language, with the invoice's PDF and the customer's statement attached
    (``sending.py``). The e-mail and its result are logged on the invoice like any other;
    ``reminded_at`` is set when it went out."""
    Invoice.objects.select_for_update().filter(pk=invoice.pk).get()
    # Only what is open is reminded: the open amount and "overdue" come from the ledger.
    locked = (
        invoices_with_open_amount(Invoice.objects.filter(pk=invoice.pk))
        .select_related("customer", "legal_entity")
        .get()
    )
    if not locked.is_overdue:
        raise PaymentRefused(NOT_OVERDUE)
    if not locked.customer.email:
        raise PaymentRefused(NO_EMAIL)
    sending.reminder_queue(invoice=locked, actor=actor)
    return locked


def overdue_reminders_send(*, actor: AbstractBaseUser | None = None) -> tuple[int, list[str]]:
    """Queue a reminder for every overdue invoice; returns how many were queued and the
    problems (no e-mail address)."""
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
                "amount": str(round_money(invoice.open_amount, invoice.currency)),
                "currency": invoice.currency,
                "due_date": invoice.due_date.isoformat(),
            },
            url=invoice.get_absolute_url(),
            event_key=f"invoice-overdue:{invoice.pk}",
        )
        reported += bool(created)
    return reported
