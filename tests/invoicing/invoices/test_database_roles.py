"""The application's PostgreSQL role owns nothing: it reads and writes rows (posting, a COPY
import, a payment) but cannot disable the posted-invoice triggers, truncate, alter, drop or
create tables. The role is created inside the test's transaction (roles are transactional in
PostgreSQL), so nothing is left behind; SET ROLE makes this session that role."""

import os
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from config.database_roles import AppRoleRefused, app_role_create, owner_connection
from invoicing.invoices import posting
from invoicing.invoices.models import Invoice
from invoicing.transactions import imports
from invoicing.transactions.models import ProjectTransaction
from tests.factories import CategoryFactory, WorkerFactory
from tests.invoicing.invoices.test_posting import approved_e1

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's"
)
# One name per test process: roles are shared by every database of the server.
ROLE = f"billing_app_test_{os.getpid()}"
POSTED_TABLES = ("invoicing_invoice", "invoicing_invoiceline", "invoicing_invoicetax")


@contextmanager
def as_role(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def refused(sql: str) -> str:
    """Run ``sql`` in a savepoint and return the database's refusal."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    return str(refusal.value)


@pytest.fixture
def app_role(db):
    call_command("create_app_role", ROLE, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return ROLE


@pytest.mark.parametrize("table", POSTED_TABLES)
@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_the_app_role_cannot_disable_the_triggers_nor_truncate(table, app_role, people):
    posting.invoice_post(proposal=approved_e1(people), actor=people["clerk"])
    with as_role(app_role):
        assert "must be owner" in refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        assert "must be owner" in refused(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        assert "permission denied" in refused(f"TRUNCATE {table} CASCADE")
        assert "must be owner" in refused(f"DROP TABLE {table} CASCADE")
        assert "must be owner" in refused(f"ALTER TABLE {table} ADD COLUMN sneaky int")
        assert "permission denied" in refused("CREATE TABLE sneaky (id int)")
        assert "permission denied" in refused("SET session_replication_role = replica")
        # The rows are still guarded by the triggers, which stayed enabled.
        assert "final" in refused(f"DELETE FROM {table}")
    assert Invoice.objects.count() == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_the_app_role_does_the_everyday_work(app_role, people):
    """Posting (invoice, lines, VAT, number), a payment-state change and a COPY import all run
    as the role with row access only."""
    proposal = approved_e1(people)
    project = proposal.contract.projects.first()
    WorkerFactory(code="W1", sales_rate=Decimal("100"))
    CategoryFactory(code="DEV", kind="hour")
    with as_role(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"])
        Invoice.objects.filter(pk=invoice.pk).update(status="sent")
        header = ["entry_id", "date", "project", "worker", "category", "hours"]
        outcome = imports.timesheet_rows_import(
            header=header, cells=[["R-1", "2026-03-02", project.code, "W1", "DEV", "8"]]
        )
        assert outcome.errors == []
        assert ProjectTransaction.objects.filter(external_reference="R-1").exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "sent"


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_a_superuser_is_refused_as_the_app_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        [superuser] = cursor.fetchone()
        with pytest.raises(AppRoleRefused, match="superuser"):
            app_role_create(cursor, role=superuser)


def test_migrations_connect_with_the_owners_user_and_password_only(settings):
    """Database, host and port stay DATABASE_URL's (a test database stays the test's)."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    before = dict(settings_dict)
    settings.MIGRATION_DATABASE_URL = "postgres://billing_owner:s3cret@elsewhere:6543/other"
    with owner_connection():
        assert (settings_dict["USER"], settings_dict["PASSWORD"]) == ("billing_owner", "s3cret")
        assert (settings_dict["NAME"], settings_dict["HOST"]) == (before["NAME"], before["HOST"])
    assert dict(settings_dict) == before
