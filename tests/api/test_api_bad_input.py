"""The API never answers 500: numbers too big for their column are a 400 on the field, and
identical bulk posts sent at the same moment give one 201 and otherwise "already imported"."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invoicing.transactions import imports
from invoicing.transactions.models import ProjectTransaction
from tests.factories import CategoryFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import contract_with_customer

D = Decimal


def api_client(role: str = "finance_clerk", username: str = "karin") -> APIClient:
    user = UserFactory(username=username, role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def timesheet_setup():
    _contract, project, _source = contract_with_customer()
    WorkerFactory(code="W1")
    CategoryFactory(code="DEV", kind="hour")
    CategoryFactory(code="TRAVEL", kind="expense")
    return project


def hour_row(project, **overrides) -> dict:
    return {
        "entry_id": "A-1",
        "date": "2026-03-02",
        "project": project.code,
        "worker": "W1",
        "category": "DEV",
        "hours": "7,5",
        **overrides,
    }


def expense_row(project, **overrides) -> dict:
    return hour_row(
        project,
        **{"category": "TRAVEL", "kind": "expense", "worker": "", "cost_price": "10", **overrides},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_row", "overrides", "field", "message"),
    [
        (expense_row, {"hours": "1000000000000"}, "hours", "too large"),
        (expense_row, {"hours": "1e30"}, "hours", "too large"),
        (hour_row, {"sales_price": "1000000000000"}, "sales_price", "too large"),
        (expense_row, {"cost_price": "123456789012"}, "cost_price", "too large"),
        (hour_row, {"sales_price": "10.12345"}, "sales_price", "At most 4 decimals"),
        # Each number fits, their product does not fit an amount.
        (
            expense_row,
            {"hours": "9999999999", "cost_price": "99999999"},
            "cost_price",
            "is too large",
        ),
        (
            expense_row,
            {"hours": "9999999999", "sales_price": "99999999"},
            "sales_price",
            "is too large",
        ),
    ],
)
def test_bulk_number_too_big_for_its_column_is_a_400_on_the_field(
    make_row, overrides, field, message
):
    project = timesheet_setup()
    response = api_client().post(
        "/api/v1/transactions/bulk/", {"rows": [make_row(project, **overrides)]}, format="json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert message in errors[0]["message"]
    assert not ProjectTransaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", "1000000000000"), ("sales_price", "1000000000000"), ("cost_price", "1e20")],
)
def test_single_transaction_number_too_big_is_a_400_on_the_field(field, value):
    project = timesheet_setup()
    worker = WorkerFactory(code="W2")
    payload = {
        "kind": "hour",
        "date": "2026-03-02",
        "project": project.pk,
        "category": CategoryFactory(kind="hour").pk,
        "worker": worker.pk,
        "quantity": "8",
        field: value,
    }
    response = api_client().post("/api/v1/transactions/", payload, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_contract_value_too_big_is_a_400_on_the_field():
    from tests.api.test_api import contract_payload

    response = api_client().post(
        "/api/v1/contracts/", contract_payload(contract_value="1000000000000000"), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["contract_value"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent bulk posts are tested on PostgreSQL"
)
@pytest.mark.parametrize("serialized", [True, False], ids=["import-lock", "retry-only"])
def test_four_identical_bulk_posts_at_once_give_one_201_and_three_already_imported(
    serialized, monkeypatch
):
    """Four clients send the same rows at the same moment: before the import lock, each checked
    that no row existed, the first COPY won and the other three ended in a unique violation
    (psycopg's, not Django's IntegrityError: COPY bypasses Django's cursor) answered as HTML 500.
    Without the lock (a writer that does not take it), the violation is caught and the rows
    checked again."""
    if not serialized:
        monkeypatch.setattr(imports, "imports_serialize", lambda: None)
    project = timesheet_setup()
    tokens = [
        Token.objects.create(user=UserFactory(username=f"clerk{n}", role="finance_clerk")).key
        for n in range(4)
    ]
    rows = [hour_row(project, entry_id=f"A-{n}") for n in range(3)]
    barrier = threading.Barrier(4)
    answers: list = []
    errors: list = []

    def post(index: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[index]}")
            barrier.wait(timeout=30)
            response = client.post("/api/v1/transactions/bulk/", {"rows": rows}, format="json")
            answers.append((response.status_code, response.json()))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(answers, key=lambda answer: -answer[1]["created"]) == [
        (201, {"created": 3, "already_imported": 0}),
        *[(201, {"created": 0, "already_imported": 3})] * 3,
    ]
    assert ProjectTransaction.objects.count() == 3


@pytest.mark.django_db
def test_single_transaction_whose_amount_overflows_is_a_400():
    project = timesheet_setup()
    payload = {
        "kind": "expense",
        "date": "2026-03-02",
        "project": project.pk,
        "category": CategoryFactory(kind="expense").pk,
        "quantity": "9999999999",
        "cost_price": "99999999",
        "sales_price": "99999999",
    }
    response = api_client().post("/api/v1/transactions/", payload, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/v1/invoices/1/credit/", {"lines": [{"line": 10**30}], "reason": "x"}),
        ("/api/v1/proposals/generate/", {"contract": 10**30, "up_to_date": "2026-03-31"}),
        ("/api/v1/projects/", {"code": "P", "name": "P", "contract": 10**30}),
    ],
)
def test_huge_ids_are_not_a_server_error(path, payload):
    response = api_client(role="admin").post(path, payload, format="json")
    assert response.status_code in (400, 404), response.content
