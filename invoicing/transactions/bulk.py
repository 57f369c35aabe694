"""Fast inserts for bulk paths (timesheet import, billing runs): COPY on PostgreSQL,
bulk_create elsewhere. Both run inside the caller's transaction, so the caller stays all or
nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models

BULK_CREATE_BATCH = 2000


def ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """Take ``count`` primary keys from the table's sequence in one query (PostgreSQL)."""
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        # One array value is far cheaper to fetch than ``count`` rows.
        cursor.execute(
            "SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s))) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return cursor.fetchone()[0]


def rows_insert(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence], *, ids: bool = True
) -> list[int]:
    """Insert ``rows`` (values in ``fields`` order, foreign keys as ids) and return their ids.
    With ``ids=False`` the database numbers the rows and nothing is returned (a query fewer)."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy_insert(model, fields, rows, with_ids=ids)
    objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=BULK_CREATE_BATCH)
    return [obj.pk for obj in objects]


def copy_statement(model: type[models.Model], fields: Sequence[str]) -> str:
    """``COPY table (columns of fields) FROM STDIN`` for rows the caller formats itself."""
    meta = model._meta
    quoted = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in fields)
    return f"COPY {connection.ops.quote_name(meta.db_table)} ({quoted}) FROM STDIN"


def _copy_insert(model, fields, rows, *, with_ids: bool) -> list[int]:
    ids = ids_reserve(model, len(rows)) if with_ids else []
    meta = model._meta
    columns = ([meta.pk.column] if with_ids else []) + [
        meta.get_field(name).column for name in fields
    ]
    json_positions = {
        position
        for position, name in enumerate(fields)
        if isinstance(meta.get_field(name), models.JSONField)
    }
    encoded: dict[str, str] = {}  # JSON values repeat (the same few limit ids): encode each once

    def as_json(value) -> str:
        key = repr(value)
        if key not in encoded:
            encoded[key] = json.dumps(value)
        return encoded[key]

    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for index, row in enumerate(rows):
            if json_positions:
                row = [
                    as_json(value) if p in json_positions else value for p, value in enumerate(row)
                ]
            copy.write_row((ids[index], *row) if with_ids else row)
    return ids
