"""The confirmed import checks and writes a file chunk by chunk (``IMPORT_CHUNK_ROWS``; on
PostgreSQL the next chunk is checked while the last one is copied): what spans chunks (row
numbers, repeated entry ids, the funding limits) is the whole file's, a bad row in any chunk,
the last one too, leaves nothing written, and the COPY text it writes reads back as the same
rows the ORM's path writes."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from contracts.texts import text_of_stored
from funding.models import FundingLimit
from invoicing.transactions import imports, timesheets, uploads
from invoicing.transactions.models import (
    ImportStatus,
    ProjectTransaction,
    TransactionAllocation,
)
from invoicing.transactions.timesheet_reader import timesheet_read
from tests.factories import CategoryFactory, LinePropertyFactory, UserFactory, WorkerFactory
from tests.invoicing.transactions.test_timesheets import lookups

pytestmark = pytest.mark.django_db(databases="__all__")  # progress has its own connection
D = Decimal
HEADER = "Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"


@pytest.fixture
def chunks_of_three(monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_CHUNK_ROWS", 3)


def timesheet(*lines, header=HEADER):
    return ("\ufeff" + "\n".join([header, *lines]) + "\n").encode()


def checked(content, django_capture_on_commit_callbacks):
    user = UserFactory(role="finance_clerk")
    with django_capture_on_commit_callbacks(execute=True):
        batch = uploads.import_batch_create(
            uploaded_file=SimpleUploadedFile("week.csv", content, content_type="text/csv"),
            actor=user,
        )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED, batch.errors
    return batch


def confirmed(batch):
    uploads.import_batch_confirm(batch=batch, actor=batch.created_by)
    batch.refresh_from_db()
    return batch


def used(limit):
    return FundingLimit.objects.get(pk=limit.pk).used_amount


EIGHT_DAYS = [f"TS-{day};2026-03-{day:02};P-1;W1;DEV;1;Day {day};SEK" for day in range(1, 9)]


def test_funding_limits_carry_from_one_chunk_to_the_next(
    billing_setup, chunks_of_three, django_capture_on_commit_callbacks
):
    # Given eight hours of 1,000.00 in chunks of three, and a grant paying 25 % up to 1,000.00
    batch = confirmed(checked(timesheet(*EIGHT_DAYS), django_capture_on_commit_callbacks))
    # Then every row is written once, and the grant is used up by the fourth hour (in the
    # second chunk): the hours after it, in the second and third chunks, go to the customer
    assert (batch.status, batch.new_rows, batch.total_rows) == (ImportStatus.IMPORTED, 8, 8)
    assert ProjectTransaction.objects.filter(import_batch=batch).count() == 8
    assert used(billing_setup["grant_limit"]) == D("1000.00")
    assert used(billing_setup["customer_limit"]) == D("7000.00")
    grant_by_day = {
        share.transaction.external_reference: share.amount
        for share in TransactionAllocation.objects.filter(
            source=billing_setup["grant"]
        ).select_related("transaction")
    }
    assert grant_by_day == {f"TS-{day}": D("250.00") for day in range(1, 5)}
    for record in ProjectTransaction.objects.prefetch_related("allocations"):
        assert sum(share.amount for share in record.allocations.all()) == record.sales_amount


def test_a_bad_row_in_the_last_chunk_leaves_nothing_written(
    billing_setup, chunks_of_three, django_capture_on_commit_callbacks
):
    # Given a file whose last row (row 9, in the third chunk) names a second worker
    WorkerFactory(code="W2")
    lines = [*EIGHT_DAYS[:7], "TS-8;2026-03-08;P-1;W2;DEV;1;Day 8;SEK"]
    batch = checked(timesheet(*lines), django_capture_on_commit_callbacks)
    # When that worker leaves between the preview and the confirmation
    WorkerFactory._meta.model.objects.filter(code="W2").update(is_active=False)
    batch = confirmed(batch)
    # Then the two chunks already copied are rolled back with it: nothing is written
    assert batch.status == ImportStatus.INVALID
    assert [[*error[:2], text_of_stored(error[2]), error[3]] for error in batch.errors] == [
        [9, "Employee", "Worker W2 is not active.", "W2"]
    ]
    assert not ProjectTransaction.objects.exists()
    assert not TransactionAllocation.objects.exists()
    assert used(billing_setup["grant_limit"]) == used(billing_setup["customer_limit"]) == 0


def test_errors_in_several_chunks_are_all_reported_with_their_file_rows(
    billing_setup, chunks_of_three, django_capture_on_commit_callbacks
):
    WorkerFactory(code="W2")
    lines = [
        line.replace(";W1;", ";W2;") if n in (1, 7) else line for n, line in enumerate(EIGHT_DAYS)
    ]
    batch = checked(timesheet(*lines), django_capture_on_commit_callbacks)
    WorkerFactory._meta.model.objects.filter(code="W2").update(is_active=False)
    batch = confirmed(batch)
    assert [(row, column) for row, column, *_ in batch.errors] == [(3, "Employee"), (9, "Employee")]
    assert batch.error_count == 2
    assert not ProjectTransaction.objects.exists()


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 100])
def test_checking_in_chunks_finds_what_checking_the_whole_file_finds(chunk):
    # Errors in several chunks, an entry id repeated across a chunk boundary, a bad first row
    sheet = timesheet_read(
        timesheet(
            "TS-1;2026-03-02;P-1;W1;DEV;x;bad hours;SEK",
            "TS-2;2026-03-02;P-1;W1;DEV;1;fine;SEK",
            "TS-3;2026-03-02;P-1;W1;DEV;2;fine;SEK",
            "TS-2;2026-03-03;P-1;W1;DEV;1;again;SEK",
            "TS-5;2026-03-02;P-CLOSED;W1;DEV;1;closed;SEK",
            "TS-6;2026-03-02;P-1;W1;DEV;3;fine;SEK",
            "TS-3;2026-03-04;P-1;W1;DEV;1;again;SEK",
        )
    )
    whole = timesheets.timesheet_validate(sheet.header, sheet.rows, lookups(), labels=sheet.labels)
    first_row_of: dict[str, int] = {}
    errors, drafts = [], []
    for start in range(0, len(sheet.rows), chunk):
        part = timesheets.timesheet_validate(
            sheet.header,
            sheet.rows[start : start + chunk],
            lookups(),
            labels=sheet.labels,
            first_index=start,
            first_row_of=first_row_of,
        )
        errors += part.errors
        drafts += part.drafts
    assert errors == whole.errors
    assert [draft.row for draft in drafts] == [draft.row for draft in whole.drafts] == [3, 4, 7]
    assert [(e.row, e.column) for e in whole.errors] == [
        (2, "Hours"),
        (5, "Entry ID"),
        (6, "Project"),
        (8, "Entry ID"),
    ]
    assert "first on row 3" in whole.errors[1].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("back\\slash", "back\\\\slash"),
        ("tab\there", "tab\\there"),
        ("two\nlines\r\n", "two\\nlines\\r\\n"),
        ('Åsa\'s "quote" ;', 'Åsa\'s "quote" ;'),
    ],
)
def test_texts_are_escaped_for_copy(text, expected):
    assert imports.copy_escaped(text) == expected


def _written():
    """What the import wrote, without the ids and times that differ from one write to another."""
    transactions = {
        record["external_reference"]: record
        for record in ProjectTransaction.objects.values(
            "external_reference", "kind", "date", "project_id", "category_id", "worker_id",
            "item_id", "line_property_id", "quantity", "cost_price", "sales_price",
            "cost_amount", "sales_amount", "currency", "description", "is_chargeable",
            "billing_status", "import_batch_id",
        )
    }  # fmt: skip
    allocations = sorted(
        TransactionAllocation.objects.values_list(
            "transaction__external_reference", "source_id", "amount", "rule_id", "priority",
            "percentage", "binding_limit_id", "limit_ids", "rounding_adjustment", "is_on_hold",
        )
    )  # fmt: skip
    limits = sorted(FundingLimit.objects.values_list("pk", "used_amount"))
    return transactions, allocations, limits


class Undo(Exception):
    pass


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY text path is PostgreSQL's")
def test_the_copy_text_reads_back_as_the_rows_the_orm_path_writes(
    billing_setup, chunks_of_three, django_capture_on_commit_callbacks
):
    CategoryFactory(code="OFFICE", kind="expense")
    LinePropertyFactory(code="NONCHARGE", is_chargeable=False)
    header = HEADER + ";Kind;Cost price;Line property"
    content = timesheet(
        "TS-1;2026-03-02;P-1;W1;DEV;7,5;plain;SEK;;;",
        'TS-2;2026-03-02;P-1;W1;DEV;0,25;"back\\slash, tab\there";SEK;;;',
        'TS-3;2026-03-03;P-1;W1;DEV;1;"two\nlines";SEK;;;',
        "TS-4;2026-03-03;P-1;;OFFICE;2;Paper \\N;SEK;expense;120,50;",
        "TS-5;2026-03-04;P-1;W1;DEV;3;not billed;SEK;;;NONCHARGE",
        "TS-6;2026-03-05;P-1;W1;DEV;8;Åsa's day;SEK;;;",
        "TS-7;2026-03-06;P-1;W1;DEV;1,125;rounded;SEK;;;",
        header=header,
    )
    batch = checked(content, django_capture_on_commit_callbacks)
    # The ORM's path (timesheet_drafts_save, psycopg formats each value), undone afterwards
    try:
        with transaction.atomic():
            outcome = imports.timesheet_check(content)
            imports.timesheet_drafts_save(drafts=outcome.drafts, batch_id=batch.pk)
            by_the_orm = _written()
            raise Undo
    except Undo:
        pass
    assert not ProjectTransaction.objects.exists()

    assert confirmed(batch).status == ImportStatus.IMPORTED
    by_copy_text = _written()
    assert by_copy_text == by_the_orm
    transactions = by_copy_text[0]
    assert transactions["TS-2"]["description"] == "back\\slash, tab\there"
    assert transactions["TS-3"]["description"] == "two\nlines"
    assert transactions["TS-4"]["description"] == "Paper \\N"
    assert transactions["TS-4"]["worker_id"] is None
    assert transactions["TS-5"]["is_chargeable"] is False
    assert len(by_copy_text[1]) > len(transactions) - 1  # the grant and the customer shares
