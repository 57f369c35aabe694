"""Timesheet import: look up what the rows name, check every row (the pure reader in
timesheets.py), and write the checked rows, all or nothing, as one batch."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import errors as psycopg_errors

from contracts.models import (
    Category,
    Item,
    LineProperty,
    Project,
    ProjectContract,
    ProjectStatus,
    Worker,
)
from funding import allocation
from invoicing.transactions import bulk, timesheet_reader, timesheets
from invoicing.transactions.models import (
    BillingStatus,
    ImportBatch,
    ImportStatus,
    ProjectTransaction,
    TransactionAllocation,
)
from invoicing.transactions.services import ALLOCATION_FIELDS, transactions_fund

logger = logging.getLogger(__name__)

PROGRESS_DATABASE = "progress"
STORED_ERRORS_LIMIT = 10_000
PREVIEW_ROWS = 20
# The key of the PostgreSQL advisory lock that imports take (any fixed number; "TSIM").
IMPORT_LOCK_KEY = 0x5453494D
# COPY bypasses Django's cursor wrapper, so its unique violation is psycopg's own error.
UNIQUE_VIOLATIONS = (IntegrityError, psycopg_errors.UniqueViolation)


def imports_serialize() -> None:
    """Make the rest of the caller's transaction the only import writing (PostgreSQL: a
    transaction-level advisory lock, released at commit or rollback). An import checks which
    entry ids exist before it inserts; two imports of the same rows at once would both find
    none. Serialized, the second one's check (a new snapshot after the lock) sees the first
    one's rows as already imported. SQLite serializes writers by itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def timesheet_lookups(*, references: Sequence[str]) -> timesheets.Lookups:
    """Everything a timesheet refers to, in a few queries whatever the file size."""
    projects = {}
    all_projects = {
        project.pk: project
        for project in Project.objects.select_related("contract").only(
            "pk", "code", "contract_id", "project_type", "status", "parent_id", "contract__currency"
        )
    }
    for project in all_projects.values():
        ancestors, parent_id, seen = [], project.parent_id, {project.pk}
        while parent_id is not None and parent_id not in seen:
            ancestors.append(parent_id)
            seen.add(parent_id)
            parent_id = all_projects[parent_id].parent_id
        projects[project.code] = timesheets.ProjectFacts(
            id=project.pk,
            code=project.code,
            contract_id=project.contract_id,
            project_type=project.project_type,
            is_open=project.status == ProjectStatus.OPEN,
            currency=project.contract.currency if project.contract_id else None,
            ancestor_ids=tuple(ancestors),
        )
    existing = {
        reference: timesheets.transaction_fingerprint(*values)
        for reference, *values in _existing_transactions(references)
    }
    return timesheets.Lookups(
        projects=projects,
        workers={
            w.code: timesheets.WorkerFacts(w.pk, w.cost_rate, w.sales_rate, w.is_active)
            for w in Worker.objects.only("pk", "code", "cost_rate", "sales_rate", "is_active")
        },
        categories={
            c.code: timesheets.CategoryFacts(c.pk, c.group_id, c.kind)
            for c in Category.objects.only("pk", "code", "group_id", "kind")
        },
        items={
            i.code: timesheets.ItemFacts(i.pk, i.cost_price, i.sales_price)
            for i in Item.objects.only("pk", "code", "cost_price", "sales_price")
        },
        line_properties={
            p.code: timesheets.LinePropertyFacts(p.pk, p.is_chargeable)
            for p in LineProperty.objects.only("pk", "code", "is_chargeable")
        },
        existing=existing,
    )


EXISTING_FIELDS = (
    "external_reference",
    "date",
    "project_id",
    "worker_id",
    "category_id",
    "quantity",
    "kind",
)


def _existing_transactions(references: Sequence[str]):
    """(reference, date, project, worker, category, quantity, kind) of transactions that have
    one of ``references``: one query with an array on PostgreSQL, chunks elsewhere."""
    unique_references = list(dict.fromkeys(reference for reference in references if reference))
    if not unique_references:
        return []
    if connection.vendor == "postgresql":
        table = ProjectTransaction._meta.db_table
        columns = ", ".join(
            connection.ops.quote_name(ProjectTransaction._meta.get_field(name).column)
            for name in EXISTING_FIELDS
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE external_reference = ANY(%s)",
                [unique_references],
            )
            return cursor.fetchall()
    rows = []
    for start in range(0, len(unique_references), 5000):
        chunk = unique_references[start : start + 5000]
        rows += ProjectTransaction.objects.filter(external_reference__in=chunk).values_list(
            *EXISTING_FIELDS
        )
    return rows


def timesheet_check(content: bytes, *, progress=None) -> timesheets.ValidationOutcome:
    """Read and check a timesheet file against the database; writes nothing."""
    sheet = timesheet_reader.timesheet_read(content)
    references_at = sheet.header.index("entry_id")
    references = [row[references_at].strip() for row in sheet.rows if len(row) > references_at]
    lookups = timesheet_lookups(references=references)
    return timesheets.timesheet_validate(
        sheet.header, sheet.rows, lookups, labels=sheet.labels, progress=progress
    )


TRANSACTION_FIELDS = (
    "kind",
    "date",
    "project_id",
    "category_id",
    "worker_id",
    "item_id",
    "line_property_id",
    "quantity",
    "cost_price",
    "sales_price",
    "cost_amount",
    "sales_amount",
    "currency",
    "description",
    "is_chargeable",
    "billing_status",
    "external_reference",
    "import_batch_id",
    "created_at",
)


def timesheet_drafts_save(
    *, drafts: Sequence[timesheets.TransactionDraft], batch_id: int | None
) -> list[int]:
    """Insert checked drafts as transactions with their funding allocations (bulk, one
    transaction). Returns the new transaction ids. Must run inside ``transaction.atomic``."""
    now = timezone.now()
    rows = [
        (
            draft.kind,
            draft.date,
            draft.project.id,
            draft.category.id,
            draft.worker_id,
            draft.item_id,
            draft.line_property_id,
            draft.quantity,
            draft.cost_price,
            draft.sales_price,
            draft.cost_amount,
            draft.sales_amount,
            draft.currency,
            draft.description,
            draft.is_chargeable,
            BillingStatus.UNINVOICED,
            draft.external_reference,
            batch_id,
            now,
        )
        for draft in drafts
    ]
    ids = bulk.rows_insert(ProjectTransaction, TRANSACTION_FIELDS, rows)
    facts_by_contract: dict[int, list] = defaultdict(list)
    for transaction_id, draft in zip(ids, drafts, strict=True):
        if draft.is_chargeable:
            project = draft.project
            facts_by_contract[project.contract_id].append(
                allocation.TransactionFacts(
                    key=transaction_id,
                    amount=draft.sales_amount,
                    date=draft.date,
                    currency=draft.currency,
                    kind=draft.kind,
                    project_id=project.id,
                    worker_id=draft.worker_id,
                    item_id=draft.item_id,
                    category_id=draft.category.id,
                    category_group_id=draft.category.group_id,
                    project_ancestor_ids=project.ancestor_ids,
                )
            )
    contracts = list(ProjectContract.objects.filter(pk__in=facts_by_contract).order_by("pk"))
    allocation_rows = transactions_fund(contracts=contracts, facts_by_contract=facts_by_contract)
    bulk.rows_insert(TransactionAllocation, ALLOCATION_FIELDS, allocation_rows)
    return ids


def timesheet_rows_import(
    *, header: Sequence[str], cells: Sequence[Sequence[str]]
) -> timesheets.ValidationOutcome:
    """Check rows with the CSV import's rules and, when none has an error, insert them all
    (the API's bulk create). Checked inside the transaction that writes, like the import: one
    bad row and nothing is written; rows imported before are skipped, also when the same rows
    arrive at the same moment (imports are serialized; should a unique violation still come,
    from a writer that does not take the lock, the rows are checked once more and the ones now
    there count as imported before)."""
    try:
        return _timesheet_rows_import_once(header=header, cells=cells)
    except UNIQUE_VIOLATIONS:
        logger.info("Bulk import met rows written at the same moment; checking again")
        return _timesheet_rows_import_once(header=header, cells=cells)


@transaction.atomic
def _timesheet_rows_import_once(
    *, header: Sequence[str], cells: Sequence[Sequence[str]]
) -> timesheets.ValidationOutcome:
    imports_serialize()
    entry_column = list(header).index("entry_id")
    lookups = timesheet_lookups(references=[row[entry_column] for row in cells])
    outcome = timesheets.timesheet_validate(header, cells, lookups)
    if not outcome.errors:
        timesheet_drafts_save(drafts=outcome.drafts, batch_id=None)
    return outcome


def _errors_as_json(errors: Sequence[timesheets.RowError]) -> list[list]:
    return [
        [error.row, error.column, str(error.message), error.value]
        for error in errors[:STORED_ERRORS_LIMIT]
    ]


@transaction.atomic
def import_batch_record(
    *,
    content: bytes,
    file_name: str,
    actor: AbstractBaseUser,
    outcome: timesheets.ValidationOutcome,
) -> ImportBatch:
    """Import checked rows that arrived some other way (the admin) and record them as a batch."""
    batch = ImportBatch.objects.create(
        created_by=actor,
        file=ContentFile(content, name=file_name),
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(content).hexdigest(),
        status=ImportStatus.IMPORTED,
        total_rows=outcome.total_rows,
        processed_rows=outcome.total_rows,
        new_rows=len(outcome.drafts),
        unchanged_rows=outcome.unchanged_rows,
        imported_at=timezone.now(),
    )
    timesheet_drafts_save(drafts=outcome.drafts, batch_id=batch.pk)
    return batch


def _batch_content(batch: ImportBatch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


def import_batch_validate(*, batch_id: int) -> ImportBatch:
    """Check every row of the batch's file and record counts, errors and a preview."""
    batch = ImportBatch.objects.get(pk=batch_id)
    try:
        outcome = timesheet_check(_batch_content(batch), progress=_progress_reporter(batch_id))
    except timesheet_reader.TimesheetFileError as error:
        batch.status = ImportStatus.INVALID
        batch.errors = [[1, "", str(error), ""]]
        batch.error_count = 1
        batch.message = str(error)
        batch.save()
        return batch
    batch.total_rows = outcome.total_rows
    batch.processed_rows = outcome.total_rows
    batch.new_rows = len(outcome.drafts)
    batch.unchanged_rows = outcome.unchanged_rows
    batch.error_count = len(outcome.errors)
    batch.errors = _errors_as_json(outcome.errors)
    batch.preview = [timesheets.draft_preview(draft) for draft in outcome.drafts[:PREVIEW_ROWS]]
    batch.status = ImportStatus.INVALID if outcome.errors else ImportStatus.VALIDATED
    batch.message = ""
    batch.save()
    return batch


class ImportRowsInvalid(Exception):
    def __init__(self, outcome: timesheets.ValidationOutcome) -> None:
        super().__init__(_("The file has errors now; check it again."))
        self.outcome = outcome


def _progress_reporter(batch_id: int, *, scale: float = 1.0):
    """Write progress on its own connection, so it is visible while the import's transaction
    is still open (PostgreSQL; on SQLite a second writer would wait, so progress is skipped)."""
    alias = PROGRESS_DATABASE if PROGRESS_DATABASE in settings.DATABASES else None

    def report(processed: int) -> None:
        if alias is None and transaction.get_connection().in_atomic_block:
            return
        ImportBatch.objects.using(alias or "default").filter(pk=batch_id).update(
            processed_rows=int(processed * scale)
        )

    return report


def import_batch_commit(*, batch_id: int) -> ImportBatch:
    """Import every row of a confirmed batch, all or nothing.

    The file is checked again inside the transaction (the data may have changed since the
    preview); one bad row and nothing is written. Rows imported before are skipped.
    """
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportStatus.IMPORTING:
        return batch
    try:
        with transaction.atomic():
            imports_serialize()
            outcome = timesheet_check(
                _batch_content(batch), progress=_progress_reporter(batch_id, scale=0.5)
            )
            if outcome.errors:
                raise ImportRowsInvalid(outcome)
            timesheet_drafts_save(drafts=outcome.drafts, batch_id=batch.pk)
            batch.status = ImportStatus.IMPORTED
            batch.total_rows = outcome.total_rows
            batch.processed_rows = outcome.total_rows
            batch.new_rows = len(outcome.drafts)
            batch.unchanged_rows = outcome.unchanged_rows
            batch.imported_at = timezone.now()
            batch.message = ""
            batch.save()
    except ImportRowsInvalid as invalid:
        batch.status = ImportStatus.INVALID
        batch.error_count = len(invalid.outcome.errors)
        batch.errors = _errors_as_json(invalid.outcome.errors)
        batch.message = str(invalid)
        batch.save()
    except Exception as error:  # noqa: BLE001 - any failure must leave the batch explained
        logger.exception("Import batch %s failed", batch_id)
        batch.status = ImportStatus.FAILED
        batch.message = _("The import failed and nothing was written: %(error)s") % {"error": error}
        batch.save()
    return batch
