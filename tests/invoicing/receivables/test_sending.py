"""Sending posted documents by e-mail (issue 15, item 4): texts in the customer's language,
the PDF (Factur-X when posted so) and the stored UBL attached, the dispatch log, the status
moving to sent only when the e-mail went out, retries and resends, reminders with the
statement, and bulk sending with the reasons for what was refused."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from decimal import Decimal

import facturx
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import DatabaseError, IntegrityError, connection, transaction

from contracts.models import Customer, LegalEntity
from invoicing.invoices import posting
from invoicing.invoices.models import EInvoice, EInvoiceSyntax, Invoice, InvoiceStatus
from invoicing.receivables import delivery, emails, reminders, sending
from invoicing.receivables.dispatch_models import DispatchKind, DispatchResult, InvoiceDispatch
from invoicing.receivables.payments import PaymentRefused
from tests.factories import CustomerFactory, LegalEntityFactory
from tests.invoicing.invoices.test_facturx import factory_fields
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
POSTED_ON = datetime.date(2026, 1, 1)
ADDRESS = "ap@customer.example"


class FailingBackend(LocmemBackend):
    """A mail server that refuses every message."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("Connection refused by smtp.example:587")


def post(people, *, language="sv", email=ADDRESS, peppol=False, facturx_wanted=False, **entity):
    """Worked example E1 (27,500.00 gross, due 2026-01-31) for a customer in ``language``."""
    legal_entity = LegalEntityFactory(
        **(entity or {"swedish_details": True}), email="billing@seller.example"
    )
    proposal = approved_e1(people, legal_entity=legal_entity, currency=legal_entity.base_currency)
    customer = proposal.funding_source.customer or proposal.contract.customer
    fields = {"language": language, "email": email, "wants_facturx": facturx_wanted}
    if peppol or facturx_wanted:
        fields.update(factory_fields(CustomerFactory, peppol=True))
    Customer.objects.filter(pk=customer.pk).update(**fields)
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=POSTED_ON)


def send(invoice, people, capture, **options):
    with capture(execute=True):
        key = sending.invoice_send(invoice=invoice, actor=people["clerk"], **options)
    return key


def plain(text: str) -> str:
    return text.replace("\xa0", " ")


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# -- Texts per language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "lines"),
    [
        (
            "sv",
            "Faktura {number} från {seller}",
            ["Hej ", "Att betala: 27 500,00 SEK", "Förfallodag: 31 januari 2026",
             "daterad 1 januari 2026", "OCR-nummer: ", "Bankgiro: 5050-1055",
             "Med vänliga hälsningar"],
        ),
        (
            "da",
            "Faktura {number} fra {seller}",
            ["Kære ", "Beløb til betaling: 27.500,00 SEK", "Forfaldsdato: 31. januar 2026",
             "Med venlig hilsen"],
        ),
        (
            "en",
            "Invoice {number} from {seller}",
            ["Dear ", "Amount due: 27,500.00 SEK", "Due date: 31 Jan 2026", "Kind regards"],
        ),
    ],
)  # fmt: skip
def test_the_email_speaks_the_customers_language_with_its_amounts_and_dates(
    people, capture, language, subject, lines
):
    invoice = post(people, language=language)
    seller = invoice.snapshot["seller"]["name"]

    send(invoice, people, capture)

    [message] = mail.outbox
    assert message.subject == subject.format(number=invoice.number, seller=seller)
    body = plain(message.body)
    for line in lines:
        assert line in body, (line, body)
    assert body.rstrip().endswith(seller)


def test_the_sender_is_the_legal_entity_and_replies_go_to_its_address(people, capture, settings):
    settings.DEFAULT_FROM_EMAIL = "invoices@billing.example"
    invoice = post(people)

    send(invoice, people, capture)

    [message] = mail.outbox
    seller = invoice.snapshot["seller"]["name"]
    assert message.from_email == f"{seller} <invoices@billing.example>"
    assert message.reply_to == ["billing@seller.example"]
    assert message.to == [ADDRESS]


def test_a_credit_note_is_sent_as_a_corrective_invoice_naming_the_invoice_it_corrects(
    people, capture
):
    from tests.invoicing.receivables.test_payments import credit_note

    invoice = post(people, language="en")
    note = credit_note(invoice, people)

    send(note, people, capture)

    [message] = mail.outbox
    assert message.subject.startswith(f"Corrective invoice {note.number} from ")
    assert f"which corrects invoice {invoice.number}" in message.body
    assert "Amount credited: 4,512.50 SEK" in plain(message.body)
    assert Invoice.objects.get(pk=note.pk).status == InvoiceStatus.SENT


# -- Attachments --------------------------------------------------------------------------


def test_a_peppol_customer_gets_the_pdf_and_the_stored_ubl_byte_for_byte(people, capture):
    invoice = post(people, peppol=True)
    stored = EInvoice.objects.get(invoice=invoice, syntax=EInvoiceSyntax.PEPPOL_BIS_UBL)

    send(invoice, people, capture)

    [message] = mail.outbox
    (pdf_name, pdf, pdf_type), (xml_name, xml, xml_type) = message.attachments
    assert (pdf_name, pdf_type) == (f"{invoice.number}.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF-")
    assert (xml_name, xml_type) == (f"{invoice.number}.xml", "application/xml")
    assert xml == stored.xml_bytes
    [dispatch] = InvoiceDispatch.objects.filter(invoice=invoice)
    assert [file["sha256"] for file in dispatch.attachments] == [
        hashlib.sha256(pdf).hexdigest(),
        stored.sha256,
    ]
    assert "Peppol BIS Billing 3.0" in message.body


def test_a_customer_without_peppol_gets_the_pdf_only(people, capture):
    invoice = post(people)

    send(invoice, people, capture)

    [message] = mail.outbox
    assert [name for name, _content, _type in message.attachments] == [f"{invoice.number}.pdf"]


def test_a_facturx_customer_gets_the_facturx_pdf_with_the_stored_cii_inside(people, capture):
    invoice = post(people, facturx_wanted=True)

    send(invoice, people, capture)

    [message] = mail.outbox
    [(name, pdf, _type)] = message.attachments  # no second XML: the CII is inside
    _xml_name, xml = facturx.get_facturx_xml_from_pdf(pdf)
    stored = EInvoice.objects.get(invoice=invoice, syntax=EInvoiceSyntax.FACTURX_CII)
    assert xml == stored.xml_bytes
    assert "Factur-X" in message.body


# -- Status, log, failures, idempotence ---------------------------------------------------


def test_the_invoice_moves_to_sent_when_the_email_went_out_and_the_log_says_so(people, capture):
    invoice = post(people)
    assert invoice.status == InvoiceStatus.POSTED

    key = send(invoice, people, capture, cc="controller@customer.example")

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.SENT and invoice.sent_at is not None
    [dispatch] = InvoiceDispatch.objects.filter(invoice=invoice)
    assert (dispatch.result, dispatch.attempt, dispatch.request_key) == ("sent", 1, key)
    assert (dispatch.to, dispatch.cc, dispatch.actor) == (
        ADDRESS,
        "controller@customer.example",
        people["clerk"],
    )
    assert dispatch.subject == mail.outbox[0].subject
    assert mail.outbox[0].cc == ["controller@customer.example"]


def test_a_mail_server_failure_is_logged_and_leaves_the_status(people, capture, settings):
    invoice = post(people)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    send(invoice, people, capture)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED and invoice.sent_at is None
    [dispatch] = InvoiceDispatch.objects.filter(invoice=invoice)
    assert dispatch.result == DispatchResult.FAILED
    assert "Connection refused by smtp.example:587" in dispatch.error
    assert dispatch.attachments  # what would have gone is known


def test_a_failed_email_is_retried_as_the_next_attempt_of_the_same_request(
    people, capture, settings
):
    invoice = post(people)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    send(invoice, people, capture)
    failed = InvoiceDispatch.objects.get(invoice=invoice)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    with capture(execute=True):
        sending.dispatch_retry(dispatch=failed, actor=people["clerk"])

    retried = InvoiceDispatch.objects.filter(invoice=invoice).order_by("attempt")
    assert [(row.attempt, row.result) for row in retried] == [(1, "failed"), (2, "sent")]
    assert len(mail.outbox) == 1
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.SENT
    with pytest.raises(sending.SendingRefused, match="later attempt"):
        sending.dispatch_retry(dispatch=failed, actor=people["clerk"])
    with pytest.raises(sending.SendingRefused, match="Only an e-mail that failed"):
        sending.dispatch_retry(dispatch=retried.last(), actor=people["clerk"])


def test_a_task_run_again_after_success_sends_nothing(people, capture):
    invoice = post(people)
    key = send(invoice, people, capture)
    dispatch = InvoiceDispatch.objects.get(invoice=invoice)

    again = delivery.dispatch_deliver(
        invoice_id=invoice.pk, kind=DispatchKind.DOCUMENT, to=[ADDRESS], cc=[],
        actor_id=people["clerk"].pk, request_key=str(key),
    )  # fmt: skip

    assert again is None
    assert len(mail.outbox) == 1
    assert list(InvoiceDispatch.objects.filter(invoice=invoice)) == [dispatch]


def test_sending_again_is_explicit_and_sends_again(people, capture):
    invoice = post(people)
    send(invoice, people, capture)
    sent_at = Invoice.objects.get(pk=invoice.pk).sent_at

    send(invoice, people, capture, to="other@customer.example")

    assert [message.to for message in mail.outbox] == [[ADDRESS], ["other@customer.example"]]
    assert InvoiceDispatch.objects.filter(invoice=invoice, result="sent").count() == 2
    assert Invoice.objects.get(pk=invoice.pk).sent_at == sent_at  # still sent, first date


def test_one_request_is_sent_at_most_once_by_the_database_too(people, capture):
    invoice = post(people)
    key = send(invoice, people, capture)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceDispatch.objects.create(
            invoice=invoice, request_key=key, attempt=2, to=ADDRESS, result="sent"
        )


def test_documents_that_cannot_be_made_are_logged_as_failed(people, capture, monkeypatch):
    invoice = post(people)

    def broken(_invoice):
        raise RuntimeError("font missing")

    monkeypatch.setattr(emails.documents, "invoice_pdf", broken)
    send(invoice, people, capture)

    [dispatch] = InvoiceDispatch.objects.filter(invoice=invoice)
    assert dispatch.result == "failed" and "font missing" in dispatch.error
    assert mail.outbox == []
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.POSTED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_log_cannot_be_edited_or_deleted_on_postgresql(people, capture):
    invoice = post(people)
    send(invoice, people, capture)
    dispatch = InvoiceDispatch.objects.get(invoice=invoice)
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        InvoiceDispatch.objects.filter(pk=dispatch.pk).update(result="failed")
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        InvoiceDispatch.objects.filter(pk=dispatch.pk).delete()


# -- Refusals -----------------------------------------------------------------------------


def test_no_address_is_refused_in_words_and_queues_nothing(people, capture):
    invoice = post(people, email="")
    with pytest.raises(sending.SendingRefused, match="has no invoice e-mail address"):
        send(invoice, people, capture)
    assert not InvoiceDispatch.objects.exists() and mail.outbox == []


@pytest.mark.parametrize("to", ["not-an-address", "ap@", "a@b.example, nope"])
def test_an_invalid_address_is_refused(people, capture, to):
    invoice = post(people)
    with pytest.raises(sending.SendingRefused, match="is not a valid e-mail address"):
        send(invoice, people, capture, to=to)
    assert mail.outbox == []


def test_a_typed_address_is_used_when_the_customer_has_none(people, capture):
    invoice = post(people, email="")
    send(invoice, people, capture, to="typed@customer.example")
    assert mail.outbox[0].to == ["typed@customer.example"]


# -- Bulk ---------------------------------------------------------------------------------


def test_bulk_queues_the_posted_and_refuses_the_rest_with_the_reason(people, capture):
    ready = post(people)
    without_address = post(people, email="")
    already = post(people)
    send(already, people, capture)
    mail.outbox.clear()

    with capture(execute=True):
        result = sending.invoices_send(
            invoices=[ready, without_address, already], actor=people["clerk"]
        )

    assert result.queued == [ready]
    reasons = {invoice.pk: reason for invoice, reason in result.refused}
    assert "has no invoice e-mail address" in reasons[without_address.pk]
    assert "already sent; open the invoice to send it again" in reasons[already.pk]
    assert [message.to for message in mail.outbox] == [[ADDRESS]]
    assert Invoice.objects.get(pk=ready.pk).status == InvoiceStatus.SENT


def test_a_bulk_task_finding_its_invoice_sent_meanwhile_sends_nothing(people, capture):
    invoice = post(people)
    send(invoice, people, capture)

    nothing = delivery.dispatch_deliver(
        invoice_id=invoice.pk, kind=DispatchKind.DOCUMENT, to=[ADDRESS], cc=[], actor_id=None,
        request_key=str(uuid.uuid4()), only_if_unsent=True,
    )  # fmt: skip

    assert nothing is None and len(mail.outbox) == 1


# -- Reminders ----------------------------------------------------------------------------


def test_a_reminder_attaches_the_invoice_and_the_statement_and_is_logged(people, capture):
    invoice = post(people, language="da")  # due 2026-01-31: overdue

    with capture(execute=True):
        reminders.invoice_reminder_send(invoice=invoice, actor=people["clerk"])

    [message] = mail.outbox
    assert message.subject.startswith(f"Påmindelse: faktura {invoice.number}")
    assert "Det udestående beløb er 27.500,00 SEK." in plain(message.body)
    names = [name for name, _content, _type in message.attachments]
    assert names[0] == f"{invoice.number}.pdf" and names[1].startswith("statement-")
    assert all(content.startswith(b"%PDF-") for _name, content, _type in message.attachments)
    [dispatch] = InvoiceDispatch.objects.filter(invoice=invoice)
    assert (dispatch.kind, dispatch.result) == (DispatchKind.REMINDER, "sent")
    assert len(dispatch.attachments) == 2
    invoice.refresh_from_db()
    assert invoice.reminded_at is not None
    assert invoice.status == InvoiceStatus.POSTED  # a reminder is not the invoice being sent


def test_a_reminder_whose_invoice_was_paid_before_the_task_ran_is_not_sent(people, capture):
    from tests.invoicing.receivables.test_payments import pay

    invoice = post(people)
    pay(invoice, people, "27500")

    dispatch = delivery.dispatch_deliver(
        invoice_id=invoice.pk, kind=DispatchKind.REMINDER, to=[ADDRESS], cc=[], actor_id=None,
        request_key=str(uuid.uuid4()),
    )  # fmt: skip

    assert dispatch.result == "failed" and "no longer overdue" in dispatch.error
    assert mail.outbox == []


def test_a_reminder_without_an_address_is_refused(people):
    invoice = post(people, email="")
    with pytest.raises(PaymentRefused, match="no invoice e-mail"):
        reminders.invoice_reminder_send(invoice=invoice, actor=people["clerk"])


def test_a_danish_seller_paid_by_fik_gives_the_fik_line(people, capture):
    invoice = post(people, language="da", danish=True)
    send(invoice, people, capture)
    body = mail.outbox[0].body
    assert "FIK-betaling: +71<" in body
    assert LegalEntity.objects.get(pk=invoice.legal_entity_id).country == "DK"
