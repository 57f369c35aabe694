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


# Totals are added up over at most this many lines: beyond it a page would wait on a sum over
# the whole table (160 ms and more at a million lines) on every view and every page turn.
TOTALS_LINES_LIMIT = 50_000


def transaction_totals(
    transactions: QuerySet[ProjectTransaction], *, limit: int | None = None
) -> list[dict] | None:
    """Count, quantity, cost and sales per currency of the filtered transactions; ``None`` when
    they are more than ``limit`` lines (``TOTALS_LINES_LIMIT`` unless told), found by counting
    at most one line beyond it. Two queries, one when there are too many."""
    limit = TOTALS_LINES_LIMIT if limit is None else limit
    if transactions.order_by()[: limit + 1].count() > limit:
        return None
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
