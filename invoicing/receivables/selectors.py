"""What customers owe: unpaid invoices, and those past their due date."""

from __future__ import annotations

import datetime

from django.db.models import F, QuerySet
from django.utils import timezone

from invoicing.invoices.models import DocumentType, Invoice, InvoiceStatus


def receivables() -> QuerySet[Invoice]:
    """Invoices not yet paid, oldest due first, with what a receivables page shows."""
    return (
        Invoice.objects.filter(document_type=DocumentType.INVOICE)
        .exclude(status=InvoiceStatus.PAID)
        .exclude(paid_amount__gte=F("gross_total"))
        .select_related("customer", "contract")
        .order_by("due_date", "sequence_number")
    )


def overdue(today: datetime.date | None = None) -> QuerySet[Invoice]:
    return receivables().filter(due_date__lt=today or timezone.localdate())
