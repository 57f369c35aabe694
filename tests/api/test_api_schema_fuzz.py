"""Every API operation, fed schema-generated input, answers without a server error.

Schemathesis reads our own OpenAPI schema and calls each operation in-process with generated
(valid and invalid) payloads as an admin, so validation runs rather than a 403. Examples are kept
few per operation so the suite stays fast; the point is breadth: no operation may answer 5xx.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
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
def keep_test_connection():
    """The WSGI handler closes the database connection after each request, which would end the
    test's transaction on PostgreSQL; Django's own test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, keep_test_connection):
    return Token.objects.create(user=UserFactory(username="fuzz", role="admin")).key


# Loaded at collection: the schema view is public and reads no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@schema.parametrize()
# `make test` sends 5 generated requests per operation; `make soak` sends 40.
@settings(
    max_examples=int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_with_a_server_error(case, token, db):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )


def seeded_billing_cycle():
    """A contract with hours, a draft proposal and a posted invoice, so the links the schema
    implies (list -> read -> submit/approve/post -> invoice -> credit, pdf) find real ids."""
    from decimal import Decimal

    from invoicing.invoices import posting
    from invoicing.proposals import generation, workflow
    from tests.factories import BillingRuleFactory, WorkerFactory
    from tests.invoicing.builders import DAY, contract_with_customer, hours

    clerk = UserFactory(username="fuzz-clerk", role="finance_clerk")
    approver = UserFactory(username="fuzz-approver", role="approver")
    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    worker = WorkerFactory(sales_rate=Decimal("100"))
    hours(project, worker, "8")
    [proposal] = generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
    workflow.proposal_submit(proposal=proposal, actor=clerk)
    workflow.proposal_approve(proposal=proposal, actor=approver)
    posting.invoice_post(proposal=proposal, actor=clerk)
    hours(project, worker, "4")
    generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)


# Stateful: schemathesis infers links between operations from the schema (a list's ids feed the
# read, workflow and credit operations; a create's id feeds read and update) and walks them, so
# an operation is also called with ids that exist and in states an earlier step left behind.
# Bounded: a few short scenarios in `make test`, more with SCHEMA_FUZZ_SCENARIOS in `make soak`.
APIWorkflow = schema.as_state_machine()


def test_linked_operations_never_answer_with_a_server_error(token, db):
    seeded_billing_cycle()

    class Workflow(APIWorkflow):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=[not_a_server_error, content_type_conformance],
                headers=kwargs.get("headers"),
            )

    Workflow.run(
        settings=settings(
            max_examples=int(os.environ.get("SCHEMA_FUZZ_SCENARIOS", "4")),
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
