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
        if connection.vendor == "postgresql":
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
