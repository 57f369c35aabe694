"""Least privilege in PostgreSQL: migrations run as the database's owner, the application as a
role that owns nothing and may only read and write rows.

Why: the posted-invoice triggers (invoicing migrations 0005 and 0008) refuse every change to a
posted document, but a table's owner (or a superuser) can disable a trigger or truncate the
table. An application that connects as a role owning nothing cannot: ``ALTER TABLE ... DISABLE
TRIGGER``, ``TRUNCATE``, ``DROP`` and ``CREATE`` are refused to it, whatever SQL it is tricked
into sending. See docs/database-roles.md.

- ``DATABASE_URL``: the application's role (web, ``db_worker``, every command).
- ``MIGRATION_DATABASE_URL``: the owner's user name and password; ``manage.py migrate`` and
  ``manage.py create_app_role`` connect with them. Only its user and password are taken: the
  database, host and port stay those of ``DATABASE_URL`` (so a test database stays the test's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.conf import settings
from django.db import connections

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"


@contextmanager
def owner_connection(alias: str = "default") -> Iterator[None]:
    """Connect ``alias`` as the owner named by MIGRATION_DATABASE_URL for the block (nothing
    changes when it is not set), then go back to the application's role."""
    url = getattr(settings, "MIGRATION_DATABASE_URL", "")
    if not url:
        yield
        return
    owner = dj_database_url.parse(url)
    connection = connections[alias]
    saved = {key: connection.settings_dict.get(key) for key in ("USER", "PASSWORD")}
    connection.close()
    connection.settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def app_role_statements(role: str, *, owner: str, quote) -> list[str]:
    """The grants that make ``role`` able to read and write every row of the schema, now and in
    tables the owner creates later, and nothing more (no TRUNCATE, no REFERENCES, no TRIGGER,
    no CREATE: it owns nothing, so it cannot ALTER, DROP or disable a trigger either)."""
    role, owner = quote(role), quote(owner)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE CREATE ON SCHEMA public FROM {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT {TABLE_PRIVILEGES} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {role}",
    ]


class AppRoleRefused(Exception):
    pass


def app_role_create(cursor, *, role: str, password: str | None = None, quote=None) -> list[str]:
    """Create ``role`` (LOGIN, no superuser, no role or database creation) unless it exists,
    and grant it the application's privileges as the current user (the owner). Refuses a role
    that is a superuser or owns anything in the schema: such a role could disable the triggers.
    Returns what was done, in words."""
    from django.db import connection

    quote = quote or connection.ops.quote_name
    done = []
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
    found = cursor.fetchone()
    if found is None:
        cursor.execute(
            f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
            + (" PASSWORD %s" if password else ""),
            [password] if password else None,
        )
        done.append(f"created role {role}")
    elif found[0]:
        raise AppRoleRefused(f"{role} is a superuser; the application's role must not be one.")
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s LIMIT 5",
        [role],
    )
    owned = [name for (name,) in cursor.fetchall()]
    if owned:
        raise AppRoleRefused(
            f"{role} owns {', '.join(owned)}: the application's role must own nothing "
            "(migrate as the owner, or ALTER ... OWNER TO the owner first)."
        )
    cursor.execute("SELECT current_user, current_database()")
    owner, database = cursor.fetchone()
    cursor.execute(f"GRANT CONNECT ON DATABASE {quote(database)} TO {quote(role)}")
    for statement in app_role_statements(role, owner=owner, quote=quote):
        cursor.execute(statement)
    done.append(f"granted {role} row access (SELECT, INSERT, UPDATE, DELETE) on {database}")
    return done
