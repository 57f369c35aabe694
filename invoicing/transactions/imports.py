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
from django.utils.translation import gettext_lazy
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
from contracts.texts import stored_form
from funding import allocation
from invoicing.transactions import bulk, timesheet_reader, timesheets
from invoicing.transactions.models import (
    BillingStatus,
    ImportBatch,
    ImportStatus,
    ProjectTransaction,
    TransactionAllocation,
    job_stale_before,
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
    outcome = timesheets.timesheet_validate(
        sheet.header, sheet.rows, lookups, labels=sheet.labels, progress=progress
    )
    outcome.encoding = sheet.encoding
    return outcome


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
        [error.row, error.column, stored_form(error.message), error.value]
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
        encoding=outcome.encoding,
        imported_at=timezone.now(),
    )
    timesheet_drafts_save(drafts=outcome.drafts, batch_id=batch.pk)
    return batch


def _batch_content(batch: ImportBatch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


CHECK_FAILED = gettext_lazy(
    "The file could not be checked: %(error)s. Check it again, or upload a corrected file."
)
IMPORT_FAILED = gettext_lazy("The import failed and nothing was written: %(error)s")
STOPPED_WHILE_CHECKING = gettext_lazy(
    "The worker stopped while checking the file; nothing was imported. Check the file again."
)
STOPPED_WHILE_IMPORTING = gettext_lazy(
    "The worker stopped while importing; nothing was imported. Check and confirm the file again."
)


class ImportSuperseded(Exception):
    """The batch was marked failed or started again while this task worked: it must stop,
    and what it wrote is rolled back."""


def _is_current(batch: ImportBatch, *, status: str, attempt: int | None) -> bool:
    return batch.status == status and (attempt is None or batch.attempts == attempt)


def _locked_if_current(batch_id: int, *, status: str, attempt: int) -> ImportBatch:
    """The batch, locked, when it is still in ``status`` at ``attempt``: the last step of a
    check or an import, so that a batch marked failed (stalled) or started again meanwhile is
    never overwritten. Must run inside ``transaction.atomic``."""
    locked = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if not _is_current(locked, status=status, attempt=attempt):
        raise ImportSuperseded
    return locked


def import_batch_validate(*, batch_id: int, attempt: int | None = None) -> ImportBatch:
    """Check every row of the batch's file and record counts, errors and a preview.

    ``attempt`` is the batch's attempt the task was queued for (a task of an earlier attempt
    does nothing). An unreadable file makes the batch invalid; any unexpected error marks it
    failed with its reason, and it can be checked again."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if not _is_current(batch, status=ImportStatus.VALIDATING, attempt=attempt):
        return batch
    attempt = batch.attempts
    ImportBatch.objects.filter(pk=batch_id).update(heartbeat_at=timezone.now())
    fields = {}
    try:
        outcome = timesheet_check(_batch_content(batch), progress=_progress_reporter(batch_id))
    except timesheet_reader.TimesheetFileError as error:
        fields = {
            "status": ImportStatus.INVALID,
            "errors": [[1, "", str(error), ""]],
            "error_count": 1,
            "message": str(error),
        }
    except Exception as error:  # noqa: BLE001 - any failure must leave the batch explained
        logger.exception("Checking import batch %s failed", batch_id)
        fields = {"status": ImportStatus.FAILED, "message": str(CHECK_FAILED % {"error": error})}
    else:
        fields = {
            "total_rows": outcome.total_rows,
            "processed_rows": outcome.total_rows,
            "new_rows": len(outcome.drafts),
            "unchanged_rows": outcome.unchanged_rows,
            "encoding": outcome.encoding,
            "error_count": len(outcome.errors),
            "errors": _errors_as_json(outcome.errors),
            "preview": [timesheets.draft_preview(draft) for draft in outcome.drafts[:PREVIEW_ROWS]],
            "status": ImportStatus.INVALID if outcome.errors else ImportStatus.VALIDATED,
            "message": "",
        }
    try:
        with transaction.atomic():
            batch = _locked_if_current(batch_id, status=ImportStatus.VALIDATING, attempt=attempt)
            for name, value in fields.items():
                setattr(batch, name, value)
            batch.heartbeat_at = timezone.now()
            batch.save()
    except ImportSuperseded:
        batch.refresh_from_db()
    return batch


class ImportRowsInvalid(Exception):
    def __init__(self, outcome: timesheets.ValidationOutcome) -> None:
        super().__init__(_("The file has errors now; check it again."))
        self.outcome = outcome


def _progress_reporter(batch_id: int, *, scale: float = 1.0):
    """Write progress and the heartbeat on their own connection, so they are visible while the
    import's transaction is still open (PostgreSQL; on SQLite a second writer would wait, so
    progress is skipped)."""
    alias = PROGRESS_DATABASE if PROGRESS_DATABASE in settings.DATABASES else None

    def report(processed: int) -> None:
        if alias is None and transaction.get_connection().in_atomic_block:
            return
        ImportBatch.objects.using(alias or "default").filter(pk=batch_id).update(
            processed_rows=int(processed * scale), heartbeat_at=timezone.now()
        )

    return report


def import_batch_commit(*, batch_id: int, attempt: int | None = None) -> ImportBatch:
    """Import every row of a confirmed batch, all or nothing.

    The file is checked again inside the transaction (the data may have changed since the
    preview); one bad row and nothing is written. Rows imported before are skipped. The batch
    is locked only at the end: if it was marked failed (its worker seemed dead) or started
    again meanwhile, everything this task wrote is rolled back.
    """
    batch = ImportBatch.objects.get(pk=batch_id)
    if not _is_current(batch, status=ImportStatus.IMPORTING, attempt=attempt):
        return batch
    attempt = batch.attempts
    current = ImportBatch.objects.filter(
        pk=batch_id, status=ImportStatus.IMPORTING, attempts=attempt
    )
    current.update(heartbeat_at=timezone.now())
    try:
        with transaction.atomic():
            imports_serialize()
            outcome = timesheet_check(
                _batch_content(batch), progress=_progress_reporter(batch_id, scale=0.5)
            )
            if outcome.errors:
                raise ImportRowsInvalid(outcome)
            timesheet_drafts_save(drafts=outcome.drafts, batch_id=batch.pk)
            batch = _locked_if_current(batch_id, status=ImportStatus.IMPORTING, attempt=attempt)
            batch.status = ImportStatus.IMPORTED
            batch.total_rows = outcome.total_rows
            batch.processed_rows = outcome.total_rows
            batch.new_rows = len(outcome.drafts)
            batch.unchanged_rows = outcome.unchanged_rows
            batch.imported_at = timezone.now()
            batch.heartbeat_at = timezone.now()
            batch.message = ""
            batch.save()
    except ImportSuperseded:
        pass
    except ImportRowsInvalid as invalid:
        current.update(
            status=ImportStatus.INVALID,
            error_count=len(invalid.outcome.errors),
            errors=_errors_as_json(invalid.outcome.errors),
            message=str(invalid),
        )
    except Exception as error:  # noqa: BLE001 - any failure must leave the batch explained
        logger.exception("Import batch %s failed", batch_id)
        current.update(status=ImportStatus.FAILED, message=str(IMPORT_FAILED % {"error": error}))
    batch.refresh_from_db()
    return batch


def import_batches_fail_stalled() -> list[int]:
    """Mark failed every check or import whose worker stopped (no heartbeat for longer than
    JOB_STALE_AFTER), with the reason in words. Imports are all or nothing, so nothing of
    theirs was written; the clerk checks and confirms the file again. A batch whose task still
    holds its row lock is alive and skipped. Returns the ids marked failed."""
    with transaction.atomic():
        stalled = list(
            ImportBatch.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=(ImportStatus.VALIDATING, ImportStatus.IMPORTING),
                heartbeat_at__lt=job_stale_before(),
            )
            .order_by("pk")
        )
        for batch in stalled:
            batch.message = str(
                STOPPED_WHILE_IMPORTING
                if batch.status == ImportStatus.IMPORTING
                else STOPPED_WHILE_CHECKING
            )
            batch.status = ImportStatus.FAILED
            batch.save(update_fields=["status", "message"])
    return [batch.pk for batch in stalled]
