"""Uploading a bank file reads and matches it (nothing booked); confirming books every matched
payment through payment_record, all or nothing; the same file or the same bank reference twice
creates nothing new; unmatched payments wait to be booked by hand or kept as credit."""

import datetime
from decimal import Decimal

import pytest

from invoicing.invoices.models import InvoiceStatus
from invoicing.receivables import payments, selectors
from invoicing.receivables.bank_files import services
from invoicing.receivables.bank_files.bgmax import BgMaxDepositOut, BgMaxPaymentOut, bgmax_write
from invoicing.receivables.bank_files.models import BankFile, BankFilePayment
from invoicing.receivables.bank_files.statement import BankFileError
from invoicing.receivables.models import Payment, PaymentAllocation
from tests.invoicing.receivables.bank_files.conftest import FEB_3, STAMP, ocr
from tests.invoicing.receivables.bank_files.test_bgmax import read
from tests.invoicing.receivables.test_payments import JAN_1

pytestmark = pytest.mark.django_db
D = Decimal


def bgmax(*payments_out, day=FEB_3) -> bytes:
    return bgmax_write(
        [BgMaxDepositOut(bankgiro="50501055", payment_date=day, payments=tuple(payments_out))],
        created_at=STAMP,
    )


def counts():
    return (
        BankFile.objects.count(),
        BankFilePayment.objects.count(),
        Payment.objects.count(),
        PaymentAllocation.objects.count(),
    )


def test_posted_invoices_carry_the_ocr_the_matcher_reads(invoices):
    assert ocr(invoices[0]) == "133"


def test_upload_previews_and_confirm_books_through_payment_record(invoices, people):
    first, second, third, other = invoices
    content = bgmax(
        BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(first), payer_name="Customer AB"),
        BgMaxPaymentOut(amount=D("10000.00"), reference=ocr(second)),
        BgMaxPaymentOut(amount=D("30000.00"), reference=ocr(third)),
        BgMaxPaymentOut(amount=D("123.45"), reference="1234567890", payer_name="Nobody"),
        BgMaxPaymentOut(amount=D("50.00"), reference=ocr(other), is_deduction=True),
    )
    upload = services.bank_file_upload(
        content=content, file_name="bgmax.txt", actor=people["clerk"]
    )
    assert upload.is_new
    rows = list(upload.bank_file.payments.order_by("position"))
    assert [(row.match_kind, row.state) for row in rows] == [
        ("matched", "matched"),
        ("partly_matched", "matched"),
        ("partly_matched", "matched"),
        ("unmatched", "unmatched"),
        ("unmatched", "skipped"),
    ]
    assert Payment.objects.count() == 0  # a preview books nothing

    services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])

    rows = list(upload.bank_file.payments.order_by("position").select_related("payment"))
    assert [row.state for row in rows] == ["booked", "booked", "booked", "unmatched", "skipped"]
    assert [selectors.invoice_open_amount(invoice) for invoice in (first, second, third)] == [
        D("0.00"),
        D("17500.00"),
        D("0.00"),
    ]
    first.refresh_from_db()
    assert first.status == InvoiceStatus.PAID
    booked = rows[0].payment
    assert (booked.method, booked.reference, booked.paid_on, booked.recorded_by) == (
        "bankgiro",
        "133",
        FEB_3,
        people["clerk"],
    )
    assert "bgmax.txt" in booked.note
    # 2,500.00 over invoice three is customer credit
    assert selectors.customer_credit_available(first.customer, "SEK") == D("2500.00")
    upload.bank_file.refresh_from_db()
    assert upload.bank_file.status == "confirmed"


def test_the_same_file_twice_creates_nothing_new(invoices, people):
    content = bgmax(BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoices[0])))
    first = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    services.bank_file_confirm(bank_file=first.bank_file, actor=people["clerk"])
    before = counts()
    again = services.bank_file_upload(content=content, file_name="b.txt", actor=people["clerk"])
    assert not again.is_new and again.bank_file.pk == first.bank_file.pk
    assert counts() == before


def test_the_same_payment_in_a_second_file_is_skipped(invoices, people):
    payment = BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoices[0]), serial="77")
    first = services.bank_file_upload(
        content=bgmax(payment), file_name="a.txt", actor=people["clerk"]
    )
    services.bank_file_confirm(bank_file=first.bank_file, actor=people["clerk"])
    second = services.bank_file_upload(
        content=bgmax(payment, BgMaxPaymentOut(amount=D("1.00"), serial="78")),
        file_name="b.txt",
        actor=people["clerk"],
    )
    duplicate, new = second.bank_file.payments.order_by("position")
    assert duplicate.state == "skipped"
    assert duplicate.match["reasons"] == [{"code": "duplicate", "file": "a.txt"}]
    assert new.state == "unmatched"
    services.bank_file_confirm(bank_file=second.bank_file, actor=people["clerk"])
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "bgmax_wrong_length.txt",
        "bgmax_bad_deposit_total.txt",
        "bgmax_bad_closing_count.txt",
        "bgmax_unknown_currency.txt",
        "bgmax_unknown_record.txt",
        "bgmax_cut_off.txt",
        "camt054_broken.xml",
        "camt054_wrong_namespace.xml",
        "camt054_unknown_currency.xml",
    ],
)
def test_a_malformed_file_writes_nothing(invoices, people, name):
    before = counts()
    with pytest.raises(BankFileError):
        services.bank_file_upload(content=read(name), file_name=name, actor=people["clerk"])
    assert counts() == before


def test_an_empty_file_is_refused(people):
    with pytest.raises(BankFileError, match="The file is empty"):
        services.bank_file_upload(content=b"", file_name="x", actor=people["clerk"])


def test_a_refused_payment_rolls_the_whole_confirmation_back(invoices, people, monkeypatch):
    first, second, *_rest = invoices
    content = bgmax(
        BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(first)),
        BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(second)),
    )
    upload = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    real = payments.payment_record
    calls = []

    def second_refused(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise payments.PaymentRefused("The payment date is wrong.")
        return real(**kwargs)

    monkeypatch.setattr(payments, "payment_record", second_refused)
    before = counts()
    with pytest.raises(services.BankFileRefused) as refused:
        services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])
    assert "The payment on line 4 (27500.00 SEK" in str(refused.value)
    assert "The payment date is wrong. Nothing was booked." in str(refused.value)
    assert counts() == before
    upload.bank_file.refresh_from_db()
    assert upload.bank_file.status == "previewed"


def test_confirm_matches_again_what_is_open_now(invoices, people):
    first = invoices[0]
    content = bgmax(BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(first)))
    upload = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    # A clerk records the same payment by hand between preview and confirmation.
    payments.payment_record(
        customer=first.customer, currency="SEK", amount=D("27500.00"), paid_on=FEB_3,
        allocations=[(first, None)], actor=people["clerk"],
    )  # fmt: skip
    services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])
    row = upload.bank_file.payments.get()
    assert row.state == "unmatched"  # waits for a clerk instead of paying twice
    # The invoice is paid: three others of the customer have the same amount open.
    assert row.match["reasons"][0]["code"] == "amount_not_unique"
    assert Payment.objects.count() == 1


def test_a_file_is_confirmed_once(invoices, people):
    content = bgmax(BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoices[0])))
    upload = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])
    with pytest.raises(services.BankFileRefused, match="already confirmed"):
        services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])
    assert Payment.objects.count() == 1


def test_queue_books_by_hand_or_keeps_as_credit(invoices, people):
    first, second, *_rest = invoices
    content = bgmax(
        BgMaxPaymentOut(amount=D("27600.00"), payer_name="Somebody"),
        BgMaxPaymentOut(amount=D("99.00"), payer_name="Somebody"),
    )
    upload = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    waiting, small = upload.bank_file.payments.order_by("position")
    with pytest.raises(services.BankFileRefused, match="Confirm the bank file first"):
        services.bank_payment_keep_as_credit(
            bank_payment=small, customer=first.customer, actor=people["clerk"]
        )
    services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])

    with pytest.raises(services.BankFileRefused, match="keep the surplus"):
        services.bank_payment_book(
            bank_payment=waiting, customer=first.customer, allocations=[(first, None)],
            actor=people["clerk"],
        )  # fmt: skip
    payment = services.bank_payment_book(
        bank_payment=waiting, customer=first.customer, allocations=[(first, None)],
        keep_surplus_as_credit=True, actor=people["clerk"],
    )  # fmt: skip
    assert selectors.invoice_open_amount(first) == 0
    assert payment.amount == D("27600.00")
    credit = services.bank_payment_keep_as_credit(
        bank_payment=small, customer=second.customer, actor=people["clerk"]
    )
    assert credit.allocations.count() == 0
    assert selectors.customer_credit_available(first.customer, "SEK") == D("199.00")
    waiting.refresh_from_db()
    small.refresh_from_db()
    assert (waiting.state, small.state) == ("booked", "credit")
    with pytest.raises(services.BankFileRefused, match="no longer waiting"):
        services.bank_payment_keep_as_credit(
            bank_payment=small, customer=second.customer, actor=people["clerk"]
        )
    with pytest.raises(services.BankFileRefused, match="Choose the customer"):
        services.bank_payment_keep_as_credit(
            bank_payment=small, customer=None, actor=people["clerk"]
        )


def test_a_preview_can_be_discarded_a_confirmed_file_not(invoices, people):
    content = bgmax(BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoices[0])))
    upload = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    services.bank_file_discard(bank_file=upload.bank_file, actor=people["clerk"])
    assert counts() == (0, 0, 0, 0)
    upload = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])
    with pytest.raises(services.BankFileRefused):
        services.bank_file_discard(bank_file=upload.bank_file, actor=people["clerk"])


def test_camt054_payment_by_invoice_number_in_free_text(invoices, people):
    first = invoices[0]
    content = read("camt054_v02.xml").replace(b"INV-2", first.number.encode())
    content = content.replace(b"2026-02-05", b"2026-02-05").replace(
        b"<Ref>133</Ref>", b"<Ref>1</Ref>"
    )
    content = content.replace(b"10000.00", b"27500.00")
    upload = services.bank_file_upload(content=content, file_name="camt.xml", actor=people["clerk"])
    by_number = upload.bank_file.payments.get(position=2)
    assert by_number.match_kind == "matched"
    assert by_number.match["allocations"][0]["number"] == first.number
    services.bank_file_confirm(bank_file=upload.bank_file, actor=people["clerk"])
    by_number.refresh_from_db()
    assert by_number.payment.method == "bank_transfer"
    assert selectors.invoice_open_amount(first) == 0


def test_invoice_dates_are_respected(invoices, people):
    """A payment dated before the invoice is never matched to it (payment_record refuses it)."""
    content = bgmax(
        BgMaxPaymentOut(amount=D("27500.00"), reference=ocr(invoices[0])),
        day=JAN_1 - datetime.timedelta(days=1),
    )
    upload = services.bank_file_upload(content=content, file_name="a.txt", actor=people["clerk"])
    assert upload.bank_file.payments.get().match["reasons"][0]["code"] == "dated_after"
