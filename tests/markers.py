"""Markers that several test modules share."""

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
