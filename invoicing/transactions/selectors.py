"""Reads of transactions, their funding and import batches that pages, exports and the API share."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from invoicing.transactions.models import (
    ImportBatch,
    ProjectTransaction,
    TransactionAllocation,
)


def transaction_list() -> QuerySet[ProjectTransaction]:
    """Transactions with everything a row shows, in one query."""
    return ProjectTransaction.objects.select_related(
        "project", "project__contract", "category", "worker", "item"
    ).order_by("-date", "-pk")


def transaction_totals(transactions: QuerySet[ProjectTransaction]) -> list[dict]:
    """Count, quantity, cost and sales per currency of the filtered transactions (one query)."""
    return list(
        transactions.order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            quantity=Sum("quantity"),
            cost=Sum("cost_amount"),
            sales=Sum("sales_amount"),
        )
        .order_by("currency")
    )


def transaction_allocations(*, transaction: ProjectTransaction) -> QuerySet[TransactionAllocation]:
    return transaction.allocations.select_related("source", "rule", "binding_limit").order_by("pk")


def import_batch_list() -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by").defer("errors", "preview")
