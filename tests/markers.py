"""Markers that several test modules share."""

import os

import pytest
from django.db import connection


def migration_round_trip(test):
    """A test that migrates the database back and forth. It runs on PostgreSQL, where production
    data is migrated and CI runs the suite; on SQLite every step rebuilds the tables it alters,
    and the three round trips took 56 s of one worker, a third of `make test`. It runs untraced:
    migrations are not measured (pyproject omits them), and tracing Django's migration machinery
    only made it slower."""
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="migration round trips run on PostgreSQL (CI); on SQLite they rebuild tables",
    )
    return pytest.mark.no_cover(skip(test))


def landed_migration_round_trip(test):
    """A round trip of a data migration that has already run in production (it landed in an
    earlier release). Each round trip unapplies and reapplies every later migration, so its
    cost grows with each one added (the three below took 77 s of one worker on 3 December);
    they run in `make soak` (MIGRATION_ROUND_TRIPS=all, with DATABASE_URL on PostgreSQL), and
    `make test` keeps the round trips of migrations not yet released."""
    skip = pytest.mark.skipif(
        os.environ.get("MIGRATION_ROUND_TRIPS") != "all",
        reason="a released migration's round trip: make soak runs it (MIGRATION_ROUND_TRIPS=all)",
    )
    return skip(migration_round_trip(test))
