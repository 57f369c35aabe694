import pytest
from django.db import connection

from tests import db_template
from tests.factories import UserFactory


def pytest_collection_modifyitems(items):
    """Coverage is measured by the example tests. A property test (hypothesis, the API schema
    fuzz, the billing-cycle state machine) runs the same code hundreds of times and adds no line
    or branch the examples miss, while tracing it cost as much as running it; such tests run
    untraced (pytest-cov's ``no_cover``), as does any test marked ``no_cover`` itself."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.no_cover)
    # Long tests first, within pytest-django's groups (database, transactional, no database) and
    # keeping pytest-randomly's order otherwise: the workers then end on short tests, instead of
    # one waiting for the other's 15-second browser walk that happened to come last.
    # Long tests without a database may run anywhere, so they go first of all.
    items.sort(key=_order)


def _order(item) -> tuple:
    group, long = _database_group(item), _long(item)
    return (not (long and group == 2), group, not long)


def _database_group(item) -> int:
    """pytest-django's order: database tests (0), transactional ones (1), the rest (2)."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    options = (
        (
            *marker.args[:2],
            *(marker.kwargs.get(name) for name in ("transaction", "reset_sequences")),
        )
        if marker
        else ()
    )
    if any(options) or "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


def _long(item) -> bool:
    """Seconds rather than milliseconds: untraced tests, browser tests and those marked slow."""
    return any(
        item.get_closest_marker(name) for name in ("no_cover", "slow")
    ) or item.nodeid.startswith("tests/browser/")


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
    """pytest-django's database set-up, through a kept migrated copy (``tests/db_template.py``)."""
    from django.test.utils import setup_databases
    from pytest_django.fixtures import _get_databases_for_setup

    verbosity = request.config.option.verbose
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    reuse = django_db_keepdb and not django_db_createdb
    in_memory = connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.creation._get_test_db_name()
    )
    plain = not (connection.vendor == "postgresql" or in_memory)
    plain = plain or not django_db_use_migrations or reuse or len(aliases) != 1
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
            setup = db_template.setup_from_template
            if connection.vendor == "sqlite":
                setup = db_template.sqlite_setup_from_template
            config = setup(
                verbosity=verbosity, aliases=aliases, serialized_aliases=serialized_aliases
            )
        db_template.reference_rows_remember()
        db_template.fast_teardown_install()
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


@pytest.fixture(autouse=True)
def _english_by_default():
    """Requests activate the user's language in the thread; start every test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")
