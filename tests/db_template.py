"""One migrated database per migration set, cloned for every test worker.

Migrating an empty database takes about 15 s of one core; `CREATE DATABASE ... TEMPLATE` takes
under a second. The first worker that needs a database migrates it as Django always does, then
keeps a copy named ``billing_tpl_<hash>``, where the hash covers every migration file of the
project, the requirements and the Python and Django versions: anything that could change what
``migrate`` builds. Every other worker, in this run and in later runs, clones that copy and then
runs ``migrate`` as usual (which finds nothing to apply and sends the post-migrate signals).
A change to any migration gives a new hash, so a stale copy is never used; older copies are
dropped when a new one is kept. ``make clean-test-db`` drops them all.

SQLite (the in-memory test database of every worker) works the same way with a file: the
first worker migrates and saves its database to ``billing-test-<hash>.sqlite3`` in the temporary
directory; every worker, in this run and later ones, loads that file into its in-memory database
with SQLite's backup API before ``migrate`` runs (about 0.1 s instead of 15 s).

``--nomigrations`` and ``--reuse-db`` runs take pytest-django's usual path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import django
from django.db import Error, connection
from django.test.utils import setup_databases, teardown_databases

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PREFIX = "billing_tpl_"
STALE_AFTER_SECONDS = 24 * 3600  # another checkout's SQLite copy is dropped after a day


def migration_set_hash() -> str:
    digest = hashlib.sha256(f"{sys.version}|{django.__version__}".encode())
    inputs = sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("requirements*.txt"))
    for path in inputs:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:7], "big")


def _exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _keep_as_template(cursor, test_name: str, template: str) -> None:
    cursor.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
        [TEMPLATE_PREFIX + "%", template],
    )
    for (stale,) in cursor.fetchall():
        with suppress(Error):  # another run is cloning it right now: its turn to drop it
            cursor.execute(f'DROP DATABASE IF EXISTS "{stale}"')
    cursor.execute(f'CREATE DATABASE "{template}" TEMPLATE "{test_name}"')


def _clone(cursor, template: str, test_name: str) -> bool:
    try:
        cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"')
        cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')
    except Error:  # dropped by a run with other migrations: migrate as usual
        return False
    return True


def setup_from_template(*, verbosity: int, aliases, serialized_aliases):
    """``setup_databases`` for the default PostgreSQL database, through the kept copy."""
    template = TEMPLATE_PREFIX + migration_set_hash()
    test_name = connection.creation._get_test_db_name()
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_lock_key(template)])
        try:
            cloned = _exists(cursor, template) and _clone(cursor, template, test_name)
            config = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=cloned,
            )
            if not cloned and not _exists(cursor, template):
                connection.close()  # a template must have no other session
                _keep_as_template(cursor, connection.settings_dict["NAME"], template)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(template)])
    return config


def _sqlite_template_path() -> Path:
    return Path(tempfile.gettempdir()) / f"billing-test-{migration_set_hash()}.sqlite3"


#: The connection that keeps a worker's in-memory database alive while Django opens and closes
#: its own: a shared-cache in-memory database lives as long as one connection to it is open.
_sqlite_keeper: list[sqlite3.Connection] = []


def _sqlite_template_load(template: Path) -> bool:
    """Load the kept file into this worker's in-memory database (kept open by a connection of
    ours); False if there is no such file. Opened read-only: a missing file is never created."""
    try:
        source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return False
    keeper = sqlite3.connect(connection.creation._get_test_db_name(), uri=True)
    with source:
        source.backup(keeper)
    source.close()
    _sqlite_keeper.append(keeper)
    return True


def sqlite_setup_from_template(*, verbosity: int, aliases, serialized_aliases):
    """``setup_databases`` for the default in-memory SQLite database, through the kept file."""
    template = _sqlite_template_path()
    with open(f"{template}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker migrates; the others wait for its file
        loaded = _sqlite_template_load(template)
        config = setup_databases(
            verbosity=verbosity,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
        )
        if not loaded:
            for stale in template.parent.glob("billing-test-*.sqlite3"):
                # Another checkout's copy, unless a run of it may still be loading it.
                with suppress(OSError):
                    if time.time() - stale.stat().st_mtime > STALE_AFTER_SECONDS:
                        stale.unlink()
            connection.ensure_connection()
            partial = template.with_suffix(f".{os.getpid()}.part")
            with sqlite3.connect(partial) as copy:
                connection.connection.backup(copy)
            copy.close()
            partial.rename(template)  # whole or not at all: a reader never sees half a file
    return config


def teardown(config, *, verbosity: int) -> None:
    """Drop the test database, ending first any session a test left behind (a thread of a
    concurrency test, or the backend of a worker process the test killed)."""
    if connection.vendor == "postgresql":
        test_name = connection.settings_dict["NAME"]
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [test_name],
            )
    teardown_databases(config, verbosity=verbosity, keepdb=False)
    while _sqlite_keeper:
        _sqlite_keeper.pop().close()


# ------------------------------------------------------------------------------------------
# Emptying the database after a transactional test
# ------------------------------------------------------------------------------------------
# Django ends each transactional test with `flush`: TRUNCATE of every table (on PostgreSQL
# about a second for our 80 tables: each truncated table gets new files) and then the
# post-migrate signal, which writes the content types, permissions and role groups again, but
# not the rows data migrations wrote (the billing-plan templates): a database test that a worker
# ran after a transactional one found them gone. Here instead, with the foreign keys deferred
# (and on PostgreSQL the triggers off: `session_replication_role = replica`, so the
# posted-documents' guards do not fire), every table but the migration history is emptied with
# DELETE, and every row that migrating wrote is put back as it was when the session's database
# was set up. Any order of tests then finds the same database.

KEPT_TABLES = ("django_migrations",)
_reference_rows: dict[str, tuple[list[str], list[tuple]]] = {}


def _tables(cursor) -> list[str]:
    return [
        name
        for name in connection.introspection.table_names(cursor)
        if name not in KEPT_TABLES and not name.startswith("sqlite_")
    ]


def reference_rows_remember() -> None:
    """Called once the session's database is ready: the rows migrating wrote, per table."""
    with connection.cursor() as cursor:
        for table in _tables(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            rows = cursor.fetchall()
            if rows:
                _reference_rows[table] = ([column[0] for column in cursor.description], rows)


def database_empty() -> None:
    """Every row a test wrote is gone; the rows migrating wrote are as they were set up."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("PRAGMA defer_foreign_keys = ON")
        for table in _tables(cursor):
            cursor.execute(f'DELETE FROM "{table}"')
        for table, (columns, rows) in _reference_rows.items():
            names = ", ".join(f'"{column}"' for column in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def fast_teardown_install() -> None:
    """Transactional tests end with `database_empty` instead of `flush`."""
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def fixture_teardown(self):
        plain = (
            connection.vendor not in ("postgresql", "sqlite")
            or not _reference_rows
            or self.available_apps is not None
            or self.serialized_rollback
            or self.reset_sequences
            or set(self._databases_names(include_mirrors=False)) != {"default"}
        )
        if plain:
            return original(self)
        return database_empty()

    TransactionTestCase._fixture_teardown = fixture_teardown
