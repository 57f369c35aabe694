"""What a customer statement prints (page, PDF, the PDF a reminder carries): the statement of
``selectors.customer_statement`` with its rows and ageing buckets labelled."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from invoicing.invoices import documents
from invoicing.receivables import selectors, statements


def statement_document_context(
    customer: Customer,
    *,
    currency: str,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> dict:
    """The statement in one currency from ``date_from`` (None: from the start) to ``date_to``
    (None: today), as the statement templates read it."""
    date_to = date_to or timezone.localdate()
    statement = selectors.customer_statement(
        customer, currency, date_from=date_from, date_to=date_to
    )
    bucket_labels = {
        statements.NOT_DUE: _("Not yet due"),
        statements.DAYS_0_30: _("0-30 days"),
        statements.DAYS_31_60: _("31-60 days"),
        statements.DAYS_61_90: _("61-90 days"),
        statements.OVER_90: _("Over 90 days"),
    }
    return {
        "customer": customer,
        "currency": currency,
        "date_from": date_from,
        "date_to": date_to,
        "statement": statement,
        "lines": [
            {"line": line, "label": selectors.entry_kind_label(line.entry.kind)}
            for line in statement.lines
        ],
        "ageing": [
            (bucket_labels[key], statement.ageing.buckets[key]) for key in statements.BUCKETS
        ],
    }


def statement_pdf(context: dict) -> bytes:
    """The statement PDF of a ``statement_document_context`` (in the active language)."""
    return documents.html_pdf("documents/statement.html", context)
