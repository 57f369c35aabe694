"""Sending over the API: POST /api/v1/invoices/{id}/send/ queues the e-mail with the UI's
checks and permission, GET .../dispatches/ reads the log."""

from __future__ import annotations

import pytest
from django.core import mail

from invoicing.invoices.models import Invoice, InvoiceStatus
from invoicing.receivables.dispatch_models import InvoiceDispatch
from tests.api.test_api import api
from tests.factories import UserFactory
from tests.invoicing.receivables.test_sending import ADDRESS, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    """Who posts the invoices sent here (tests/invoicing/conftest.py has the same)."""
    return {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "approver": UserFactory(username="lars", role="approver"),
    }


def send_url(invoice) -> str:
    return f"/api/v1/invoices/{invoice.pk}/send/"


def test_sending_over_the_api_queues_sends_and_logs(people, django_capture_on_commit_callbacks):
    invoice = post(people, peppol=True)
    clerk = api("finance_clerk")

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(send_url(invoice), {"cc": "cfo@customer.example"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert (body["invoice"], body["queued"]) == (invoice.pk, True)
    [message] = mail.outbox
    assert message.to == [ADDRESS] and message.cc == ["cfo@customer.example"]
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.SENT

    log = api("read_only", "auditor").get(f"/api/v1/invoices/{invoice.pk}/dispatches/")

    assert log.status_code == 200
    [row] = log.json()["results"]
    assert row["request_key"] == body["request"]
    assert (row["result"], row["attempt"], row["to"], row["actor"]) == (
        "sent", 1, ADDRESS, "finance_clerk",
    )  # fmt: skip
    assert [file["filename"] for file in row["attachments"]] == [
        f"{invoice.number}.pdf",
        f"{invoice.number}.xml",
    ]
    assert all(len(file["sha256"]) == 64 for file in row["attachments"])


def test_the_api_refuses_in_words_when_there_is_no_address(people):
    invoice = post(people, email="")
    response = api("finance_clerk").post(send_url(invoice), {}, format="json")
    assert response.status_code == 400
    assert "has no invoice e-mail address" in response.json()["non_field_errors"][0]
    assert not InvoiceDispatch.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"), [({"to": "nope"}, "non_field_errors"), ({"cc": ["a"] * 3}, "cc")]
)
def test_the_api_refuses_malformed_input(people, payload, field):
    invoice = post(people)
    response = api("finance_clerk").post(send_url(invoice), payload, format="json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("role", ["read_only", "approver", "project_manager"])
def test_only_finance_sends_over_the_api(people, role):
    invoice = post(people)
    response = api(role).post(send_url(invoice), {}, format="json")
    assert response.status_code == 403
    assert mail.outbox == []


def test_an_unknown_invoice_is_404(people):
    assert api("finance_clerk").post("/api/v1/invoices/999999/send/", {}).status_code == 404
    assert api("read_only").get("/api/v1/invoices/999999/dispatches/").status_code == 404
