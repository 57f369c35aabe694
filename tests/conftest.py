import pytest
from django.db import connection

from tests.factories import UserFactory


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
