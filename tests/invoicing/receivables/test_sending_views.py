"""Sending from the pages: the invoice page's e-mail card (address prefilled, the log, a failure
with its retry), the bulk action of the invoice list with what was refused and why, who may
send, and the invoice page's queries with a long log."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from invoicing.invoices.models import Invoice, InvoiceStatus
from invoicing.receivables.dispatch_models import InvoiceDispatch
from tests.factories import UserFactory
from tests.invoicing.receivables.test_sending import ADDRESS, FailingBackend, post

pytestmark = pytest.mark.django_db

FAILING = f"{FailingBackend.__module__}.FailingBackend"


def page(client, invoice) -> str:
    return client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_invoice_page_offers_to_send_to_the_customers_address(client, people):
    invoice = post(people, peppol=True)
    client.force_login(people["clerk"])

    html = page(client, invoice)

    assert 'id="sending"' in html
    assert f'name="to" class="form-control form-control-sm" value="{ADDRESS}"' in html
    assert "The PDF and the e-invoice XML (Peppol BIS Billing 3.0)." in html
    assert "Send by e-mail" in html and "Not e-mailed yet." in html


def test_sending_from_the_page_sends_logs_and_marks_sent(
    client, people, django_capture_on_commit_callbacks
):
    invoice = post(people)
    client.force_login(people["clerk"])
    url = reverse("invoicing:invoice_send", args=[invoice.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"to": ADDRESS, "cc": ""}, follow=True)

    assert messages_of(response) == [
        f"The e-mail to {ADDRESS} is queued; its result appears in the log below."
    ]
    assert len(mail.outbox) == 1
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.SENT
    html = page(client, invoice)  # the task ran when the request's transaction committed
    assert "Sent log" in html and f"{invoice.number}.pdf" in html and "Send again" in html
    assert "This document was sent already. Send it again?" in html


def test_a_failure_is_shown_on_the_page_with_a_retry(
    client, people, settings, django_capture_on_commit_callbacks
):
    invoice = post(people)
    client.force_login(people["clerk"])
    url = reverse("invoicing:invoice_send", args=[invoice.pk])
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"to": ADDRESS})

    html = page(client, invoice)
    assert "was not sent." in html and "Connection refused by smtp.example:587" in html
    failed = InvoiceDispatch.objects.get(invoice=invoice)
    assert f'name="retry" value="{failed.pk}"' in html
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.POSTED

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"retry": failed.pk}, follow=True)

    assert messages_of(response) == ["The e-mail is being sent again."]
    assert "was not sent." not in page(client, invoice)  # the failure is behind us
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.SENT


def test_a_bad_address_typed_on_the_page_is_explained(client, people):
    invoice = post(people)
    client.force_login(people["clerk"])
    response = client.post(
        reverse("invoicing:invoice_send", args=[invoice.pk]), {"to": "ap@"}, follow=True
    )
    assert messages_of(response) == ["ap@ is not a valid e-mail address."]
    assert not InvoiceDispatch.objects.exists()


def test_readers_see_the_log_but_cannot_send(client, people):
    invoice = post(people)
    InvoiceDispatch.objects.create(
        invoice=invoice, request_key=uuid.uuid4(), to=ADDRESS, result="sent", subject="x"
    )
    auditor = UserFactory(role="read_only")
    client.force_login(auditor)

    html = page(client, invoice)

    assert "Sent log" in html and "Send by e-mail" not in html and "Send again" not in html
    response = client.post(reverse("invoicing:invoice_send", args=[invoice.pk]), {"to": ADDRESS})
    assert response.status_code == 403
    client.force_login(people["manager"])
    assert (
        client.post(reverse("invoicing:invoices_send"), {"invoice": [invoice.pk]}).status_code
        == 403
    )


def test_the_list_sends_many_and_says_which_were_refused_and_why(
    client, people, django_capture_on_commit_callbacks
):
    ready = post(people)
    also_ready = post(people, language="en")
    without_address = post(people, email="")
    client.force_login(people["clerk"])
    listing = client.get(reverse("invoicing:invoice_list")).content.decode()
    assert 'form="bulk-send"' in listing and 'data-check-all="invoice"' in listing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invoicing:invoices_send"),
            {"invoice": [ready.pk, also_ready.pk, without_address.pk], "next": "/invoices/"},
            follow=True,
        )

    queued, refused = messages_of(response)
    assert queued == f"2 e-mails are queued: {ready.number}, {also_ready.number}."
    customer = without_address.customer.name
    assert refused == (
        f"1 invoice was not queued: {without_address.number}: {customer} has no invoice e-mail address; "
        "add one to the customer or type an address."
    )
    assert len(mail.outbox) == 2
    statuses = dict(Invoice.objects.values_list("pk", "status"))
    assert (statuses[ready.pk], statuses[without_address.pk]) == ("sent", "posted")
    # Sent invoices are no longer offered for the bulk action.
    listing = client.get(reverse("invoicing:invoice_list")).content.decode()
    assert f'value="{ready.pk}" form="bulk-send"' not in listing
    assert f'value="{without_address.pk}" form="bulk-send"' in listing


def test_the_bulk_action_without_a_selection_says_so(client, people):
    client.force_login(people["clerk"])
    response = client.post(reverse("invoicing:invoices_send"), {}, follow=True)
    assert messages_of(response) == ["Select the invoices to send first."]


def test_the_bulk_action_never_redirects_elsewhere(client, people):
    client.force_login(people["clerk"])
    response = client.post(reverse("invoicing:invoices_send"), {"next": "https://evil.example/"})
    assert response.url == reverse("invoicing:invoice_list")


def test_the_invoice_page_runs_the_same_queries_with_a_long_log(
    client, people, django_assert_max_num_queries
):
    invoice = post(people)
    client.force_login(people["clerk"])

    def log(count):
        for number in range(count):
            InvoiceDispatch.objects.create(
                invoice=invoice, request_key=uuid.uuid4(), to=ADDRESS, subject="s",
                result="failed" if number % 2 else "sent", error="refused",
                actor=UserFactory(), attachments=[{"filename": "a.pdf", "sha256": "0" * 64}],
            )  # fmt: skip

    log(1)
    with django_assert_max_num_queries(40) as few:
        page(client, invoice)
    log(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = page(client, invoice)
    assert html.count("a.pdf") == 31


def test_a_reminder_sent_does_not_make_the_invoice_a_resend(client, people):
    invoice = post(people)
    InvoiceDispatch.objects.create(
        invoice=invoice, kind="reminder", request_key=uuid.uuid4(), to=ADDRESS, result="sent"
    )
    client.force_login(people["clerk"])
    html = page(client, invoice)
    assert "Send by e-mail" in html and "Send again" not in html
