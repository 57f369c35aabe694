"""The admin: timesheet import through django-import-export, and posted rows are frozen."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invoicing.transactions.models import ImportBatch, ProjectTransaction
from tests.factories import BillingRuleFactory, ProjectTransactionFactory

pytestmark = pytest.mark.django_db
HEADER = "Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"


@pytest.fixture
def admin_client(client, user_with_role):
    user = user_with_role("admin", is_staff=True)
    client.force_login(user)
    return client


def admin_import(client, content: bytes):
    url = "/admin/invoicing/projecttransaction/import/"
    response = client.post(
        url,
        {
            "format": "0",
            "import_file": SimpleUploadedFile("week.csv", content, content_type="text/csv"),
        },
    )
    return response, response.content.decode()


def test_admin_import_previews_and_confirms_through_the_bulk_path(admin_client, billing_setup):
    content = ("\ufeff" + HEADER + "\nTS-1;2026-03-02;P-1;W1;DEV;7,5;Work;SEK\n").encode()
    response, html = admin_import(admin_client, content)
    assert response.status_code == 200
    assert "TS-1" in html and "7500.00" in html
    assert not ProjectTransaction.objects.exists()

    confirm = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)
        for name in ("import_file_name", "original_file_name", "format")
    }
    admin_client.post("/admin/invoicing/projecttransaction/process_import/", confirm)
    transaction = ProjectTransaction.objects.get()
    assert transaction.sales_amount == 7500
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.new_rows, batch.file_name) == ("imported", 1, "week.csv")
    assert transaction.allocations.count() == 2


def test_admin_import_shows_row_errors_and_writes_nothing(admin_client, billing_setup):
    content = (HEADER + "\nTS-1;2026-03-02;NOPE;W1;DEV;8;x;SEK\n").encode()
    response, html = admin_import(admin_client, content)
    assert "Unknown project" in html
    assert "process_import" not in html
    assert not ProjectTransaction.objects.exists()


def test_admin_import_refuses_a_stray_quote_instead_of_swallowing_rows(admin_client, billing_setup):
    """The admin read files with tablib's lenient csv: a quote opened on row 2 and never closed
    took the 200 rows after it into one cell, checked as 1 row (issue 13). It reads them with
    the finance UI's strict reader now, and says which line."""
    rows = ['TS-1;2026-03-02;P-1;W1;DEV;1;"oops;SEK'] + [
        f"TS-{n};2026-03-02;P-1;W1;DEV;1;row {n};SEK" for n in range(2, 202)
    ]
    response, html = admin_import(admin_client, "\n".join([HEADER, *rows]).encode())
    assert "Line 2 opens a quoted text" in html
    assert "process_import" not in html
    assert not ProjectTransaction.objects.exists()


@pytest.mark.parametrize("role", ["finance_clerk", "approver", "project_manager", "read_only"])
def test_only_admins_enter_the_admin_even_when_made_staff(client, user_with_role, role):
    """A project manager made staff could change a rule's prices in the admin (issue 13)."""
    rule = BillingRuleFactory(rule_type="unit", unit_price=10, total_units=5)
    client.force_login(user_with_role(role, is_staff=True))
    change = f"/admin/contracts/billingrule/{rule.pk}/change/"
    for url in ("/admin/", change):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.post(change, {"name": "x", "rule_type": "unit", "unit_price": "1"})
    rule.refresh_from_db()
    assert rule.unit_price == 10


def test_the_admin_role_enters_the_admin(client, user_with_role):
    client.force_login(user_with_role("admin", is_staff=True))
    assert client.get("/admin/").status_code == 200


def test_invoiced_transaction_cannot_be_changed_or_deleted_in_the_admin(
    admin_client, billing_setup
):
    transaction = ProjectTransactionFactory(
        project=billing_setup["project"], billing_status="invoiced"
    )
    url = f"/admin/invoicing/projecttransaction/{transaction.pk}/"
    response = admin_client.post(url + "change/", {"quantity": "1"})
    assert response.status_code == 403
    admin_client.post(url + "delete/", {"post": "yes"})
    transaction.refresh_from_db()
    assert transaction.quantity == 8
