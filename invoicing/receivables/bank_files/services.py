"""Every write of bank files: upload (read and match, nothing booked), confirm (book the matched
payments), discard a file not confirmed, and the queue's hand matching.

Payments are only ever created through ``payments.payment_record``, which locks the customer
and the invoices and checks every amount; a confirmation runs inside one transaction, so one
payment it cannot book leaves the whole file as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from invoicing.invoices.models import Invoice
from invoicing.receivables import payments
from invoicing.receivables.bank_files import matching, selectors
from invoicing.receivables.bank_files.models import (
    BankFile,
    BankFileKind,
    BankFilePayment,
    BankFileStatus,
    BankPaymentState,
)
from invoicing.receivables.bank_files.reading import bank_file_read
from invoicing.receivables.bank_files.statement import BankFileError
from invoicing.receivables.models import Payment, PaymentMethod

MAX_FILE_BYTES = 20 * 1024 * 1024
FILE_EMPTY = _("The file is empty.")
FILE_TOO_LARGE = _("The file is larger than 20 MB; ask the bank for one file per day.")
ALREADY_CONFIRMED = _("This bank file is already confirmed.")
NOT_WAITING = _("This payment is no longer waiting: it was %(state)s.")
FILE_NOT_CONFIRMED = _("Confirm the bank file first; its payments are booked from there.")
CUSTOMER_REQUIRED = _("Choose the customer who paid.")
RACE = _("Another upload is bringing the same payments right now; try again in a moment.")
PAYMENT_LINE_REFUSED = _(
    "The payment on line %(line)s (%(amount)s %(currency)s, bank reference %(reference)s) "
    "cannot be booked: %(reason)s Nothing was booked."
)

METHODS = {
    BankFileKind.BGMAX: PaymentMethod.BANKGIRO,
    BankFileKind.CAMT054: PaymentMethod.BANK_TRANSFER,
}


class BankFileRefused(ValueError):
    """The file or the payment cannot be booked; the message says why."""


@dataclass(frozen=True)
class BankFileUpload:
    bank_file: BankFile
    is_new: bool


def _incoming(row: BankFilePayment) -> matching.IncomingPayment:
    return matching.IncomingPayment(
        key=row.bank_reference,
        amount=row.amount,
        currency=row.currency,
        booked_on=row.booked_on,
        payer_name=row.payer_name,
        references=tuple(row.references),
        texts=tuple(row.texts),
        payee_account=row.payee_account,
    )


def _match_json(match: matching.Match) -> dict:
    return {
        "allocations": [
            {
                "invoice": allocation.invoice_id,
                "number": allocation.invoice_number,
                "amount": str(allocation.amount),
                "pays_in_full": allocation.pays_in_full,
            }
            for allocation in match.allocations
        ],
        "surplus": str(match.surplus),
        "reasons": list(match.reasons),
    }


def _apply_match(row: BankFilePayment, match: matching.Match) -> None:
    row.match_kind = match.kind
    row.match = _match_json(match)
    row.customer_id = match.customer_id
    row.state = (
        BankPaymentState.UNMATCHED if match.kind == matching.UNMATCHED else BankPaymentState.MATCHED
    )


def _rows_match(rows: list[BankFilePayment]) -> None:
    """Match these rows against what is open now (each row's match, customer and state)."""
    invoices = selectors.open_invoices_for_matching({row.currency for row in rows})
    for row, match in zip(
        rows, matching.payments_match([_incoming(row) for row in rows], invoices), strict=True
    ):
        _apply_match(row, match)


def bank_file_upload(*, content: bytes, file_name: str, actor: AbstractBaseUser) -> BankFileUpload:
    """Read a bank file and match its payments; nothing is booked (``bank_file_confirm`` does).

    The same file again (same SHA-256) creates nothing and returns the file already imported
    (``is_new`` False). A payment whose bank reference an earlier file already brought is kept
    as skipped, as is a deduction (shown, never booked). Raises ``BankFileError`` (with the line)
    for a file that cannot be read; then nothing is written."""
    if not content:
        raise BankFileError(FILE_EMPTY)
    if len(content) > MAX_FILE_BYTES:
        raise BankFileError(FILE_TOO_LARGE)
    digest = hashlib.sha256(content).hexdigest()
    existing = BankFile.objects.filter(sha256=digest).defer("content").first()
    if existing is not None:
        return BankFileUpload(existing, is_new=False)
    parsed = bank_file_read(content)
    try:
        with transaction.atomic():
            return BankFileUpload(
                _bank_file_create(parsed, content, digest, file_name, actor), True
            )
    except IntegrityError:
        existing = BankFile.objects.filter(sha256=digest).defer("content").first()
        if existing is not None:  # the same file, uploaded at the same moment
            return BankFileUpload(existing, is_new=False)
        raise BankFileRefused(RACE) from None


def _bank_file_create(parsed, content, digest, file_name, actor) -> BankFile:
    bank_file = BankFile.objects.create(
        kind=parsed.kind,
        file_name=(file_name or "bank-file")[:255],
        sha256=digest,
        content=content,
        identifier=parsed.identifier[:100],
        is_test=parsed.is_test,
        notes=list(parsed.notes),
        uploaded_by=actor,
    )
    earlier = dict(
        BankFilePayment.objects.filter(
            bank_reference__in=[payment.bank_reference for payment in parsed.payments]
        )
        .exclude(state=BankPaymentState.SKIPPED)
        .values_list("bank_reference", "bank_file__file_name")
    )
    rows, to_match = [], []
    for position, payment in enumerate(parsed.payments, start=1):
        row = BankFilePayment(
            bank_file=bank_file,
            position=position,
            line=payment.line,
            bank_reference=payment.bank_reference,
            amount=payment.amount,
            currency=payment.currency,
            booked_on=payment.booked_on,
            payer_name=payment.payer_name[:200],
            payer_account=payment.payer_account[:50],
            payer_address=payment.payer_address[:200],
            payer_organization_number=payment.payer_organization_number[:20],
            payee_account=payment.payee_account[:50],
            references=list(payment.references),
            texts=list(payment.texts),
            is_deduction=payment.is_deduction,
        )
        if payment.is_deduction:
            row.state = BankPaymentState.SKIPPED
            row.match = {"reasons": [{"code": "deduction"}]}
        elif payment.bank_reference in earlier:
            row.state = BankPaymentState.SKIPPED
            row.match = {
                "reasons": [{"code": "duplicate", "file": earlier[payment.bank_reference]}]
            }
        else:
            earlier[payment.bank_reference] = bank_file.file_name
            to_match.append(row)
        rows.append(row)
    if to_match:
        _rows_match(to_match)
    BankFilePayment.objects.bulk_create(rows)
    return bank_file


@transaction.atomic
def bank_file_confirm(*, bank_file: BankFile, actor: AbstractBaseUser) -> BankFile:
    """Book every payment of the file an open invoice was found for, all or nothing.

    The payments are matched again against what is open now (another clerk may have recorded
    a payment since the preview); each found is recorded with ``payments.payment_record``,
    allocated to its invoices, a surplus kept as customer credit. The others wait in the queue.
    A payment the ledger refuses raises ``BankFileRefused`` naming its line, and nothing is
    booked."""
    bank_file = BankFile.objects.select_for_update().defer("content").get(pk=bank_file.pk)
    if bank_file.status != BankFileStatus.PREVIEWED:
        raise BankFileRefused(ALREADY_CONFIRMED)
    rows = list(
        bank_file.payments.exclude(state=BankPaymentState.SKIPPED)
        .select_for_update()
        .order_by("position")
    )
    if rows:
        _rows_match(rows)
    invoice_ids = {
        allocation["invoice"] for row in rows for allocation in row.match.get("allocations", [])
    }
    invoices = Invoice.objects.in_bulk(invoice_ids)
    customers = Customer.objects.in_bulk({row.customer_id for row in rows if row.customer_id})
    for row in rows:
        if row.state != BankPaymentState.MATCHED:
            continue
        allocations = [
            (invoices[allocation["invoice"]], Decimal(allocation["amount"]))
            for allocation in row.match["allocations"]
        ]
        row.payment = _record(
            row, customer=customers[row.customer_id], allocations=allocations,
            keep_surplus_as_credit=Decimal(row.match["surplus"]) > 0, actor=actor,
            method=METHODS[bank_file.kind], file_name=bank_file.file_name,
        )  # fmt: skip
        row.state = BankPaymentState.BOOKED
    BankFilePayment.objects.bulk_update(
        rows, ["match_kind", "match", "customer", "state", "payment"]
    )
    bank_file.status = BankFileStatus.CONFIRMED
    bank_file.confirmed_by = actor
    bank_file.confirmed_at = timezone.now()
    bank_file.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return bank_file


def _record(
    row, *, customer, allocations, keep_surplus_as_credit, actor, method, file_name
) -> Payment:
    try:
        return payments.payment_record(
            customer=customer,
            currency=row.currency,
            amount=row.amount,
            paid_on=row.booked_on,
            allocations=allocations,
            method=method,
            reference=(row.references[0] if row.references else row.bank_reference)[:100],
            payer=row.payer_name,
            note=gettext("Bank file %(file)s, bank reference %(reference)s")
            % {"file": file_name, "reference": row.bank_reference},
            keep_surplus_as_credit=keep_surplus_as_credit,
            actor=actor,
        )
    except payments.PaymentRefused as refused:
        raise BankFileRefused(
            PAYMENT_LINE_REFUSED
            % {
                "line": row.line or row.position,
                "amount": row.amount,
                "currency": row.currency,
                "reference": row.bank_reference,
                "reason": refused,
            }
        ) from refused


@transaction.atomic
def bank_file_discard(*, bank_file: BankFile, actor: AbstractBaseUser) -> None:
    """Forget a file that was read but not confirmed (nothing of it was booked)."""
    bank_file = BankFile.objects.select_for_update().defer("content").get(pk=bank_file.pk)
    if bank_file.status != BankFileStatus.PREVIEWED:
        raise BankFileRefused(ALREADY_CONFIRMED)
    bank_file.delete()


@transaction.atomic
def bank_payment_book(
    *,
    bank_payment: BankFilePayment,
    customer: Customer | None,
    allocations: payments.Allocations,
    actor: AbstractBaseUser,
    keep_surplus_as_credit: bool = False,
) -> Payment:
    """Book a payment from the queue by hand: to these invoices of ``customer`` (``(invoice,
    amount)``, amount None: as much as is open), what is left kept as customer credit when
    asked; no invoices and ``keep_surplus_as_credit``: all of it is customer credit. Refused
    (nothing written) as ``payment_record`` refuses, and for a payment no longer waiting."""
    if customer is None:
        raise BankFileRefused(CUSTOMER_REQUIRED)
    row = (
        BankFilePayment.objects.select_for_update()
        .select_related("bank_file")
        .defer("bank_file__content")
        .get(pk=bank_payment.pk)
    )
    if row.bank_file.status != BankFileStatus.CONFIRMED:
        raise BankFileRefused(FILE_NOT_CONFIRMED)
    if row.state != BankPaymentState.UNMATCHED:
        raise BankFileRefused(NOT_WAITING % {"state": row.get_state_display().lower()})
    try:
        payment = payments.payment_record(
            customer=customer,
            currency=row.currency,
            amount=row.amount,
            paid_on=row.booked_on,
            allocations=list(allocations),
            method=METHODS[row.bank_file.kind],
            reference=(row.references[0] if row.references else row.bank_reference)[:100],
            payer=row.payer_name,
            note=gettext("Bank file %(file)s, bank reference %(reference)s")
            % {"file": row.bank_file.file_name, "reference": row.bank_reference},
            keep_surplus_as_credit=keep_surplus_as_credit,
            actor=actor,
        )
    except payments.PaymentRefused as refused:
        raise BankFileRefused(str(refused)) from refused
    row.payment = payment
    row.customer = customer
    row.state = BankPaymentState.BOOKED if allocations else BankPaymentState.CREDIT
    row.save(update_fields=["payment", "customer", "state"])
    return payment


def bank_payment_keep_as_credit(
    *, bank_payment: BankFilePayment, customer: Customer | None, actor: AbstractBaseUser
) -> Payment:
    """Book all of a waiting payment as ``customer``'s credit (applied to invoices later)."""
    return bank_payment_book(
        bank_payment=bank_payment, customer=customer, allocations=[], actor=actor,
        keep_surplus_as_credit=True,
    )  # fmt: skip
