"""Transaction and import pages: permissions, the upload flow, export, and query bounds."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.roles import ROLE_GROUP_NAMES
from contracts.spreadsheets import spreadsheet_safe
from invoicing.transactions.models import ImportBatch, ProjectTransaction
from tests.factories import ImportBatchFactory, ProjectTransactionFactory

pytestmark = pytest.mark.django_db
ROLES = list(ROLE_GROUP_NAMES)
EVERYONE = set(ROLES)
CLERKS = {"finance_clerk", "admin"}
HEADER = "Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"


@pytest.fixture
def pages(billing_setup):
    transaction = ProjectTransactionFactory(project=billing_setup["project"])
    batch = ImportBatchFactory()
    return {
        "transaction_list": (reverse("invoicing:transaction_list"), EVERYONE),
        "transaction_create": (
            reverse("invoicing:transaction_create"),
            CLERKS,
        ),
        "transaction_update": (
            reverse("invoicing:transaction_update", args=[transaction.pk]),
            CLERKS,
        ),
        "transaction_export": (reverse("invoicing:transaction_export"), CLERKS | {"read_only"}),
        "import_list": (reverse("invoicing:import_list"), EVERYONE),
        "import_upload": (reverse("invoicing:import_upload"), CLERKS),
        "import_sample": (reverse("invoicing:import_sample"), CLERKS),
        "import_detail": (reverse("invoicing:import_detail", args=[batch.pk]), EVERYONE),
        "import_errors": (reverse("invoicing:import_errors", args=[batch.pk]), EVERYONE),
    }


PAGE_NAMES = [
    "transaction_list",
    "transaction_create",
    "transaction_update",
    "transaction_export",
    "import_list",
    "import_upload",
    "import_sample",
    "import_detail",
    "import_errors",
]


@pytest.mark.parametrize("page", PAGE_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_checks_the_role(client, user_with_role, pages, page, role):
    url, allowed = pages[page]
    client.force_login(user_with_role(role))
    assert client.get(url).status_code == (200 if role in allowed else 403)


def test_read_only_cannot_delete_or_confirm(client, user_with_role, pages, billing_setup):
    transaction = ProjectTransaction.objects.get()
    batch = ImportBatch.objects.get()
    client.force_login(user_with_role("read_only"))
    assert (
        client.post(reverse("invoicing:transaction_delete", args=[transaction.pk])).status_code
        == 403
    )
    assert client.post(reverse("invoicing:import_confirm", args=[batch.pk])).status_code == 403
    html = client.get(reverse("invoicing:transaction_list")).content.decode()
    assert reverse("invoicing:import_upload") not in html
    assert reverse("invoicing:transaction_create") not in html


def test_upload_preview_confirm_and_find_the_rows(
    clerk_client, billing_setup, django_capture_on_commit_callbacks
):
    content = f"{HEADER}\nTS-1;2026-03-02;P-1;W1;DEV;7,5;Work;SEK\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            reverse("invoicing:import_upload"), {"file": SimpleUploadedFile("week10.csv", content)}
        )
    batch = ImportBatch.objects.get()
    assert response["Location"] == batch.get_absolute_url()
    html = clerk_client.get(batch.get_absolute_url()).content.decode()
    assert "Confirm import" in html and "TS-1" in html and "7,500.00" in html

    clerk_client.post(reverse("invoicing:import_confirm", args=[batch.pk]))
    html = clerk_client.get(
        reverse("invoicing:transaction_list"), {"import_batch": batch.pk}
    ).content.decode()
    assert "7,500.00" in html and "Total, 1 line in SEK" in html


def test_a_windows_1252_file_from_excel_is_read_and_the_batch_says_so(
    clerk_client, billing_setup, django_capture_on_commit_callbacks
):
    content = f"{HEADER}\nTS-1;2026-03-02;P-1;W1;DEV;7,5;Mötesanteckningar;SEK\n".encode("cp1252")
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(
            reverse("invoicing:import_upload"), {"file": SimpleUploadedFile("vecka10.csv", content)}
        )
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.encoding) == ("validated", "windows-1252")
    html = clerk_client.get(batch.get_absolute_url()).content.decode()
    assert "Read as Windows-1252 (Excel&#x27;s CSV)" in html and "Mötesanteckningar" in html
    clerk_client.post(reverse("invoicing:import_confirm", args=[batch.pk]))
    assert ProjectTransaction.objects.get().description == "Mötesanteckningar"


def test_bad_file_shows_every_error_and_offers_the_report(
    clerk_client, billing_setup, django_capture_on_commit_callbacks
):
    content = f"{HEADER}\nTS-1;2026-02-30;P-1;W1;DEV;8;x;SEK\nTS-2;2026-03-02;P-1;W1;DEV;-1;x;SEK\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(
            reverse("invoicing:import_upload"), {"file": SimpleUploadedFile("bad.csv", content)}
        )
    batch = ImportBatch.objects.get()
    html = clerk_client.get(batch.get_absolute_url()).content.decode()
    assert "2 problems: nothing was imported" in html
    assert "Confirm import" not in html
    report = clerk_client.get(reverse("invoicing:import_errors", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Row", "Column", "Value", "Problem"]
    assert [row[:3] for row in rows[1:]] == [["2", "Date", "2026-02-30"], ["3", "Hours", "'-1"]]
    assert not ProjectTransaction.objects.exists()


def test_upload_refuses_a_non_csv_file(clerk_client):
    response = clerk_client.post(
        reverse("invoicing:import_upload"),
        {"file": SimpleUploadedFile("timesheet.xlsx", b"PK\x03\x04")},
    )
    assert "Upload a .csv file" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_export_escapes_cells_a_spreadsheet_would_run(clerk_client, billing_setup):
    for text in ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab", "\rReturn", "Plain"]:
        ProjectTransactionFactory(project=billing_setup["project"], description=text)
    response = clerk_client.get(reverse("invoicing:transaction_export"))
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    descriptions = {row["Description"] for row in rows}
    assert descriptions == {
        "'=HYPERLINK(\"http://x\")", "'+1+1", "'-2", "'@SUM(A1)", "'\tTab", "'\rReturn", "Plain",
    }  # fmt: skip
    # in a workbook the same texts are text cells, never formulas
    response = clerk_client.get(reverse("invoicing:transaction_export"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    cells = [row[header.index("Description")] for row in sheet.iter_rows(min_row=2)]
    assert {cell.data_type for cell in cells} == {"s"}
    assert '=HYPERLINK("http://x")' in {cell.value for cell in cells}


def test_export_in_swedish_is_semicolon_separated_with_a_decimal_comma(clerk_client, billing_setup):
    ProjectTransactionFactory(
        project=billing_setup["project"], quantity=Decimal("7.5"), description="Möte"
    )
    clerk_client.cookies["django_language"] = "sv"
    response = clerk_client.get(reverse("invoicing:transaction_export"))
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads å, ä, ö from UTF-8
    [row] = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    assert row["Antal"] == "7,5000" and row["Beskrivning"] == "Möte"
    assert row["Försäljningsbelopp"].count(",") == 1 and "." not in row["Försäljningsbelopp"]


def test_xlsx_export_has_real_numbers_and_dates(clerk_client, billing_setup):
    transaction = ProjectTransactionFactory(
        project=billing_setup["project"], quantity=Decimal("7.5")
    )
    response = clerk_client.get(reverse("invoicing:transaction_export"), {"format": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    assert row[header.index("Quantity")] == 7.5
    assert row[header.index("Date")].date() == transaction.date
    assert Decimal(str(row[header.index("Sales amount")])) == transaction.sales_amount


def test_spreadsheet_safe_leaves_numbers_alone():
    assert spreadsheet_safe(Decimal("-5.00")) == Decimal("-5.00")
    assert spreadsheet_safe("-5") == "'-5"


def test_transaction_list_runs_a_bounded_number_of_queries(
    clerk_client, billing_setup, django_assert_max_num_queries
):
    url = reverse("invoicing:transaction_list")
    params = {"contract": billing_setup["contract"].pk}
    ProjectTransactionFactory.create_batch(2, project=billing_setup["project"])
    ProjectTransactionFactory(project=billing_setup["project"], description="Crane inspection")
    with django_assert_max_num_queries(25) as few:
        response = clerk_client.get(url, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Total, 3 lines in SEK" in html and "24,000.00" in html  # 3 x 8,000.00
    assert "Crane inspection" in html
    ProjectTransactionFactory.create_batch(59, project=billing_setup["project"])
    ProjectTransactionFactory(
        project=billing_setup["project"], date=datetime.date(2026, 3, 31), description="Night shift"
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clerk_client.get(url, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Total, 63 lines in SEK" in html and "504,000.00" in html  # 63 x 8,000.00
    assert "Night shift" in html  # the newest, first on the first page


def test_clerk_records_a_transaction_and_sees_its_funding(clerk_client, billing_setup):
    response = clerk_client.post(
        reverse("invoicing:transaction_create"),
        {
            "kind": "hour",
            "date": "2026-03-02",
            "project": billing_setup["project"].pk,
            "category": billing_setup["category"].pk,
            "worker": billing_setup["worker"].pk,
            "quantity": "2",
        },
    )
    assert response.status_code == 302
    transaction = ProjectTransaction.objects.get()
    assert transaction.sales_amount == Decimal("2000.00")
    html = clerk_client.get(
        reverse("invoicing:transaction_update", args=[transaction.pk])
    ).content.decode()
    assert "Grant" in html and "500.00" in html and "1,500.00" in html


def test_negative_hours_in_the_form_are_refused(clerk_client, billing_setup):
    response = clerk_client.post(
        reverse("invoicing:transaction_create"),
        {
            "kind": "hour",
            "date": "2026-03-02",
            "project": billing_setup["project"].pk,
            "category": billing_setup["category"].pk,
            "worker": billing_setup["worker"].pk,
            "quantity": "-2",
        },
    )
    assert response.status_code == 200
    assert "The quantity cannot be less than zero" in response.content.decode()
    assert not ProjectTransaction.objects.exists()


def test_locked_transaction_page_has_no_save_and_refuses_a_post(clerk_client, billing_setup):
    transaction = ProjectTransactionFactory(
        project=billing_setup["project"], billing_status="invoiced"
    )
    url = reverse("invoicing:transaction_update", args=[transaction.pk])
    html = clerk_client.get(url).content.decode()
    assert "Save transaction" not in html and "cannot be changed or deleted" in html
    clerk_client.post(reverse("invoicing:transaction_delete", args=[transaction.pk]))
    assert ProjectTransaction.objects.filter(pk=transaction.pk).exists()
