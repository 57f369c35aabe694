"""Query plans that do not depend on what the planner last saw of a table (PostgreSQL).

A connection keeps the plans of the foreign-key checks it ran (each inserted proposal line
looks up its proposal, its share and its transaction): planned once, reused for the
connection's life. Planned while ``invoicing_invoiceproposal`` was empty or small, the check is a
sequential scan, and it stays one while a billing run fills the table: each line then reads
every proposal, and a run of 3,000 contracts took 4.7 times one of 1,000. A long-lived
connection (a ``db_worker`` with ``DATABASE_CONN_MAX_AGE``) keeps such plans from one run to
the next. Nothing refreshes statistics on these servers (autovacuum is off, and the
application's role may not ``ANALYZE`` tables it does not own, docs/database-roles.md), so a
billing run does not rely on them: it has the connection plan its queries again at every chunk,
from the tables' sizes as they are then (the planner reads a table's current number of pages,
whatever the statistics say)."""

from __future__ import annotations

from django.db import connection


def query_plans_renew() -> None:
    """Drop the plans this connection cached (``DISCARD PLANS``, allowed to every role and
    inside a transaction), so that each query, the foreign-key checks included, is planned
    again the next time it runs. Nothing to do on SQLite."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("DISCARD PLANS")


def narrow_plans() -> None:
    """For the rest of the current transaction, plan every query with index look-ups wherever
    an index serves it (``SET LOCAL enable_seqscan = off``: a cost, not a ban, so a table
    without a usable index is still read). A billing run's queries are all narrow (one
    contract's shares, lines and transactions, by indexed keys), but the statistics may say a
    table is empty that the run has since filled: analysed when the run began, the proposal
    lines' table "held no row", the share figures of each contract were read with a sequential
    scan of every line written so far, and a run of 3,000 contracts cost 4.9 times one of 1,000
    (quadratic). Allowed to every role; ends with the transaction. Nothing on SQLite."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
