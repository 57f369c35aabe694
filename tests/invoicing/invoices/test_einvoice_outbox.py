"""The e-invoice on the invoice page and the API, and the outbox an access point reads from:
download the exact stored bytes, list what waits, mark a pick-up once."""

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from invoicing.invoices import outbox, posting
from invoicing.invoices.models import EInvoice, EInvoiceAcknowledgement
from tests.api.test_api import api
from tests.factories import UserFactory
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db


def peppol(invoice):
    return invoice.einvoices.get(syntax="peppol-bis-3-ubl")


def posted(people):
    return posting.invoice_post(
        proposal=approved_e1(people), actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )


def test_the_invoice_page_offers_the_xml_and_its_checksum(client, people):
    invoice = posted(people)
    stored = EInvoice.objects.get(invoice=invoice)
    client.force_login(people["clerk"])
    page = client.get(invoice.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert stored.sha256 in text
    assert "Väntar på att hämtas" in text or "Waiting to be picked up" in text
    download = client.get(reverse("invoicing:einvoice_xml", args=[invoice.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    assert download["Content-Disposition"] == f'attachment; filename="{invoice.number}.xml"'
    assert hashlib.sha256(download.content).hexdigest() == stored.sha256
    assert download["X-Content-SHA256"] == stored.sha256


def test_the_outbox_lists_what_waits_and_a_pick_up_takes_it_out(client, people, settings):
    settings.LANGUAGE_CODE = "en"
    first, second = posted(people), posted(people)
    client.force_login(people["clerk"])
    page = client.get(reverse("invoicing:einvoice_outbox"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "2 waiting" in page.content.decode()
    response = client.post(
        reverse("invoicing:einvoice_acknowledge", args=[peppol(first).pk]),
        {"message_reference": "AP-0001"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    page = client.get(reverse("invoicing:einvoice_outbox"), HTTP_ACCEPT_LANGUAGE="en")
    assert "1 waiting" in page.content.decode()
    assert [einvoice.invoice for einvoice in outbox.einvoices_listed()] == [second]
    acknowledgement = EInvoiceAcknowledgement.objects.get()
    assert (acknowledgement.acknowledged_by, acknowledgement.message_reference) == (
        people["clerk"],
        "AP-0001",
    )


def test_the_outbox_page_runs_the_same_queries_for_two_or_six_einvoices(
    client, people, django_assert_max_num_queries
):
    posted(people), posted(people)
    client.force_login(people["clerk"])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("invoicing:einvoice_outbox")).status_code == 200
    for _ in range(4):
        posted(people)
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("invoicing:einvoice_outbox"))
    assert page.status_code == 200


def test_a_pick_up_is_recorded_once(people):
    invoice = posted(people)
    outbox.einvoice_acknowledge(einvoice=peppol(invoice), actor=people["clerk"])
    with pytest.raises(ValidationError, match="was already picked up on"):
        outbox.einvoice_acknowledge(einvoice=peppol(invoice), actor=people["clerk"])
    assert EInvoiceAcknowledgement.objects.count() == 1


def test_only_finance_marks_a_pick_up(people):
    invoice = posted(people)
    with pytest.raises(PermissionDenied):
        outbox.einvoice_acknowledge(einvoice=peppol(invoice), actor=UserFactory(role="read_only"))
    assert not EInvoiceAcknowledgement.objects.exists()


def test_an_access_point_reads_the_outbox_through_the_api(people):
    invoice = posted(people)
    stored = EInvoice.objects.get(invoice=invoice)
    access_point = api("finance_clerk", username="access-point")
    [waiting] = access_point.get("/api/v1/einvoices/").json()["results"]
    assert (waiting["number"], waiting["sha256"], waiting["picked_up_at"]) == (
        invoice.number,
        stored.sha256,
        None,
    )
    xml = access_point.get(f"/api/v1/invoices/{invoice.pk}/einvoice/")
    assert xml.status_code == 200 and xml.content == stored.xml_bytes
    assert access_point.get(f"/api/v1/invoices/{invoice.pk}/").json()["einvoice_sha256"] == (
        stored.sha256
    )
    done = access_point.post(
        f"/api/v1/einvoices/{stored.pk}/acknowledge/",
        {"message_reference": "msg-42"},
        format="json",
    )
    assert done.status_code == 201
    assert done.json()["message_reference"] == "msg-42"
    assert access_point.get("/api/v1/einvoices/").json()["results"] == []
    [picked] = access_point.get("/api/v1/einvoices/?picked_up=true").json()["results"]
    assert picked["id"] == stored.pk
    again = access_point.post(f"/api/v1/einvoices/{stored.pk}/acknowledge/", {}, format="json")
    assert again.status_code == 400
    assert "already picked up" in str(again.json())


def test_a_message_reference_too_long_is_refused_by_the_api(people):
    invoice = posted(people)
    access_point = api("finance_clerk", username="access-point")
    refused = access_point.post(
        f"/api/v1/einvoices/{peppol(invoice).pk}/acknowledge/",
        {"message_reference": "x" * 201},
        format="json",
    )
    assert refused.status_code == 400
    assert "message_reference" in refused.json()
    assert not EInvoiceAcknowledgement.objects.exists()
