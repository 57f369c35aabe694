"""Where the receivables and ledger stages, above this one, plug into invoices (registered in
``InvoicingConfig.ready()``): what happens when a credit note is posted, what is booked when
any document is posted, and what the invoice list and page show about payment. Invoices
cannot import receivables or the ledger, so they call back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

_credit_note_posted: list[Callable[..., None]] = []
_document_posted: list[Callable[..., object]] = []
_invoice_annotators: list[Callable[[QuerySet], QuerySet]] = []
_invoice_page_context: list[Callable[..., dict[str, Any]]] = []


def credit_note_posted_listener_register(listener: Callable[..., None]) -> None:
    """Register ``listener(credit_note=, actor=)``, called inside the posting transaction."""
    if listener not in _credit_note_posted:
        _credit_note_posted.append(listener)


def credit_note_posted(*, credit_note, actor) -> None:
    for listener in _credit_note_posted:
        listener(credit_note=credit_note, actor=actor)


def document_posted_listener_register(listener: Callable[..., object]) -> None:
    """Register ``listener(document=, lines=, taxes=, actor=)``, called inside the posting
    transaction once the invoice, credit note or internal charge is written (and a credit
    note has settled its invoice); ``lines`` and ``taxes`` are the rows just written (empty
    for an internal charge). The ledger books the document here."""
    if listener not in _document_posted:
        _document_posted.append(listener)


def document_posted(*, document, lines, taxes, actor) -> None:
    for listener in _document_posted:
        listener(document=document, lines=lines, taxes=taxes, actor=actor)


def invoice_annotator_register(annotator: Callable[[QuerySet], QuerySet]) -> None:
    """Register a function that annotates an invoice queryset for lists (the open amount)."""
    if annotator not in _invoice_annotators:
        _invoice_annotators.append(annotator)


def invoices_annotate(queryset: QuerySet) -> QuerySet:
    for annotator in _invoice_annotators:
        queryset = annotator(queryset)
    return queryset


def invoice_page_context_register(provider: Callable[..., dict[str, Any]]) -> None:
    """Register ``provider(invoice=, request=) -> dict`` adding to the invoice page's context."""
    if provider not in _invoice_page_context:
        _invoice_page_context.append(provider)


def invoice_page_context(*, invoice, request) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for provider in _invoice_page_context:
        context.update(provider(invoice=invoice, request=request))
    return context
