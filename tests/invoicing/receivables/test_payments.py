"""Payment state: sent, partial and full payments, overdue, receivables and reminders."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from invoicing.invoices import posting
from invoicing.invoices.models import InvoiceStatus
from invoicing.receivables import payments, reminders, selectors
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def invoice(people):
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = "INV-"
    entity.save()
    return posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 1, 1)
    )


def test_posted_sent_partly_paid_then_paid(invoice, people):
    clerk = people["clerk"]
    invoice = payments.invoice_mark_sent(invoice=invoice, actor=clerk)
    assert invoice.status == InvoiceStatus.SENT and invoice.sent_at
    invoice = payments.invoice_payment_record(
        invoice=invoice, amount=D("7500"), paid_on=datetime.date(2026, 2, 1), actor=clerk
    )
    assert (invoice.status, invoice.paid_amount, invoice.open_amount) == (
        InvoiceStatus.SENT,
        D("7500.00"),
        D("20000.00"),
    )
    assert invoice.is_partly_paid
    invoice = payments.invoice_payment_record(
        invoice=invoice, amount=D("20000"), paid_on=datetime.date(2026, 2, 5), actor=clerk
    )
    assert (invoice.status, invoice.paid_at, invoice.open_amount) == (
        InvoiceStatus.PAID,
        datetime.date(2026, 2, 5),
        D("0.00"),
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "more than zero"), ("-5", "more than zero"), ("27500.01", "more than the")],
)
def test_bad_payments_are_refused(invoice, people, amount, message):
    with pytest.raises(payments.PaymentRefused, match=message):
        payments.invoice_payment_record(
            invoice=invoice,
            amount=D(amount),
            paid_on=datetime.date(2026, 2, 1),
            actor=people["clerk"],
        )
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0


def test_overdue_invoices_are_in_receivables_and_get_a_reminder(invoice, people, client):
    customer = invoice.customer
    customer.email = "ap@customer.example"
    customer.save()
    assert invoice.is_overdue  # due 2026-01-31, today is later
    assert list(selectors.overdue()) == [invoice]
    sent, problems = reminders.overdue_reminders_send(actor=people["clerk"])
    assert (sent, problems) == (1, [])
    assert mail.outbox[0].to == ["ap@customer.example"]
    assert "INV-1" in mail.outbox[0].subject
    assert "27 500,00" in mail.outbox[0].body.replace("\xa0", " ")  # Swedish customer
    client.force_login(people["clerk"])
    html = client.get(reverse("invoicing:receivables") + "?overdue=1").content.decode()
    assert "INV-1" in html
    assert "Overdue" in html


def test_reminder_needs_an_email_address(invoice, people):
    with pytest.raises(payments.PaymentRefused, match="no invoice e-mail"):
        reminders.invoice_reminder_send(invoice=invoice, actor=people["clerk"])


def test_payment_from_the_invoice_page(client, invoice, people):
    client.force_login(people["clerk"])
    url = reverse("invoicing:invoice_payment", args=[invoice.pk])
    client.post(url, {"operation": "payment", "amount": "1 000,50", "paid_on": "2026-02-01"})
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("1000.50")
    response = client.post(url, {"operation": "payment", "amount": "abc"}, follow=True)
    assert "Enter the amount paid as a number" in response.content.decode()


def test_read_only_cannot_record_payments(client, invoice, user_with_role):
    client.force_login(user_with_role("read_only"))
    response = client.post(
        reverse("invoicing:invoice_payment", args=[invoice.pk]), {"operation": "sent"}
    )
    assert response.status_code == 403
