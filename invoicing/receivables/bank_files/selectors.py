"""Reads of bank files shared by the pages, the services and the API; each a bounded number of
queries whatever the number of files, payments or invoices."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from contracts.models import Customer
from contracts.money import round_money
from invoicing.invoices.models import DocumentType, Invoice
from invoicing.receivables import selectors as receivables_selectors
from invoicing.receivables.bank_files.matching import OpenInvoice, names_match
from invoicing.receivables.bank_files.models import (
    BankFile,
    BankFilePayment,
    BankPaymentState,
    MatchKind,
)


def open_invoices_for_matching(currencies: Iterable[str]) -> list[OpenInvoice]:
    """Every invoice with something open in these currencies, as the matcher sees it: its OCR
    or FIK reference as frozen at posting (``snapshot["payment_reference"]``), its customer's
    name and its seller's accounts. One query."""
    rows = (
        receivables_selectors.receivables()
        .filter(currency__in=list(currencies), document_type=DocumentType.INVOICE)
        .select_related("customer", "legal_entity")
        .order_by("due_date", "pk")
    )
    invoices = []
    for invoice in rows:
        reference = (invoice.snapshot or {}).get("payment_reference") or {}
        entity = invoice.legal_entity
        invoices.append(
            OpenInvoice(
                id=invoice.pk,
                number=invoice.number,
                customer_id=invoice.customer_id,
                customer_name=invoice.customer.name,
                currency=invoice.currency,
                open_amount=round_money(Decimal(invoice.open_amount), invoice.currency),
                invoice_date=invoice.invoice_date,
                ocr=reference.get("reference", "") if reference.get("scheme") == "ocr" else "",
                fik=reference.get("reference", "") if reference.get("scheme") == "fik" else "",
                payee_accounts=frozenset(
                    account
                    for account in (entity.bankgiro, entity.plusgiro, entity.iban)
                    if account
                ),
            )
        )
    return invoices


def bank_files_listed() -> QuerySet[BankFile]:
    """Every file with its payments counted per state and its total; one query."""
    states = {
        f"count_{state}": Count("payments", filter=Q(payments__state=state))
        for state in BankPaymentState.values
    }
    return (
        BankFile.objects.defer("content")
        .select_related("uploaded_by", "confirmed_by")
        .annotate(
            payment_count=Count("payments"),
            total=Sum("payments__amount", filter=~Q(payments__state=BankPaymentState.SKIPPED)),
            count_partly=Count("payments", filter=Q(payments__match_kind=MatchKind.PARTLY_MATCHED)),
            **states,
        )
        .order_by("-uploaded_at", "-pk")
    )


def bank_file_payments(bank_file: BankFile) -> QuerySet[BankFilePayment]:
    return bank_file.payments.select_related("customer", "payment").order_by("position")


def bank_payments_waiting() -> QuerySet[BankFilePayment]:
    """The queue: payments of confirmed files that no invoice was found for, oldest first."""
    return (
        BankFilePayment.objects.filter(
            state=BankPaymentState.UNMATCHED, bank_file__status="confirmed"
        )
        .select_related("bank_file", "customer")
        .defer("bank_file__content")
        .order_by("booked_on", "pk")
    )


def customer_open_invoices(customer, currency: str) -> list[Invoice]:
    """The customer's invoices with something open in ``currency``, due first first."""
    return list(
        receivables_selectors.receivables()
        .filter(customer=customer, currency=currency, document_type=DocumentType.INVOICE)
        .order_by("due_date", "pk")
    )


def bank_file_summary(rows: Iterable[BankFilePayment]) -> list[dict]:
    """Per currency: how many payments and how much were matched, partly matched, unmatched
    (waiting) and skipped, and the file's total (skipped left out). The one computation of
    these figures: the preview page and the API show it."""
    groups = ("matched", "partly_matched", "unmatched", "skipped")
    per_currency: dict[str, dict] = {}
    for row in rows:
        summary = per_currency.setdefault(
            row.currency,
            {"currency": row.currency, "total": Decimal("0"),
             **{group: {"count": 0, "amount": Decimal("0")} for group in groups}},
        )  # fmt: skip
        group = "skipped" if row.state == BankPaymentState.SKIPPED else row.match_kind
        summary[group]["count"] += 1
        summary[group]["amount"] += row.amount
        if group != "skipped":
            summary["total"] += row.amount
    return [per_currency[currency] for currency in sorted(per_currency)]


def customer_named(payer_name: str):
    """The one customer whose name is the payer's (``matching.names_match``), or None when
    none or several are. One query."""
    if not payer_name:
        return None
    found = [
        customer
        for customer in Customer.objects.only("pk", "name")
        if names_match(payer_name, customer.name)
    ]
    return found[0] if len(found) == 1 else None
