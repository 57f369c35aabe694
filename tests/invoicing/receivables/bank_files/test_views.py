"""The bank file pages as a clerk uses them: upload, preview, confirm, history, the queue and
matching by hand; each runs a bounded number of queries whatever the number of payments."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoicing.receivables import selectors
from invoicing.receivables.bank_files import services
from invoicing.receivables.bank_files.bgmax import BgMaxPaymentOut
from invoicing.receivables.bank_files.models import BankFile, BankFilePayment
from invoicing.receivables.models import Payment
from tests.invoicing.receivables.bank_files.conftest import bgmax_of, ocr
from tests.invoicing.receivables.bank_files.test_bgmax import read

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def clerk(client, people):
    client.force_login(people["clerk"])
    return client


def upload(client, content: bytes, name="bgmax.txt"):
    return client.post(
        reverse("invoicing:bank_file_upload"),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def many_payments(invoices, count=30) -> bytes:
    """One payment by OCR of the first invoice, then ``count`` nobody can match."""
    return bgmax_of(
        BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoices[0]), payer_name="Kund AB"),
        *(
            BgMaxPaymentOut(amount=D(f"{index}.11"), payer_name=f"Payer {index}")
            for index in range(1, count + 1)
        ),
    )


def test_upload_preview_confirm_as_a_clerk_sees_it(clerk, invoices, django_assert_max_num_queries):
    first = invoices[0]
    response = upload(clerk, many_payments(invoices))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview: nothing is booked yet." in html
    assert f"OCR 133 is invoice {first.number}." in html
    assert "No reference, invoice number or amount fits an open invoice." in html
    assert "Partly matched" in html and "Unmatched" in html
    bank_file = BankFile.objects.get()
    assert Payment.objects.count() == 0

    with django_assert_max_num_queries(12):
        clerk.get(bank_file.get_absolute_url())

    response = clerk.post(reverse("invoicing:bank_file_confirm", args=[bank_file.pk]), follow=True)
    assert "The matched payments were booked." in response.content.decode()
    assert selectors.invoice_open_amount(first) == 0
    assert Payment.objects.count() == 1


def test_history_and_queue_run_bounded_queries(
    clerk, invoices, people, django_assert_max_num_queries
):
    for index in range(3):
        content = many_payments(invoices, count=10 + index)
        bank_file = services.bank_file_upload(
            content=content, file_name=f"f{index}.txt", actor=people["clerk"]
        ).bank_file
        if index == 0:
            services.bank_file_confirm(bank_file=bank_file, actor=people["clerk"])
    with django_assert_max_num_queries(12):
        response = clerk.get(reverse("invoicing:bank_file_list"))
    html = response.content.decode()
    assert "f0.txt" in html and "f2.txt" in html
    with django_assert_max_num_queries(12):
        response = clerk.get(reverse("invoicing:bank_payment_queue"))
    assert response.content.decode().count("Match by hand") == 10


def test_the_same_file_twice_says_so(clerk, invoices):
    content = many_payments(invoices, count=1)
    upload(clerk, content)
    response = upload(clerk, content, name="again.txt")
    assert "This file was already imported on" in response.content.decode()
    assert BankFile.objects.count() == 1


def test_a_malformed_file_is_refused_with_its_line_and_nothing_written(clerk, invoices):
    response = upload(clerk, read("bgmax_bad_closing_count.txt"), name="bad.txt")
    html = response.content.decode()
    assert "bad.txt was not imported. Line 24: the closing record counts 6 payment records" in html
    assert (BankFile.objects.count(), BankFilePayment.objects.count()) == (0, 0)


def test_match_by_hand_and_keep_as_credit(clerk, invoices, people):
    first, second, *_rest = invoices
    bank_file = services.bank_file_upload(
        content=bgmax_of(
            BgMaxPaymentOut(amount=D("27600.00"), payer_name="Someone"),
            BgMaxPaymentOut(amount=D("12.00"), payer_name="Someone"),
        ),
        file_name="hand.txt",
        actor=people["clerk"],
    ).bank_file
    services.bank_file_confirm(bank_file=bank_file, actor=people["clerk"])
    big, small = bank_file.payments.order_by("position")
    url = reverse("invoicing:bank_payment_match", args=[big.pk])

    html = clerk.get(url).content.decode()
    assert "Choose the customer who paid to see their open invoices." in html
    html = clerk.get(f"{url}?customer={first.customer_id}").content.decode()
    assert first.number in html and second.number in html

    response = clerk.post(
        url,
        {"customer": first.customer_id, f"amount_{first.pk}": "27,500.00", "operation": "book"},
        follow=True,
    )
    assert "keep the surplus as customer credit" in response.content.decode()
    assert Payment.objects.count() == 0

    response = clerk.post(
        url,
        {
            "customer": first.customer_id,
            f"amount_{first.pk}": "27,500.00",
            "keep_surplus_as_credit": "on",
            "operation": "book",
        },
        follow=True,
    )
    assert "The payment was booked." in response.content.decode()
    assert selectors.invoice_open_amount(first) == 0

    response = clerk.post(
        reverse("invoicing:bank_payment_match", args=[small.pk]),
        {"customer": second.customer_id, "operation": "credit"},
        follow=True,
    )
    assert "The payment was kept as customer credit." in response.content.decode()
    assert selectors.customer_credit_available(first.customer, "SEK") == D("112.00")
    assert "Every payment is matched." in response.content.decode()


def test_pages_in_swedish_and_danish(client, invoices, people):
    services.bank_file_upload(
        content=many_payments(invoices, count=1), file_name="sv.txt", actor=people["clerk"]
    )
    bank_file = BankFile.objects.get()
    client.force_login(people["clerk"])
    for language, words in (
        ("sv", ("Bankfiler", "OCR 133 är faktura")),
        ("da", ("Bankfiler", "OCR 133 er faktura")),
    ):
        client.post(reverse("set_language"), {"language": language})
        html = client.get(bank_file.get_absolute_url()).content.decode()
        for word in words:
            assert word in html, (language, word)


def test_admin_shows_bank_files_read_only(client, invoices, people, user_with_role):
    bank_file = services.bank_file_upload(
        content=many_payments(invoices, count=2), file_name="adm.txt", actor=people["clerk"]
    ).bank_file
    client.force_login(user_with_role("admin", is_staff=True))
    for url in (
        "/admin/invoicing/bankfile/",
        f"/admin/invoicing/bankfile/{bank_file.pk}/change/",
        "/admin/invoicing/bankfilepayment/",
        f"/admin/invoicing/bankfilepayment/{bank_file.payments.first().pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/admin/invoicing/bankfile/add/").status_code == 403
