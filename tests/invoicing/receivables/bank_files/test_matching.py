"""The matcher, without a database: references first (OCR, FIK, invoice number), then amount
and customer; a payment is matched, partly matched (less than open, or a surplus kept as
credit) or unmatched, and says why."""

import datetime
from decimal import Decimal

from django.utils import translation

from einvoice.references import fik_payment_id_build, ocr_reference_build
from invoicing.receivables.bank_files.matching import (
    MATCHED,
    PARTLY_MATCHED,
    UNMATCHED,
    IncomingPayment,
    OpenInvoice,
    names_match,
    payments_match,
    reason_text,
)

D = Decimal
DAY = datetime.date(2026, 2, 3)
JAN = datetime.date(2026, 1, 10)


def invoice(id, open_amount, *, number=None, customer=1, name="Acme AB", currency="SEK", **extra):
    return OpenInvoice(
        id=id, number=number or f"SE-{id}", customer_id=customer, customer_name=name,
        currency=currency, open_amount=D(open_amount), invoice_date=JAN,
        ocr=extra.pop("ocr", ocr_reference_build(id)), **extra,
    )  # fmt: skip


def paid(amount, *references, texts=(), payer="", currency="SEK", **extra):
    return IncomingPayment(
        key=f"ref-{amount}-{references}", amount=D(amount), currency=currency, booked_on=DAY,
        payer_name=payer, references=references, texts=texts, **extra,
    )  # fmt: skip


def texts(match):
    with translation.override("en"):
        return [reason_text(reason) for reason in match.reasons]


def test_ocr_pays_the_invoice_in_full():
    [match] = payments_match([paid("1250.00", ocr_reference_build(12))], [invoice(12, "1250.00")])
    assert match.kind == MATCHED
    assert match.customer_id == 1
    assert [(a.invoice_id, a.amount) for a in match.allocations] == [(12, D("1250.00"))]
    assert texts(match) == ["OCR 1248 is invoice SE-12."]


def test_less_than_open_is_partly_matched():
    [match] = payments_match([paid("1000.00", "1248")], [invoice(12, "1250.00")])
    assert match.kind == PARTLY_MATCHED
    assert match.allocated == D("1000.00") and match.surplus == 0
    assert texts(match)[-1] == "Invoice SE-12 stays partly open."


def test_more_than_open_is_partly_matched_with_the_surplus_as_credit():
    [match] = payments_match([paid("1300.00", "1248")], [invoice(12, "1250.00")])
    assert match.kind == PARTLY_MATCHED
    assert (match.allocated, match.surplus) == (D("1250.00"), D("50.00"))
    assert texts(match)[-1] == "50.00 more than is open: kept as customer credit."


def test_a_wrong_check_digit_is_not_a_match_and_is_said():
    [match] = payments_match([paid("999.00", "12345")], [invoice(12, "1250.00")])
    assert match.kind == UNMATCHED
    assert "Reference 12345 is not a valid OCR number (wrong check digit)." in texts(match)


def test_fik_code_line_and_bare_payment_id_find_the_danish_invoice():
    fik = fik_payment_id_build(18)
    invoices = [invoice(18, "500.00", currency="DKK", ocr="", fik=fik)]
    line, bare = payments_match(
        [
            paid("200.00", f"+71<{fik}+81234567<", currency="DKK"),
            paid("300.00", fik.lstrip("0"), currency="DKK"),
        ],
        invoices,
    )
    assert line.kind == PARTLY_MATCHED and line.allocated == D("200.00")
    assert texts(line)[0] == f"FIK payment id {fik} is invoice SE-18."
    # The zeros the bank dropped do not matter; the second pays what the first left open.
    assert bare.kind == MATCHED and bare.allocated == D("300.00")


def test_invoice_number_in_the_message():
    [match] = payments_match(
        [paid("700.00", texts=("Betalning faktura INV-7, tack",))],
        [invoice(7, "700.00", number="INV-7", ocr="")],
    )
    assert match.kind == MATCHED
    assert texts(match) == ["The text names invoice INV-7."]


def test_several_references_pay_their_invoices_in_order():
    [match] = payments_match(
        [paid("1500.00", ocr_reference_build(4), ocr_reference_build(5))],
        [invoice(4, "1000.00"), invoice(5, "1000.00")],
    )
    assert [(a.invoice_id, a.amount, a.pays_in_full) for a in match.allocations] == [
        (4, D("1000.00"), True),
        (5, D("500.00"), False),
    ]
    assert match.kind == PARTLY_MATCHED


def test_amount_and_payer_name_find_the_only_fitting_invoice():
    invoices = [
        invoice(1, "800.00", name="Acme AB"),
        invoice(2, "800.00", customer=2, name="Nordbygg AB"),
    ]
    [match] = payments_match([paid("800.00", payer="NORDBYGG")], invoices)
    assert match.kind == MATCHED and match.customer_id == 2
    assert texts(match) == [
        "800.00 is exactly what is open on invoice SE-2 of Nordbygg AB, and the payer is NORDBYGG."
    ]


def test_amount_alone_only_when_one_invoice_has_it_open():
    invoices = [invoice(1, "800.00"), invoice(2, "800.00", customer=2, name="Other")]
    [two] = payments_match([paid("800.00")], invoices)
    assert two.kind == UNMATCHED
    assert texts(two) == ["2 open invoices have exactly 800.00 open; match it by hand."]
    [one] = payments_match([paid("800.00")], invoices[:1])
    assert one.kind == MATCHED
    assert "the only invoice with that amount open" in texts(one)[0]


def test_amount_of_another_payer_is_not_a_match():
    [match] = payments_match([paid("800.00", payer="Stranger Oy")], [invoice(1, "800.00")])
    assert match.kind == UNMATCHED
    assert "not of the payer Stranger Oy" in texts(match)[0]


def test_other_currency_never_matches():
    [match] = payments_match([paid("800.00", "1248", currency="EUR")], [invoice(12, "800.00")])
    assert match.kind == UNMATCHED
    assert texts(match)[0] == "Invoice SE-12 is in SEK, not in the payment's currency."


def test_a_second_payment_for_a_paid_invoice_waits_with_its_customer():
    first, second = payments_match(
        [paid("800.00", "1248"), paid("800.00", "1248")], [invoice(12, "800.00")]
    )
    assert first.kind == MATCHED
    assert second.kind == UNMATCHED and second.customer_id == 1
    assert texts(second) == ["Invoice SE-12 has nothing open."]


def test_a_reference_wins_over_an_amount_earlier_in_the_file():
    by_amount, by_reference = payments_match(
        [paid("800.00"), paid("800.00", "1248")], [invoice(12, "800.00")]
    )
    assert by_reference.kind == MATCHED
    assert by_amount.kind == UNMATCHED


def test_the_same_ocr_of_two_sellers_is_told_apart_by_the_account_paid_to():
    invoices = [
        invoice(1, "100.00", ocr="133", payee_accounts=frozenset({"50501055"})),
        invoice(2, "100.00", ocr="133", customer=2, payee_accounts=frozenset({"9912346"})),
    ]
    [match] = payments_match([paid("100.00", "133", payee_account="9912346")], invoices)
    assert [a.invoice_id for a in match.allocations] == [2]
    [unsure] = payments_match([paid("55.00", "133")], invoices)
    assert unsure.kind == UNMATCHED
    assert texts(unsure)[0] == "Reference 133 fits more than one invoice; match it by hand."


def test_an_invoice_dated_after_the_payment_is_not_paid_by_it():
    late = OpenInvoice(
        id=3, number="SE-3", customer_id=1, customer_name="Acme AB", currency="SEK",
        open_amount=D("10.00"), invoice_date=DAY + datetime.timedelta(days=1), ocr="323",
    )  # fmt: skip
    [match] = payments_match([paid("10.00", "323")], [late])
    assert match.kind == UNMATCHED


def test_company_forms_and_case_do_not_matter_for_names():
    assert names_match("ACME AB", "Acme")
    assert names_match("Kunde 2 A/S", "kunde 2")
    assert not names_match("AB", "Acme AB")


def test_reasons_are_said_in_swedish_and_danish():
    [match] = payments_match([paid("1250.00", "1248")], [invoice(12, "1250.00")])
    with translation.override("sv"):
        swedish = reason_text(match.reasons[0])
    with translation.override("da"):
        danish = reason_text(match.reasons[0])
    assert swedish == "OCR 1248 är faktura SE-12."
    assert danish == "OCR 1248 er faktura SE-12."


def test_the_rest_of_a_partly_paid_invoice_is_found_by_amount_and_payer():
    part, rest = payments_match(
        [paid("400.00", "1248"), paid("850.00", "1249", payer="Acme")],
        [invoice(12, "1250.00")],
    )
    assert part.kind == PARTLY_MATCHED
    assert rest.kind == MATCHED and rest.allocated == D("850.00")
    assert texts(rest)[0] == "Reference 1249 is not a valid OCR number (wrong check digit)."
