"""Keyset pagination for lists too long to count or to skip through with OFFSET.

A page is found from the last row the reader saw (``?after=``) or the first (``?before=``),
never by counting the rows in front of it: the database walks its index from that row and stops
after a page, so the thousandth page costs what the first does. The cursor is the row's sort key
in plain text (``2026-03-31.1234`` for newest-first by date then id), so a link stays readable.
A list paginated this way has no page numbers, only newest, newer and older."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, newest first, and the cursors of the pages around it (``None`` when
    there is none)."""

    object_list: list
    newer: str | None  # ?before= for the page in front of this one
    older: str | None  # ?after= for the page behind this one

    @property
    def is_first(self) -> bool:
        return self.newer is None


def cursor_of(row) -> str:
    return f"{row.date.isoformat()}.{row.pk}"


def cursor_parse(text: str | None) -> tuple[datetime.date, int] | None:
    """The (date, id) a cursor names, or ``None`` for a missing or mangled one (then the list
    starts from the newest row, as a reader following an old link would expect)."""
    if not text:
        return None
    date_text, _dot, pk_text = text.partition(".")
    try:
        return datetime.date.fromisoformat(date_text), int(pk_text)
    except ValueError:
        return None


def keyset_page_by_date(
    rows: QuerySet, *, size: int, after: str | None = None, before: str | None = None
) -> KeysetPage:
    """A page of ``rows`` newest first by ``date`` then ``pk``: the ``size`` rows behind the
    cursor ``after``, or in front of the cursor ``before``, or the newest. Two queries at most
    (a second only when a page asked for with ``before`` turns out to be the first, to fill it)."""
    rows = rows.order_by("-date", "-pk")
    older_than = cursor_parse(after)
    newer_than = cursor_parse(before) if older_than is None else None
    if newer_than is not None:
        date, pk = newer_than
        found = list(
            rows.filter(Q(date__gt=date) | Q(date=date, pk__gt=pk), date__gte=date).order_by(
                "date", "pk"
            )[: size + 1]
        )
        has_newer = len(found) > size
        object_list = list(reversed(found[:size]))
        if not has_newer and len(object_list) < size:
            # The first page: start it at the newest row, not at the cursor.
            return keyset_page_by_date(rows, size=size)
        return KeysetPage(
            object_list,
            newer=cursor_of(object_list[0]) if has_newer else None,
            older=cursor_of(object_list[-1]) if object_list else None,
        )
    if older_than is not None:
        date, pk = older_than
        # ``date__lte`` repeats what the OR says so that the index on the date starts there.
        rows_here = rows.filter(Q(date__lt=date) | Q(date=date, pk__lt=pk), date__lte=date)
    else:
        rows_here = rows
    found = list(rows_here[: size + 1])
    object_list = found[:size]
    return KeysetPage(
        object_list,
        newer=cursor_of(object_list[0]) if older_than is not None and object_list else None,
        older=cursor_of(object_list[-1]) if len(found) > size else None,
    )
