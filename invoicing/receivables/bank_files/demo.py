"""A BgMax file paying the open demo invoices, so the demo can show a bank file matched
(``manage.py bank_file_demo``). Read-only: it writes a file, never the database."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from einvoice.references import ocr_reference_is_valid
from invoicing.receivables.bank_files.bgmax import BgMaxDepositOut, BgMaxPaymentOut, bgmax_write
from invoicing.receivables.bank_files.selectors import open_invoices_for_matching


def demo_bgmax_file(*, today: datetime.date | None = None) -> tuple[bytes, list[str]]:
    """A BgMax file for the first three open SEK invoices with an OCR reference: the first
    paid in full by OCR; the second half by OCR and the rest with the OCR's last digit wrong
    (it waits for a clerk); the third without reference (found by amount and payer name); and
    a payment from a stranger. Returns the file and a line per payment saying what it shows."""
    today = today or timezone.localdate()
    invoices = [
        invoice
        for invoice in open_invoices_for_matching(["SEK"])
        if invoice.ocr and invoice.invoice_date <= today
    ]
    written: list[BgMaxPaymentOut] = []
    story: list[str] = []
    if invoices:
        invoice = invoices[0]
        written.append(BgMaxPaymentOut(amount=invoice.open_amount, reference=invoice.ocr,
                                       payer_name=invoice.customer_name))  # fmt: skip
        story.append(f"{invoice.number}: paid in full, OCR {invoice.ocr}")
    if len(invoices) > 1:
        invoice = invoices[1]
        part = (invoice.open_amount / 2).quantize(Decimal("0.01"))
        written.append(BgMaxPaymentOut(amount=part, reference=invoice.ocr,
                                       payer_name=invoice.customer_name))  # fmt: skip
        story.append(f"{invoice.number}: {part} of {invoice.open_amount}, OCR {invoice.ocr}")
        wrong = invoice.ocr[:-1] + str((int(invoice.ocr[-1]) + 1) % 10)
        assert not ocr_reference_is_valid(wrong, length_digit=False)
        written.append(BgMaxPaymentOut(amount=invoice.open_amount - part, reference=wrong,
                                       payer_name=invoice.customer_name))  # fmt: skip
        story.append(
            f"{invoice.number}: the rest, OCR typed wrong ({wrong}), found by amount and payer"
        )
    if len(invoices) > 2:
        invoice = invoices[2]
        written.append(BgMaxPaymentOut(amount=invoice.open_amount,
                                       information=("Betalning enligt faktura",),
                                       payer_name=invoice.customer_name))  # fmt: skip
        story.append(f"{invoice.number}: no reference, found by amount and payer name")
    written.append(BgMaxPaymentOut(amount=Decimal("499.00"), payer_name="Okänd Betalare AB",
                                   payer_town="Malmö"))  # fmt: skip
    story.append("499.00 from an unknown payer, waits in the queue")
    content = bgmax_write(
        [BgMaxDepositOut(bankgiro="50501055", payment_date=today, payments=tuple(written))],
        created_at=timezone.localtime().replace(tzinfo=None),
    )
    return content, story
