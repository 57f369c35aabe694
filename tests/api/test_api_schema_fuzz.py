"""Every API operation, fed schema-generated input, answers without a server error.

Schemathesis reads our own OpenAPI schema and calls each operation in-process with generated
(valid and invalid) payloads as an admin, so validation runs rather than a 403. Examples are kept
few per operation so the suite stays fast; the point is breadth: no operation may answer 5xx.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from config.wsgi import application
from tests.factories import UserFactory


@pytest.fixture
def token(db):
    return Token.objects.create(user=UserFactory(username="fuzz", role="admin")).key


# Loaded at collection: the schema view is public and reads no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_with_a_server_error(case, token, db):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )
