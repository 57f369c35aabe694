"""The API of bank files and payments: preview (nothing booked), confirm, the same file twice,
malformed files, and recording a payment with the checks of the UI."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invoicing.receivables import selectors
from invoicing.receivables.bank_files.bgmax import BgMaxPaymentOut
from invoicing.receivables.bank_files.models import BankFile, BankFilePayment
from invoicing.receivables.models import Payment
from tests.api.test_api import api
from tests.invoicing.conftest import people  # noqa: F401
from tests.invoicing.receivables.bank_files.conftest import bgmax_of, invoices, ocr  # noqa: F401
from tests.invoicing.receivables.bank_files.test_bgmax import read

pytestmark = pytest.mark.django_db
D = Decimal


def send(client, content: bytes, name="bgmax.txt"):
    return client.post(
        "/api/v1/bank-files/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )


def test_upload_previews_then_confirm_books(invoices):  # noqa: F811
    clerk = api("finance_clerk")
    first = invoices[0]
    content = bgmax_of(
        BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(first)),
        BgMaxPaymentOut(amount=D("5.00"), payer_name="Nobody"),
    )
    response = send(clerk, content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "previewed" and body["already_imported"] is False
    matched, waiting = body["payments"]
    assert matched["match_kind"] == "matched"
    assert matched["allocations"] == [
        {"invoice": first.pk, "number": first.number, "amount": "27500.00"}
    ]
    assert matched["reasons"] == [f"OCR 133 is invoice {first.number}."]
    assert waiting["match_kind"] == "unmatched"
    [summary] = body["summary"]
    assert summary["total"] == "27505.00"
    assert summary["matched"] == {"count": 1, "amount": "27500.00"}
    assert Payment.objects.count() == 0

    again = send(clerk, content, name="again.txt")
    assert again.status_code == 200 and again.json()["already_imported"] is True
    assert BankFile.objects.count() == 1

    confirmed = clerk.post(f"/api/v1/bank-files/{body['id']}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert [row["state"] for row in confirmed.json()["payments"]] == ["booked", "unmatched"]
    assert selectors.invoice_open_amount(first) == 0
    twice = clerk.post(f"/api/v1/bank-files/{body['id']}/confirm/")
    assert twice.status_code == 400
    assert twice.json()["non_field_errors"] == ["This bank file is already confirmed."]

    listed = clerk.get("/api/v1/bank-files/").json()
    assert [row["file_name"] for row in listed["results"]] == ["bgmax.txt"]
    payments = clerk.get("/api/v1/payments/").json()["results"]
    assert payments[0]["allocations"] == [
        {"invoice": first.pk, "invoice_number": first.number, "amount": "27500.00"}
    ]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("bgmax_wrong_length.txt", "Line 8: a BgMax record has exactly 80 characters"),
        ("camt054_unknown_currency.xml", "the currency 'KRN' is not known"),
    ],
)
def test_a_malformed_file_answers_400_and_writes_nothing(name, words, db):
    response = send(api("finance_clerk"), read(name), name=name)
    assert response.status_code == 400
    assert words in response.json()["file"][0]
    assert (BankFile.objects.count(), BankFilePayment.objects.count()) == (0, 0)


def test_readers_see_but_cannot_upload(db):
    reader = api("read_only")
    assert reader.get("/api/v1/bank-files/").status_code == 200
    assert reader.get("/api/v1/payments/").status_code == 200
    assert send(reader, read("camt054_v02.xml")).status_code == 403
    assert reader.post("/api/v1/payments/", {}, format="json").status_code == 403


def test_record_a_payment_with_the_checks_of_the_ui(invoices):  # noqa: F811
    clerk = api("finance_clerk")
    first = invoices[0]
    body = {
        "customer": first.customer_id,
        "currency": "SEK",
        "amount": "30000.00",
        "paid_on": "2026-02-03",
        "method": "bankgiro",
        "reference": ocr(first),
        "allocations": [{"invoice": first.pk}],
    }
    refused = clerk.post("/api/v1/payments/", body, format="json")
    assert refused.status_code == 400
    assert "keep the surplus as customer credit" in refused.json()["non_field_errors"][0]
    assert Payment.objects.count() == 0

    recorded = clerk.post(
        "/api/v1/payments/", {**body, "keep_surplus_as_credit": True}, format="json"
    )
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["allocations"][0]["amount"] == "27500.00"
    assert selectors.customer_credit_available(first.customer, "SEK") == D("2500.00")
    assert clerk.get(f"/api/v1/payments/{recorded.json()['id']}/").status_code == 200


def test_an_unknown_currency_is_refused_before_the_ledger(invoices):  # noqa: F811
    response = api("finance_clerk").post(
        "/api/v1/payments/",
        {"customer": invoices[0].customer_id, "currency": "ZZZ", "amount": "10.00",
         "paid_on": "2026-02-03", "keep_surplus_as_credit": True},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["currency"] == ["ZZZ is not a currency code (SEK, DKK, EUR...)."]
    assert Payment.objects.count() == 0
