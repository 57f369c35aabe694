"""Every write to project transactions: single entries, funding at entry, timesheet imports."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import (
    INVOICEABLE_PROJECT_TYPES,
    Category,
    Item,
    LineProperty,
    Project,
    ProjectContract,
    ProjectStatus,
    TransactionKind,
    Worker,
)
from contracts.money import round_money
from contracts.services import with_history_user
from funding import allocation
from funding import selectors as funding_selectors
from funding.models import FundingLimit
from invoicing import bulk, timesheets
from invoicing.models import (
    BillingStatus,
    ImportBatch,
    ImportStatus,
    ProjectTransaction,
    TransactionAllocation,
)

logger = logging.getLogger(__name__)

TRANSACTION_LOCKED = gettext_lazy(
    "This transaction is in an invoice proposal or invoiced, so it cannot be changed or deleted."
)
WRONG_CURRENCY = gettext_lazy("The currency must be the contract's currency, %(currency)s.")
PROJECT_CLOSED = gettext_lazy("The project is closed; no more work can be recorded on it.")
IMPORT_NOT_READY = gettext_lazy("This import cannot be confirmed: it is %(status)s.")
PROGRESS_DATABASE = "progress"
STORED_ERRORS_LIMIT = 10_000
PREVIEW_ROWS = 20


class TransactionLocked(ValidationError):
    def __init__(self) -> None:
        super().__init__(TRANSACTION_LOCKED, code="transaction_locked")


# ------------------------------------------------------------------------------------------
# Funding at entry
# ------------------------------------------------------------------------------------------


ALLOCATION_FIELDS = (
    "transaction_id",
    "source_id",
    "amount",
    "rule_id",
    "priority",
    "percentage",
    "binding_limit_id",
    "limit_ids",
    "rounding_adjustment",
    "is_on_hold",
)


def _facts(transaction_id, *, amount, date, currency, kind, project_id, ancestor_ids, worker_id,
           item_id, category_id, category_group_id) -> allocation.TransactionFacts:  # fmt: skip
    return allocation.TransactionFacts(
        key=transaction_id,
        amount=amount,
        date=date,
        currency=currency,
        kind=kind,
        project_id=project_id,
        worker_id=worker_id,
        item_id=item_id,
        category_id=category_id,
        category_group_id=category_group_id,
        project_ancestor_ids=ancestor_ids,
    )


def transactions_fund(
    *, contracts: Sequence[ProjectContract], facts_by_contract: dict
) -> list[tuple]:
    """Allocate chargeable transactions to funding sources, carrying limit usage forward.

    Locks the limits of the contracts (in primary-key order, so two writers cannot deadlock),
    runs the pure engine in one batch per contract, saves the new usage, and returns allocation
    rows in ``ALLOCATION_FIELDS`` order for the caller to insert. Must run in a transaction.
    """
    contract_ids = [contract.pk for contract in contracts]
    limits = list(
        FundingLimit.objects.select_for_update()
        .filter(source__contract_id__in=contract_ids)
        .order_by("pk")
    )
    usage = {limit.pk: limit.used_amount for limit in limits}
    setups = funding_selectors.funding_setups(contracts=contracts)
    rows: list[tuple] = []
    for contract in contracts:
        facts = facts_by_contract.get(contract.pk)
        if not facts:
            continue
        results, usage = allocation.allocate_batch(facts, setups[contract.pk], usage)
        for result in results:
            for share in result.allocations:
                rows.append(
                    (
                        result.transaction_key,
                        share.source_id,
                        share.amount,
                        share.rule_id,
                        share.priority,
                        share.percentage,
                        share.binding_limit_id,
                        list(share.limit_ids or ()),
                        share.rounding_adjustment,
                        share.is_on_hold,
                    )
                )
    changed = [
        limit for limit in limits if usage.get(limit.pk, limit.used_amount) != limit.used_amount
    ]
    for limit in changed:
        limit.used_amount = usage[limit.pk]
    FundingLimit.objects.bulk_update(changed, ["used_amount"])
    return rows


def transaction_allocations_release(*, transaction_ids: Sequence[int]) -> None:
    """Give the headroom of the transactions' allocations back to their limits, and delete them."""
    allocations = list(TransactionAllocation.objects.filter(transaction_id__in=transaction_ids))
    released: dict[int, Decimal] = defaultdict(Decimal)
    for share in allocations:
        for limit_id in share.limit_ids:
            released[limit_id] += share.amount
    if released:
        limits = list(
            FundingLimit.objects.select_for_update().filter(pk__in=released).order_by("pk")
        )
        for limit in limits:
            limit.used_amount = max(Decimal("0"), limit.used_amount - released[limit.pk])
        FundingLimit.objects.bulk_update(limits, ["used_amount"])
    TransactionAllocation.objects.filter(transaction_id__in=transaction_ids).delete()


def _transaction_fund(record: ProjectTransaction) -> None:
    if not record.is_chargeable or record.project.contract_id is None:
        return
    project = record.project
    facts = _facts(
        record.pk,
        amount=record.sales_amount,
        date=record.date,
        currency=record.currency,
        kind=record.kind,
        project_id=project.pk,
        ancestor_ids=funding_selectors.project_ancestor_ids(project=project),
        worker_id=record.worker_id,
        item_id=record.item_id,
        category_id=record.category_id,
        category_group_id=record.category.group_id,
    )
    rows = transactions_fund(
        contracts=[project.contract], facts_by_contract={project.contract_id: [facts]}
    )
    bulk.rows_insert(TransactionAllocation, ALLOCATION_FIELDS, rows)


# ------------------------------------------------------------------------------------------
# Single transactions
# ------------------------------------------------------------------------------------------


def transaction_prices_default(
    *, kind: str, worker: Worker | None, item: Item | None, cost_price, sales_price
) -> tuple[Decimal, Decimal]:
    """Cost and sales price, defaulted from the worker's rates (hours) or the item's prices;
    expenses without a sales price are billed at cost."""
    if cost_price is None:
        if kind == TransactionKind.HOUR and worker is not None:
            cost_price = worker.cost_rate
        elif item is not None:
            cost_price = item.cost_price
        else:
            cost_price = Decimal("0")
    if sales_price is None:
        if kind == TransactionKind.HOUR and worker is not None:
            sales_price = worker.sales_rate
        elif item is not None:
            sales_price = item.sales_price
        else:
            sales_price = cost_price
    return cost_price, sales_price


def transaction_defaults_apply(*, record: ProjectTransaction) -> None:
    """Fill what a clerk may leave empty: prices from the worker or item, chargeability,
    currency, and the rounded amounts."""
    project = record.project
    record.cost_price, record.sales_price = transaction_prices_default(
        kind=record.kind,
        worker=record.worker if record.worker_id else None,
        item=record.item if record.item_id else None,
        cost_price=record.cost_price,
        sales_price=record.sales_price,
    )
    if project.contract_id and not record.currency:
        record.currency = project.contract.currency
    record.is_chargeable = project.project_type in INVOICEABLE_PROJECT_TYPES and (
        record.line_property.is_chargeable if record.line_property_id else True
    )
    record.cost_amount = round_money(record.quantity * record.cost_price, record.currency or None)
    record.sales_amount = round_money(record.quantity * record.sales_price, record.currency or None)


def transaction_validate(*, record: ProjectTransaction) -> None:
    errors: dict[str, list] = {}
    project = record.project
    if project.status == ProjectStatus.CLOSED:
        errors.setdefault("project", []).append(PROJECT_CLOSED)
    if project.contract_id and record.currency != project.contract.currency:
        errors.setdefault("currency", []).append(
            WRONG_CURRENCY % {"currency": project.contract.currency}
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def transaction_record(
    *, record: ProjectTransaction, actor: AbstractBaseUser | None
) -> ProjectTransaction:
    """Record one transaction and allocate it to funding sources (if chargeable)."""
    transaction_defaults_apply(record=record)
    transaction_validate(record=record)
    record.full_clean()
    with_history_user(record, actor).save()
    _transaction_fund(record)
    return record


@transaction.atomic
def transaction_update(
    *, record: ProjectTransaction, actor: AbstractBaseUser | None
) -> ProjectTransaction:
    """Change an uninvoiced transaction; its funding is released and allocated again."""
    stored = ProjectTransaction.objects.select_for_update().get(pk=record.pk)
    if stored.is_locked:
        raise TransactionLocked()
    transaction_defaults_apply(record=record)
    transaction_validate(record=record)
    record.full_clean()
    transaction_allocations_release(transaction_ids=[record.pk])
    with_history_user(record, actor).save()
    _transaction_fund(record)
    return record


@transaction.atomic
def transaction_delete(*, record: ProjectTransaction, actor: AbstractBaseUser | None) -> None:
    """Delete an uninvoiced transaction and give its funding headroom back."""
    stored = ProjectTransaction.objects.select_for_update().get(pk=record.pk)
    if stored.is_locked:
        raise TransactionLocked()
    transaction_allocations_release(transaction_ids=[record.pk])
    with_history_user(stored, actor).delete()


# ------------------------------------------------------------------------------------------
# Timesheet import
# ------------------------------------------------------------------------------------------


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
    sheet = timesheets.timesheet_read(content)
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


@transaction.atomic
def timesheet_rows_import(
    *, header: Sequence[str], cells: Sequence[Sequence[str]]
) -> timesheets.ValidationOutcome:
    """Check rows with the CSV import's rules and, when none has an error, insert them all
    (the API's bulk create). Checked inside the transaction that writes, like the import: one
    bad row and nothing is written; rows imported before are skipped."""
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


def import_batch_create(*, uploaded_file: UploadedFile, actor: AbstractBaseUser) -> ImportBatch:
    """Store an uploaded timesheet file as a new batch and schedule its check."""
    content = uploaded_file.read()
    uploaded_file.seek(0)
    batch = ImportBatch.objects.create(
        created_by=actor,
        file=uploaded_file,
        file_name=uploaded_file.name[:255],
        file_sha256=hashlib.sha256(content).hexdigest(),
        status=ImportStatus.VALIDATING,
    )
    from invoicing.tasks import import_batch_validate_task

    transaction.on_commit(lambda: import_batch_validate_task.enqueue(batch.pk))
    return batch


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
    except timesheets.TimesheetFileError as error:
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


def import_batch_confirm(*, batch: ImportBatch, actor: AbstractBaseUser) -> ImportBatch:
    """Start importing a checked batch; refuses a batch with errors or already imported."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportStatus.VALIDATED:
            raise ValidationError(IMPORT_NOT_READY % {"status": locked.get_status_display()})
        locked.status = ImportStatus.IMPORTING
        locked.processed_rows = 0
        locked.save(update_fields=["status", "processed_rows"])
    from invoicing.tasks import import_batch_commit_task

    import_batch_commit_task.enqueue(locked.pk)
    return locked


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
