"""Paginators for tables of millions of rows (the admin's changelists of transactions,
allocations, proposals and invoices)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap, and a page number that is off would show.
EXACT_COUNT_BELOW = 10_000


def estimated_rows(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows of the queryset's table (``pg_class.reltuples``, kept
    by ANALYZE and VACUUM), or None elsewhere and when the table was never analyzed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def page_by_ids(queryset: QuerySet, per_page: int, number) -> Page:
    """A page of ``queryset`` read in two steps: its ids (sorted, offset, limited: a narrow
    scan), then its rows with their annotations. Read at once, an OFFSET would compute every
    skipped row's subqueries and carry its wide columns through the sort."""
    page = Paginator(queryset.values_list("pk", flat=True), per_page).get_page(number)
    rows = {row.pk: row for row in queryset.filter(pk__in=list(page))}
    page.object_list = [rows[pk] for pk in page.object_list]
    return page


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered table by PostgreSQL's estimate instead of ``COUNT(*)`` (a scan of
    every row: 100+ ms at a million), when the estimate says the table is large. A filtered
    list, a small table and SQLite are counted exactly. The last page of a large table may then
    be a little short or a little past the end; the admin shows it as any page."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where:
            estimate = estimated_rows(queryset)
            if estimate is not None and estimate >= EXACT_COUNT_BELOW:
                return estimate
        return super().count


class LargeTableAdmin:
    """For a ModelAdmin of a table of millions of rows: the estimated count above, no second
    count of the whole table for "N total" (``show_full_result_count``), and 50 rows a page.
    Such an admin has no ``date_hierarchy`` either: it reads every distinct date of the
    table."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Rendering the admin's rows is most of such a page's time: 50 a page rather than 100.
    list_per_page = 50
