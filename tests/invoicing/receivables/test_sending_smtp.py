"""One real SMTP round trip: Django's SMTP backend hands an invoice e-mail to an aiosmtpd server
the test starts on 127.0.0.1 (a free port, bounded timeouts), and the message that arrives
carries its subject, addresses and both attachments byte for byte."""

from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from invoicing.invoices.models import EInvoice, EInvoiceSyntax, Invoice, InvoiceStatus
from invoicing.receivables import sending
from invoicing.receivables.dispatch_models import InvoiceDispatch
from tests.invoicing.receivables.test_sending import ADDRESS, post

pytestmark = pytest.mark.django_db
SECONDS = 10


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.arrived.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ready_timeout=SECONDS)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_an_invoice_email_travels_over_smtp_with_its_attachments(
    people, settings, smtp_server, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = SECONDS
    settings.DEFAULT_FROM_EMAIL = "invoices@billing.example"
    invoice = post(people, peppol=True)

    with django_capture_on_commit_callbacks(execute=True):
        sending.invoice_send(invoice=invoice, actor=people["clerk"], cc="cfo@customer.example")

    assert inbox.arrived.wait(SECONDS), "no message reached the SMTP server"
    [(mail_from, recipients, raw)] = inbox.messages
    assert mail_from == "invoices@billing.example"
    assert sorted(recipients) == sorted([ADDRESS, "cfo@customer.example"])
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert (
        message["Subject"] == f"Faktura {invoice.number} från {invoice.snapshot['seller']['name']}"
    )
    assert message["Reply-To"] == "billing@seller.example"
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {f"{invoice.number}.pdf", f"{invoice.number}.xml"}
    assert files[f"{invoice.number}.pdf"].startswith(b"%PDF-")
    stored = EInvoice.objects.get(invoice=invoice, syntax=EInvoiceSyntax.PEPPOL_BIS_UBL)
    xml = files[f"{invoice.number}.xml"]
    assert (xml if isinstance(xml, bytes) else xml.encode()) == stored.xml_bytes
    assert "Att betala: 27" in message.get_body(("plain",)).get_content()
    assert InvoiceDispatch.objects.get(invoice=invoice).result == "sent"
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.SENT


def test_a_mail_server_that_is_not_there_fails_within_the_timeout(
    people, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = SECONDS
    invoice = post(people)

    with django_capture_on_commit_callbacks(execute=True):
        sending.invoice_send(invoice=invoice, actor=people["clerk"])

    dispatch = InvoiceDispatch.objects.get(invoice=invoice)
    assert dispatch.result == "failed" and "ConnectionRefusedError" in dispatch.error
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.POSTED
