"""Timesheet import: look up what the rows name, check every row (the pure reader in
timesheets.py), and write the checked rows, all or nothing, as one batch."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
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
from contracts.texts import DeferredText, stored_form
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
from invoicing.transactions.services import (
    ALLOCATION_FIELDS,
    FundingSession,
    funding_allocate,
    transactions_fund,
    transactions_funding_close,
    transactions_funding_open,
)

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


@contextlib.contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while a file is read and checked: its rows and
    drafts are hundreds of thousands of small objects in no reference cycle, which the
    collector would otherwise scan again and again and find nothing (a tenth of the check)."""
    was_running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_running:
            gc.enable()


def timesheet_check(content: bytes, *, progress=None) -> timesheets.ValidationOutcome:
    """Read and check a timesheet file against the database; writes nothing."""
    with collector_paused():
        sheet = timesheet_reader.timesheet_read(content)
    references_at = sheet.header.index("entry_id")
    references = [row[references_at].strip() for row in sheet.rows if len(row) > references_at]
    lookups = timesheet_lookups(references=references)
    with collector_paused():
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
    facts_by_contract = _funding_facts(drafts, ids)
    contracts = list(ProjectContract.objects.filter(pk__in=facts_by_contract).order_by("pk"))
    allocation_rows = transactions_fund(contracts=contracts, facts_by_contract=facts_by_contract)
    bulk.rows_insert(TransactionAllocation, ALLOCATION_FIELDS, allocation_rows)
    return ids


def _funding_facts(
    drafts: Sequence[timesheets.TransactionDraft], ids: Sequence[int]
) -> dict[int, list[allocation.TransactionFacts]]:
    """What the funding engine needs of each chargeable draft, by contract."""
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
    return facts_by_contract


# ------------------------------------------------------------------------------------------
# A confirmed file, checked and written chunk by chunk
# ------------------------------------------------------------------------------------------

IMPORT_CHUNK_ROWS = 5000


@dataclass
class TimesheetImported:
    """What became of a file's rows: all of them written, or (``errors``) none."""

    total_rows: int = 0
    new_rows: int = 0
    unchanged_rows: int = 0
    errors: list[timesheets.RowError] = field(default_factory=list)


@dataclass
class ImportChunk:
    """Checked rows ready to write: the drafts, and on PostgreSQL the same rows as COPY text
    (transactions with ids taken from the sequence beforehand, and their allocations)."""

    drafts: list[timesheets.TransactionDraft]
    transactions_copy: str = ""
    allocations_copy: str = ""


class _FileChecker:
    """Checks a read file chunk after chunk, keeping what spans chunks (the row where each
    entry id was first seen, the errors, the counts), and prepares each chunk for writing.
    Pure: no query, so on PostgreSQL it runs in a second thread while the connection copies."""

    def __init__(self, sheet, lookups, *, batch_id, funding=None, ids=None) -> None:
        self.sheet, self.lookups, self.batch_id = sheet, lookups, batch_id
        self.funding: FundingSession | None = funding
        self.ids, self.ids_taken = ids or [], 0
        self.first_row_of: dict[str, int] = {}
        self.outcome = TimesheetImported(total_rows=len(sheet.rows))
        self.created_at = timezone.now()
        self.language = translation.get_language()

    def chunk(self, start: int) -> ImportChunk | None:
        """Check rows ``start`` to ``start + IMPORT_CHUNK_ROWS``; their chunk to write, or None
        once any row of the file has an error (the rest is checked for its errors only)."""
        with translation.override(self.language), collector_paused():
            return self._chunk(start)

    def _chunk(self, start: int) -> ImportChunk | None:
        checked = timesheets.timesheet_validate(
            self.sheet.header,
            self.sheet.rows[start : start + IMPORT_CHUNK_ROWS],
            self.lookups,
            labels=self.sheet.labels,
            first_index=start,
            first_row_of=self.first_row_of,
        )
        outcome = self.outcome
        outcome.errors += checked.errors
        outcome.unchanged_rows += checked.unchanged_rows
        if outcome.errors:
            return None
        outcome.new_rows += len(checked.drafts)
        chunk = ImportChunk(drafts=checked.drafts)
        if self.funding is not None and checked.drafts:
            self._copy_text(chunk)
        return chunk

    def _copy_text(self, chunk: ImportChunk) -> None:
        drafts = chunk.drafts
        ids = self.ids[self.ids_taken : self.ids_taken + len(drafts)]
        self.ids_taken += len(drafts)
        chunk.transactions_copy = transactions_copy_text(
            drafts, ids, batch_id=self.batch_id, created_at=self.created_at
        )
        chunk.allocations_copy = allocations_copy_text(
            funding_allocate(self.funding, _funding_facts(drafts, ids))
        )


def timesheet_import(*, content: bytes, batch_id: int, progress=None) -> TimesheetImported:
    """Check every row of a confirmed file and write the rows as transactions of the batch,
    with their funding, all or nothing: inside the caller's transaction, which the caller
    rolls back when a row has an error (``ImportRowsInvalid``, with every error of the file).

    The rows go in chunks of IMPORT_CHUNK_ROWS. On PostgreSQL a second thread checks and funds
    chunk N+1 and formats it for COPY while the connection copies chunk N; foreign keys are
    checked at the end of each COPY (``SET CONSTRAINTS ALL IMMEDIATE``) rather than all at
    commit, so PostgreSQL checks them while Python works on the next chunk. Elsewhere each
    chunk is checked and written in turn (``timesheet_drafts_save``).

    ``progress(rows_done)`` is called after each chunk but the last when given."""
    with collector_paused():
        sheet = timesheet_reader.timesheet_read(content)
    references_at = sheet.header.index("entry_id")
    references = [row[references_at].strip() for row in sheet.rows if len(row) > references_at]
    lookups = timesheet_lookups(references=references)
    starts = range(0, len(sheet.rows), IMPORT_CHUNK_ROWS)
    if connection.vendor == "postgresql":
        funding = transactions_funding_open(contracts=_contracts_of(sheet, lookups))
        new_at_most = len(set(references) - set(lookups.existing) - {""})
        checker = _FileChecker(
            sheet,
            lookups,
            batch_id=batch_id,
            funding=funding,
            ids=bulk.ids_reserve(ProjectTransaction, new_at_most),
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="timesheet-check") as thread:
            upcoming = thread.submit(checker.chunk, 0) if starts else None
            for start in starts:
                chunk = upcoming.result()
                following = start + IMPORT_CHUNK_ROWS
                upcoming = thread.submit(checker.chunk, following) if following in starts else None
                _chunk_written(chunk, batch_id, progress, following if upcoming else None)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        transactions_funding_close(session=funding)
    else:
        checker = _FileChecker(sheet, lookups, batch_id=batch_id)
        for start in starts:
            following = start + IMPORT_CHUNK_ROWS
            _chunk_written(
                checker.chunk(start),
                batch_id,
                progress,
                following if following in starts else None,
            )
    if checker.outcome.errors:
        raise ImportRowsInvalid(checker.outcome)
    return checker.outcome


def _chunk_written(chunk: ImportChunk | None, batch_id: int, progress, done: int | None) -> None:
    if chunk is not None:
        import_chunk_write(chunk=chunk, batch_id=batch_id)
    if progress is not None and done is not None:
        progress(done)


def import_chunk_write(*, chunk: ImportChunk, batch_id: int) -> None:
    """Write one checked chunk: COPY of its transactions and allocations on PostgreSQL (the
    text is ready), else ``timesheet_drafts_save``."""
    if not chunk.drafts:
        return
    if connection.vendor != "postgresql":
        timesheet_drafts_save(drafts=chunk.drafts, batch_id=batch_id)
        return
    with connection.cursor() as cursor:
        for model, fields, text in (
            (ProjectTransaction, ("id", *TRANSACTION_FIELDS), chunk.transactions_copy),
            (TransactionAllocation, ALLOCATION_FIELDS, chunk.allocations_copy),
        ):
            if text:
                with cursor.cursor.copy(bulk.copy_statement(model, fields)) as copy:
                    copy.write(text)


def _contracts_of(sheet, lookups: timesheets.Lookups) -> list[ProjectContract]:
    """The contracts of the projects the file names (those whose limits the import locks)."""
    at = sheet.header.index("project")
    codes = {row[at].strip() for row in sheet.rows if len(row) > at}
    contract_ids = {
        lookups.projects[code].contract_id
        for code in codes
        if code in lookups.projects and lookups.projects[code].contract_id is not None
    }
    return list(ProjectContract.objects.filter(pk__in=contract_ids).order_by("pk"))


# COPY's text format: \N is NULL; a backslash, tab, newline or carriage return in a text is
# escaped with a backslash.
NULL = "\\N"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_escaped(text: str) -> str:
    return text.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(text) else text


def transactions_copy_text(
    drafts: Sequence[timesheets.TransactionDraft],
    ids: Sequence[int],
    *,
    batch_id: int | None,
    created_at,
) -> str:
    """Drafts as COPY text in ``("id", *TRANSACTION_FIELDS)`` order: one f-string a row, several
    times faster than formatting value by value."""
    batch = NULL if batch_id is None else batch_id
    stamp = created_at.isoformat()
    status = BillingStatus.UNINVOICED.value
    return "".join(
        [
            f"{transaction_id}\t{d.kind}\t{d.date.isoformat()}\t{d.project.id}\t{d.category.id}\t"
            f"{NULL if d.worker_id is None else d.worker_id}\t"
            f"{NULL if d.item_id is None else d.item_id}\t"
            f"{NULL if d.line_property_id is None else d.line_property_id}\t"
            f"{d.quantity}\t{d.cost_price}\t{d.sales_price}\t{d.cost_amount}\t{d.sales_amount}\t"
            f"{d.currency}\t{copy_escaped(d.description)}\t{'t' if d.is_chargeable else 'f'}\t"
            f"{status}\t{copy_escaped(d.external_reference)}\t{batch}\t{stamp}\n"
            for transaction_id, d in zip(ids, drafts, strict=True)
        ]
    )


def allocations_copy_text(rows: Sequence[tuple]) -> str:
    """Allocation rows (``ALLOCATION_FIELDS`` order, as ``funding_allocate`` gives them) as
    COPY text."""
    limit_ids_json: dict[tuple, str] = {}  # the same few lists of limit ids repeat

    def as_json(limit_ids: list) -> str:
        key = tuple(limit_ids)
        if key not in limit_ids_json:
            limit_ids_json[key] = copy_escaped(json.dumps(limit_ids))
        return limit_ids_json[key]

    def text(value) -> str:
        return NULL if value is None else str(value)

    return "".join(
        [
            f"{transaction_id}\t{text(source_id)}\t{amount}\t{text(rule_id)}\t{text(priority)}\t"
            f"{text(percentage)}\t{text(binding_limit_id)}\t{as_json(limit_ids)}\t"
            f"{rounding}\t{'t' if on_hold else 'f'}\n"
            for (
                transaction_id,
                source_id,
                amount,
                rule_id,
                priority,
                percentage,
                binding_limit_id,
                limit_ids,
                rounding,
                on_hold,
            ) in rows
        ]
    )


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


# What a batch's ``message`` says, written by background work that has no reader: stored as
# msgid and parameters (``stored_form``), read in each reader's language (issue 16).
CHECK_FAILED = gettext_noop(
    "The file could not be checked: %(error)s. Check it again, or upload a corrected file."
)
IMPORT_FAILED = gettext_noop("The import failed and nothing was written: %(error)s")
STOPPED_WHILE_CHECKING = gettext_noop(
    "The worker stopped while checking the file; nothing was imported. Check the file again."
)
STOPPED_WHILE_IMPORTING = gettext_noop(
    "The worker stopped while importing; nothing was imported. Check and confirm the file again."
)
ROWS_INVALID_NOW = gettext_noop("The file has errors now; check it again.")


def _stored_message(msgid: str, params: dict | None = None) -> str:
    return stored_form(DeferredText(msgid, params))


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
        # The reader's message is a deferred one: kept as msgid and parameters.
        problem = stored_form(error.args[0]) if error.args else str(error)
        fields = {
            "status": ImportStatus.INVALID,
            "errors": [[1, "", problem, ""]],
            "error_count": 1,
            "message": problem,
        }
    except Exception as error:  # noqa: BLE001 - any failure must leave the batch explained
        logger.exception("Checking import batch %s failed", batch_id)
        fields = {
            "status": ImportStatus.FAILED,
            "message": _stored_message(CHECK_FAILED, {"error": str(error)}),
        }
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
    def __init__(self, outcome: timesheets.ValidationOutcome | TimesheetImported) -> None:
        super().__init__(ROWS_INVALID_NOW)
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
            outcome = timesheet_import(
                content=_batch_content(batch),
                batch_id=batch.pk,
                progress=_progress_reporter(batch_id),
            )
            batch = _locked_if_current(batch_id, status=ImportStatus.IMPORTING, attempt=attempt)
            batch.status = ImportStatus.IMPORTED
            batch.total_rows = outcome.total_rows
            batch.processed_rows = outcome.total_rows
            batch.new_rows = outcome.new_rows
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
            message=_stored_message(ROWS_INVALID_NOW),
        )
    except Exception as error:  # noqa: BLE001 - any failure must leave the batch explained
        logger.exception("Import batch %s failed", batch_id)
        current.update(
            status=ImportStatus.FAILED,
            message=_stored_message(IMPORT_FAILED, {"error": str(error)}),
        )
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
            batch.message = _stored_message(
                STOPPED_WHILE_IMPORTING
                if batch.status == ImportStatus.IMPORTING
                else STOPPED_WHILE_CHECKING
            )
            batch.status = ImportStatus.FAILED
            batch.save(update_fields=["status", "message"])
    return [batch.pk for batch in stalled]
