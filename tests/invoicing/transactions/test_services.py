"""Transactions through the services: defaults, funding at entry, locks, and the import."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts import services as contract_services
from contracts.models import ProjectType
from contracts.texts import text_of_stored
from funding.models import FundingLimit
from invoicing.transactions import bulk, services, uploads
from invoicing.transactions.models import (
    BillingStatus,
    ImportBatch,
    ImportStatus,
    ProjectTransaction,
    TransactionAllocation,
)
from tests.factories import (
    ItemFactory,
    LinePropertyFactory,
    ProjectFactory,
    ProjectTransactionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
HEADER = "Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"


def record(setup, **fields):
    values = {
        "kind": "hour",
        "date": datetime.date(2026, 3, 2),
        "project": setup["project"],
        "category": setup["category"],
        "worker": setup["worker"],
        "quantity": D("8"),
        "cost_price": None,
        "sales_price": None,
        "currency": "",
        **fields,
    }
    return services.transaction_record(record=ProjectTransaction(**values), actor=None)


def used(limit):
    return FundingLimit.objects.get(pk=limit.pk).used_amount


def test_hours_take_the_workers_rates_and_are_funded_at_entry(billing_setup):
    transaction = record(billing_setup)
    assert (transaction.sales_price, transaction.cost_price) == (D("1000"), D("600"))
    assert (transaction.sales_amount, transaction.cost_amount, transaction.currency) == (
        D("8000.00"),
        D("4800.00"),
        "SEK",
    )
    shares = {a.source.name: a.amount for a in transaction.allocations.select_related("source")}
    assert shares == {"Grant": D("1000.00"), "Customer": D("7000.00")}
    assert used(billing_setup["grant_limit"]) == D("1000.00")
    assert used(billing_setup["customer_limit"]) == D("7000.00")


def test_item_takes_the_items_sales_price(billing_setup):
    item = ItemFactory(sales_price=D("5900"), cost_price=D("4200"))
    transaction = record(billing_setup, kind="item", worker=None, item=item, quantity=D("2"))
    assert (transaction.sales_amount, transaction.cost_amount) == (D("11800.00"), D("8400.00"))


def test_non_chargeable_purchase_is_cost_only_and_never_funded(billing_setup):
    property_ = LinePropertyFactory(code="NONCHARGE", is_chargeable=False)
    item = ItemFactory()
    transaction = record(
        billing_setup, kind="item", worker=None, item=item, line_property=property_
    )
    assert transaction.is_chargeable is False
    assert not transaction.allocations.exists()
    assert used(billing_setup["customer_limit"]) == 0


def test_transactions_on_internal_projects_are_never_billable(billing_setup):
    internal = ProjectFactory(contract=None, project_type=ProjectType.INTERNAL)
    transaction = record(billing_setup, project=internal, currency="SEK")
    assert transaction.is_chargeable is False
    assert not transaction.allocations.exists()


def test_wrong_currency_is_refused(billing_setup):
    with pytest.raises(ValidationError) as refused:
        record(billing_setup, currency="EUR")
    assert "SEK" in str(refused.value)
    assert not ProjectTransaction.objects.exists()


def test_update_releases_and_reallocates_funding(billing_setup):
    transaction = record(billing_setup)
    transaction.quantity = D("2")
    services.transaction_update(record=transaction, actor=None)
    assert used(billing_setup["grant_limit"]) == D("500.00")
    assert used(billing_setup["customer_limit"]) == D("1500.00")
    assert sum(a.amount for a in transaction.allocations.all()) == D("2000.00")


def test_delete_gives_the_headroom_back(billing_setup):
    transaction = record(billing_setup)
    services.transaction_delete(record=transaction, actor=None)
    assert used(billing_setup["grant_limit"]) == 0
    assert used(billing_setup["customer_limit"]) == 0
    assert not TransactionAllocation.objects.exists()


@pytest.mark.parametrize("status", [BillingStatus.IN_PROPOSAL, BillingStatus.INVOICED])
def test_transaction_in_a_proposal_or_invoiced_cannot_change(billing_setup, status):
    transaction = record(billing_setup)
    ProjectTransaction.objects.filter(pk=transaction.pk).update(billing_status=status)
    transaction.refresh_from_db()
    transaction.quantity = D("1")
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.transaction_update(record=transaction, actor=None)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.transaction_delete(record=transaction, actor=None)
    transaction.refresh_from_db()
    assert transaction.quantity == D("8")


def test_project_type_is_locked_once_it_has_transactions(billing_setup):
    record(billing_setup)
    project = billing_setup["project"]
    project.project_type = ProjectType.FIXED_PRICE
    with pytest.raises(ValidationError):
        contract_services.project_save(project=project, actor=None)


def upload(content: bytes, name="timesheet.csv"):
    user = UserFactory(role="finance_clerk")
    return uploads.import_batch_create(
        uploaded_file=SimpleUploadedFile(name, content, content_type="text/csv"), actor=user
    )


def timesheet(*lines):
    return ("\ufeff" + "\n".join([HEADER, *lines]) + "\n").encode()


GOOD = timesheet(
    "TS-1;2026-03-02;P-1;W1;DEV;7,5;Work;SEK",
    "TS-2;03.03.2026;P-1;W1;DEV;1;More work;SEK",
)


def import_file(content, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(content)
    batch.refresh_from_db()
    return batch


def test_import_checks_then_imports_on_confirm(billing_setup, django_capture_on_commit_callbacks):
    batch = import_file(GOOD, django_capture_on_commit_callbacks)
    assert (batch.status, batch.total_rows, batch.new_rows, batch.error_count) == (
        "validated",
        2,
        2,
        0,
    )
    assert not ProjectTransaction.objects.exists()

    uploads.import_batch_confirm(batch=batch, actor=batch.created_by)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert ProjectTransaction.objects.filter(import_batch=batch).count() == 2
    assert ProjectTransaction.objects.get(external_reference="TS-1").sales_amount == D("7500.00")
    assert used(billing_setup["grant_limit"]) == D("1000.00")
    assert used(billing_setup["customer_limit"]) == D("7500.00")


def test_one_bad_row_and_nothing_is_imported(billing_setup, django_capture_on_commit_callbacks):
    batch = import_file(
        timesheet("TS-1;2026-03-02;P-1;W1;DEV;8;ok;SEK", "TS-2;2026-03-02;P-1;W1;DEV;x;bad;SEK"),
        django_capture_on_commit_callbacks,
    )
    assert batch.status == ImportStatus.INVALID
    # The message is stored as its msgid and parameters, shown in the reader's language.
    assert [[*error[:2], text_of_stored(error[2]), error[3]] for error in batch.errors] == [
        [3, "Hours", "'x' is not a number.", "x"]
    ]
    with pytest.raises(ValidationError):
        uploads.import_batch_confirm(batch=batch, actor=batch.created_by)
    assert not ProjectTransaction.objects.exists()


def test_reimporting_the_same_file_creates_nothing_new(
    billing_setup, django_capture_on_commit_callbacks
):
    first = import_file(GOOD, django_capture_on_commit_callbacks)
    uploads.import_batch_confirm(batch=first, actor=first.created_by)
    second = import_file(GOOD, django_capture_on_commit_callbacks)
    assert (second.status, second.new_rows, second.unchanged_rows) == ("validated", 0, 2)
    uploads.import_batch_confirm(batch=second, actor=second.created_by)
    assert ProjectTransaction.objects.count() == 2
    assert TransactionAllocation.objects.filter(transaction__import_batch=second).count() == 0


def test_a_batch_cannot_be_imported_twice(billing_setup, django_capture_on_commit_callbacks):
    batch = import_file(GOOD, django_capture_on_commit_callbacks)
    uploads.import_batch_confirm(batch=batch, actor=batch.created_by)
    with pytest.raises(ValidationError, match="cannot be confirmed"):
        uploads.import_batch_confirm(batch=batch, actor=batch.created_by)
    assert ProjectTransaction.objects.count() == 2


def test_data_changed_after_the_preview_makes_the_import_refuse(
    billing_setup, django_capture_on_commit_callbacks
):
    batch = import_file(GOOD, django_capture_on_commit_callbacks)
    billing_setup["project"].status = "closed"
    billing_setup["project"].save()
    uploads.import_batch_confirm(batch=batch, actor=batch.created_by)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert "is closed" in text_of_stored(batch.errors[0][2])
    assert not ProjectTransaction.objects.exists()


def test_a_failure_half_way_leaves_nothing_behind(
    billing_setup, django_capture_on_commit_callbacks, monkeypatch
):
    batch = import_file(GOOD, django_capture_on_commit_callbacks)
    original, original_copy = bulk.rows_insert, bulk.copy_statement

    def fail_on_allocations(model, fields, rows):
        if model is TransactionAllocation:
            raise RuntimeError("disk full")
        return original(model, fields, rows)

    def fail_on_copying_allocations(model, fields):  # the import's COPY path (PostgreSQL)
        if model is TransactionAllocation:
            raise RuntimeError("disk full")
        return original_copy(model, fields)

    monkeypatch.setattr(bulk, "rows_insert", fail_on_allocations)
    monkeypatch.setattr(bulk, "copy_statement", fail_on_copying_allocations)
    uploads.import_batch_confirm(batch=batch, actor=batch.created_by)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "nothing was written" in batch.message and "disk full" in batch.message
    assert not ProjectTransaction.objects.exists()
    assert used(billing_setup["customer_limit"]) == 0


def test_unreadable_file_is_recorded_with_the_reason(
    billing_setup, django_capture_on_commit_callbacks
):
    # 0x81 and 0x8d are neither UTF-8 here nor defined in Windows-1252
    batch = import_file(b"\x81\x8d not text", django_capture_on_commit_callbacks)
    assert batch.status == ImportStatus.INVALID
    assert "neither UTF-8 nor Windows-1252" in batch.message


def test_batch_records_who_when_file_and_hash(billing_setup, django_capture_on_commit_callbacks):
    import hashlib

    batch = import_file(GOOD, django_capture_on_commit_callbacks)
    assert batch.file_sha256 == hashlib.sha256(GOOD).hexdigest()
    assert batch.file_name == "timesheet.csv"
    assert batch.created_by.groups.get().name == "Finance clerk"
    assert ImportBatch.objects.count() == 1


def test_factory_transaction_is_valid():
    ProjectTransactionFactory().full_clean()


def test_a_file_the_csv_module_cannot_read_leaves_the_batch_explained_not_validating(
    billing_setup, django_capture_on_commit_callbacks
):
    # A NUL byte used to make the check task fail with csv.Error, and the batch stayed
    # "validating" for good.
    batch = import_file(
        timesheet("TS-1;2026-03-02;P-1;W1;DEV;1;a\0b;SEK"), django_capture_on_commit_callbacks
    )
    assert batch.status == ImportStatus.INVALID
    assert "Line 2 contains a NUL character" in text_of_stored(batch.message)
    assert not ProjectTransaction.objects.exists()
