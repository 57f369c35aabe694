import pytest
from django.db import connection

from tests import db_template
from tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's database set-up; on PostgreSQL through a kept migrated copy
    (``tests/db_template.py``)."""
    from django.test.utils import setup_databases
    from pytest_django.fixtures import _get_databases_for_setup

    verbosity = request.config.option.verbose
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    reuse = django_db_keepdb and not django_db_createdb
    plain = connection.vendor != "postgresql" or not django_db_use_migrations or reuse
    with django_db_blocker.unblock():
        if plain:
            if not django_db_use_migrations:
                from pytest_django.fixtures import _disable_migrations

                _disable_migrations()
            config = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=reuse,
            )
        else:
            config = db_template.setup_from_template(
                verbosity=verbosity, aliases=aliases, serialized_aliases=serialized_aliases
            )
    yield
    if not reuse:
        with django_db_blocker.unblock():
            db_template.teardown(config, verbosity=verbosity)


@pytest.fixture
def user_with_role(db):
    """Make a user in one of the five roles: ``user_with_role("finance_clerk")``."""

    def make(role: str, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def clerk_client(client, user_with_role):
    client.force_login(user_with_role("finance_clerk"))
    return client


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


POSTED_TABLES = ("invoicing_invoice", "invoicing_invoiceline", "invoicing_invoicetax")


@pytest.fixture(autouse=True)
def _posted_invoices_emptied_before_flush(request):
    """On PostgreSQL a trigger refuses TRUNCATE while posted invoices exist, and a transactional
    test ends with a flush (TRUNCATE): before it, empty the posted documents with the triggers
    disabled, inside one transaction, so nothing else ever sees them disabled."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional or connection.vendor != "postgresql":
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so torn down (flushed) after this
    yield
    from django.db import transaction

    triggers = [f"{table}_not_truncated" for table in POSTED_TABLES]
    with transaction.atomic(), connection.cursor() as cursor:
        for table, trigger in zip(POSTED_TABLES, triggers, strict=True):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        cursor.execute(f"TRUNCATE {', '.join(POSTED_TABLES)} CASCADE")
        for table, trigger in zip(POSTED_TABLES, triggers, strict=True):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


@pytest.fixture(autouse=True)
def _english_by_default():
    """Requests activate the user's language in the thread; start every test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")
