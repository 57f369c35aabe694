"""Which open invoices each incoming payment pays (DOMAIN.md section 13). Pure: dataclasses in,
dataclasses out, ``Decimal`` only.

The order, for every payment of a file:

1. **By reference**: a reference or the free text holds an invoice's OCR number (Luhn-valid,
   ``einvoice.references``), its FIK payment id (15 digits, also inside a ``+71<...+...<``
   code line), or its invoice number (as a whole word). The invoices found, of the payment's
   currency and the first one's customer, are paid in the order named, each up to what is open.
2. **By amount and customer**, for the payments step 1 left: an open invoice of exactly the
   payment's amount, in its currency, whose customer's name is the payer's; or, when the file
   names no payer, the only open invoice of exactly that amount. Never a guess among several.

Step 1 runs over the whole file before step 2, so a payment found by amount never takes an
invoice another payment names. What a payment pays comes off the invoice's open amount before
the next payment is matched, so two payments never both pay the same euro.

Each payment is **matched** (it pays its invoices in full, nothing over), **partly matched**
(it leaves something open, or pays more than is open: the surplus becomes the customer's
credit) or **unmatched** (it waits for a clerk). Every result says why, in ``reasons``:
structured (a code and its values) so a page can say it in the reader's language
(``reason_text``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from einvoice.references import fik_payment_id_is_valid, ocr_reference_is_valid

MATCHED = "matched"
PARTLY_MATCHED = "partly_matched"
UNMATCHED = "unmatched"
ZERO = Decimal("0")

DIGITS = re.compile(r"\d+")
FIK_IN_TEXT = re.compile(r"\+?71[<#](\d{15})")
WORD = re.compile(
    r"[0-9A-Za-zÅÄÖÆØåäöæø][0-9A-Za-zÅÄÖÆØåäöæø_\-/.]*[0-9A-Za-zÅÄÖÆØåäöæø]|[0-9A-Za-z]"
)
COMPANY_FORMS = {
    "ab",
    "publ",
    "aps",
    "as",
    "a/s",
    "oy",
    "oyj",
    "gmbh",
    "ltd",
    "inc",
    "hb",
    "kb",
    "asa",
}


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice with something open, as the matcher sees it. ``payee_accounts``: the seller's
    bankgiro, plusgiro and IBAN, to tell apart two sellers' invoices with the same OCR."""

    id: int
    number: str
    customer_id: int
    customer_name: str
    currency: str
    open_amount: Decimal
    invoice_date: datetime.date
    ocr: str = ""
    fik: str = ""
    payee_accounts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IncomingPayment:
    key: str
    amount: Decimal
    currency: str
    booked_on: datetime.date
    payer_name: str = ""
    references: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    payee_account: str = ""


@dataclass(frozen=True)
class Allocation:
    invoice_id: int
    invoice_number: str
    amount: Decimal
    pays_in_full: bool


@dataclass(frozen=True)
class Match:
    kind: str
    customer_id: int | None = None
    allocations: tuple[Allocation, ...] = ()
    surplus: Decimal = ZERO
    reasons: tuple[dict, ...] = ()

    @property
    def allocated(self) -> Decimal:
        return sum((allocation.amount for allocation in self.allocations), ZERO)


@dataclass
class _Book:
    """The open invoices, what is still open on each as the file is matched, and indexes."""

    invoices: dict[int, OpenInvoice]
    open: dict[int, Decimal]
    by_ocr: dict[str, list[int]] = field(default_factory=dict)
    by_fik: dict[str, list[int]] = field(default_factory=dict)
    by_number: dict[str, list[int]] = field(default_factory=dict)
    by_amount: dict[tuple[str, Decimal], list[int]] = field(default_factory=dict)
    # Invoices a payment of the file already paid part of: their open amount is no longer the
    # one ``by_amount`` was built with.
    touched: list[int] = field(default_factory=list)


def _book(invoices: Sequence[OpenInvoice]) -> _Book:
    book = _Book(
        invoices={invoice.id: invoice for invoice in invoices},
        open={invoice.id: invoice.open_amount for invoice in invoices},
    )
    for invoice in invoices:
        if invoice.ocr:
            book.by_ocr.setdefault(invoice.ocr, []).append(invoice.id)
        if invoice.fik:
            book.by_fik.setdefault(invoice.fik, []).append(invoice.id)
        book.by_number.setdefault(invoice.number.casefold(), []).append(invoice.id)
        book.by_amount.setdefault((invoice.currency, invoice.open_amount), []).append(invoice.id)
    return book


def _reason(code: str, **values) -> dict:
    return {"code": code, **{key: str(value) for key, value in values.items()}}


def payments_match(
    payments: Sequence[IncomingPayment], invoices: Sequence[OpenInvoice]
) -> list[Match]:
    """The match of each payment (in the order given) against these open invoices."""
    book = _book(invoices)
    results: list[Match | None] = []
    notes: list[list[dict]] = []
    for payment in payments:
        match, reasons = _by_reference(payment, book)
        results.append(match)
        notes.append(reasons)
    for index, payment in enumerate(payments):
        if results[index] is None or (
            results[index].kind == UNMATCHED and results[index].customer_id is None
        ):
            found = _by_amount(payment, book, notes[index])
            if found is not None:
                results[index] = found
    return [
        result
        if result is not None and result.kind != UNMATCHED
        else Match(
            kind=UNMATCHED,
            customer_id=result.customer_id if result is not None else None,
            reasons=tuple(notes[index]) or (_reason("nothing_found"),),
        )
        for index, result in enumerate(results)
    ]


def _candidates(payment: IncomingPayment, book: _Book, ids: list[int]) -> list[int]:
    """Invoices of the seller whose account the money came to, when that tells them apart."""
    if len(ids) > 1 and payment.payee_account:
        narrowed = [i for i in ids if payment.payee_account in book.invoices[i].payee_accounts]
        if narrowed:
            return narrowed
    return ids


def _referenced(
    payment: IncomingPayment, book: _Book, reasons: list[dict]
) -> list[tuple[int, dict]]:
    """The invoices the payment's references and texts name, each with why, in order."""
    found: list[tuple[int, dict]] = []
    seen: set[int] = set()

    def take(ids: list[int], reason: dict) -> None:
        ids = _candidates(payment, book, ids)
        if len(ids) > 1:
            reasons.append(_reason("ambiguous", reference=reason["reference"]))
            return
        if ids and ids[0] not in seen:
            seen.add(ids[0])
            found.append((ids[0], reason))

    for text in payment.references + payment.texts:
        compact = text.replace(" ", "")
        for payment_id in FIK_IN_TEXT.findall(compact):
            if payment_id in book.by_fik:
                take(book.by_fik[payment_id], _reason("fik", reference=payment_id))
        for digits in DIGITS.findall(compact if text in payment.references else text):
            if digits in book.by_ocr and ocr_reference_is_valid(digits, length_digit=False):
                take(book.by_ocr[digits], _reason("ocr", reference=digits))
                continue
            padded = digits.zfill(15)
            if len(digits) <= 15 and padded in book.by_fik and fik_payment_id_is_valid(padded):
                take(book.by_fik[padded], _reason("fik", reference=digits))
                continue
            if (
                text in payment.references
                and digits == compact
                and len(digits) >= 2
                and not ocr_reference_is_valid(digits, length_digit=False)
            ):
                reasons.append(_reason("bad_check_digit", reference=digits))
        for word in WORD.findall(text):
            key = word.casefold()
            if key in book.by_number:
                take(book.by_number[key], _reason("number", reference=word))
    return found


def _by_reference(payment: IncomingPayment, book: _Book) -> tuple[Match | None, list[dict]]:
    reasons: list[dict] = []
    found = _referenced(payment, book, reasons)
    if not found:
        return None, reasons
    customer_id = None
    left = payment.amount
    allocations: list[Allocation] = []
    for invoice_id, reason in found:
        invoice = book.invoices[invoice_id]
        reason = {**reason, "invoice": invoice.number}
        if invoice.currency != payment.currency:
            reasons.append({**reason, "code": "other_currency", "currency": invoice.currency})
            continue
        if customer_id is not None and invoice.customer_id != customer_id:
            reasons.append({**reason, "code": "other_customer"})
            continue
        if invoice.invoice_date > payment.booked_on:
            reasons.append(
                {**reason, "code": "dated_after", "date": invoice.invoice_date.isoformat()}
            )
            continue
        customer_id = invoice.customer_id
        open_amount = book.open[invoice_id]
        if open_amount <= 0:
            reasons.append({**reason, "code": "nothing_open"})
            continue
        if left <= 0:
            reasons.append({**reason, "code": "nothing_left"})
            continue
        part = min(open_amount, left)
        left -= part
        book.open[invoice_id] = open_amount - part
        book.touched.append(invoice_id)
        allocations.append(Allocation(invoice_id, invoice.number, part, part == open_amount))
        reasons.append(reason)
    if not allocations:
        return Match(kind=UNMATCHED, customer_id=customer_id, reasons=tuple(reasons)), reasons
    return _result(customer_id, allocations, left, reasons), reasons


def _result(
    customer_id, allocations: list[Allocation], left: Decimal, reasons: list[dict]
) -> Match:
    if left > 0:
        reasons.append(_reason("surplus", amount=left))
    elif not allocations[-1].pays_in_full:
        reasons.append(_reason("less_than_open", invoice=allocations[-1].invoice_number))
    in_full = left == 0 and all(allocation.pays_in_full for allocation in allocations)
    return Match(
        kind=MATCHED if in_full else PARTLY_MATCHED,
        customer_id=customer_id,
        allocations=tuple(allocations),
        surplus=left,
        reasons=tuple(reasons),
    )


def name_key(name: str) -> str:
    """A company name compared without case, punctuation or company form (AB, ApS, A/S...)."""
    words = re.sub(r"[^\w/ ]", " ", name.casefold()).split()
    return " ".join(word for word in words if word not in COMPANY_FORMS)


def names_match(payer: str, customer: str) -> bool:
    payer_key, customer_key = name_key(payer), name_key(customer)
    if len(payer_key) < 3 or len(customer_key) < 3:
        return payer_key == customer_key and bool(payer_key)
    return payer_key == customer_key or payer_key in customer_key or customer_key in payer_key


def _by_amount(payment: IncomingPayment, book: _Book, reasons: list[dict]) -> Match | None:
    candidates = book.by_amount.get((payment.currency, payment.amount), []) + book.touched
    ids = [
        invoice_id
        for invoice_id in dict.fromkeys(candidates)
        if book.invoices[invoice_id].currency == payment.currency
        and book.open[invoice_id] == payment.amount
        and book.invoices[invoice_id].invoice_date <= payment.booked_on
    ]
    if not ids:
        return None
    if payment.payer_name:
        ids_named = [
            i for i in ids if names_match(payment.payer_name, book.invoices[i].customer_name)
        ]
        if len(ids_named) != 1:
            reasons.append(
                _reason("amount_not_unique", amount=payment.amount, count=len(ids_named))
                if ids_named
                else _reason("amount_other_payer", amount=payment.amount, payer=payment.payer_name)
            )
            return None
        code, invoice_id = "amount_and_payer", ids_named[0]
    elif len(ids) == 1:
        code, invoice_id = "amount_only", ids[0]
    else:
        reasons.append(_reason("amount_not_unique", amount=payment.amount, count=len(ids)))
        return None
    invoice = book.invoices[invoice_id]
    book.open[invoice_id] = ZERO
    reasons.append(
        _reason(
            code,
            amount=payment.amount,
            invoice=invoice.number,
            customer=invoice.customer_name,
            payer=payment.payer_name,
        )  # fmt: skip
    )
    return _result(
        invoice.customer_id,
        [Allocation(invoice_id, invoice.number, payment.amount, True)],
        ZERO,
        reasons,
    )


def _amount_text(value: str) -> str:
    return number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)


def reason_text(reason: dict) -> str:
    """One reason in the reader's language: "OCR 1234567 is invoice SE-12"."""
    values = dict(reason)
    if "amount" in values:
        values["amount"] = _amount_text(values["amount"])
    texts = {
        "ocr": _("OCR %(reference)s is invoice %(invoice)s."),
        "fik": _("FIK payment id %(reference)s is invoice %(invoice)s."),
        "number": _("The text names invoice %(invoice)s."),
        "ambiguous": _("Reference %(reference)s fits more than one invoice; match it by hand."),
        "bad_check_digit": _(
            "Reference %(reference)s is not a valid OCR number (wrong check digit)."
        ),
        "other_currency": _(
            "Invoice %(invoice)s is in %(currency)s, not in the payment's currency."
        ),
        "other_customer": _("Invoice %(invoice)s is another customer's; it is left out."),
        "dated_after": _("Invoice %(invoice)s is dated %(date)s, after the payment."),
        "nothing_open": _("Invoice %(invoice)s has nothing open."),
        "nothing_left": _("Nothing of the payment is left for invoice %(invoice)s."),
        "surplus": _("%(amount)s more than is open: kept as customer credit."),
        "less_than_open": _("Invoice %(invoice)s stays partly open."),
        "amount_and_payer": _(
            "%(amount)s is exactly what is open on invoice %(invoice)s of %(customer)s, "
            "and the payer is %(payer)s."
        ),
        "amount_only": _(
            "%(amount)s is exactly what is open on invoice %(invoice)s of %(customer)s, "
            "the only invoice with that amount open."
        ),
        "amount_not_unique": _(
            "%(count)s open invoices have exactly %(amount)s open; match it by hand."
        ),
        "amount_other_payer": _(
            "An invoice has exactly %(amount)s open, but not of the payer %(payer)s; match it "
            "by hand."
        ),
        "nothing_found": _("No reference, invoice number or amount fits an open invoice."),
        "duplicate": _("This payment was already imported with bank file %(file)s."),
        "deduction": _("A deduction the payer made (a credit): shown, never booked."),
    }
    text = texts.get(values.get("code", ""))
    return text % values if text else ""
