"""django-import-export resources: the transaction export, and the timesheet import used by the
admin (and by the finance UI through the services).

The import resource keeps django-import-export's interface (dataset in, ``Result`` out, dry run
and confirm) but replaces its row-by-row machinery with the bulk path in ``services``: lookups
in a few queries, checking in pure Python, COPY/bulk inserts, funding in one engine batch. It is
all or nothing: one invalid row and nothing is written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV
from import_export.results import Result, RowResult

from contracts.models import Category, Project, Worker
from contracts.spreadsheets import spreadsheet_safe
from invoicing.transactions import imports, services, timesheet_reader, timesheets
from invoicing.transactions.models import ProjectTransaction


class ProjectTransactionExportResource(resources.ModelResource):
    """The transaction list as CSV, with every text cell made spreadsheet-safe."""

    project = fields.Field(attribute="project__code", column_name="project")
    contract = fields.Field(attribute="project__contract__code", column_name="contract")
    category = fields.Field(attribute="category__code", column_name="category")
    worker = fields.Field(attribute="worker__code", column_name="worker")
    item = fields.Field(attribute="item__code", column_name="item")

    class Meta:
        model = ProjectTransaction
        fields = (
            "id",
            "external_reference",
            "date",
            "contract",
            "project",
            "kind",
            "category",
            "worker",
            "item",
            "quantity",
            "cost_price",
            "sales_price",
            "cost_amount",
            "sales_amount",
            "currency",
            "is_chargeable",
            "billing_status",
            "description",
        )
        export_order = fields

    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))


class PlainTimesheetResource(resources.ModelResource):
    """A default ModelResource for the same file: only for the benchmark's comparison."""

    external_reference = fields.Field(attribute="external_reference", column_name="Entry ID")
    date = fields.Field(attribute="date", column_name="Date", widget=widgets.DateWidget("%Y-%m-%d"))
    project = fields.Field(
        attribute="project", column_name="Project", widget=widgets.ForeignKeyWidget(Project, "code")
    )
    worker = fields.Field(
        attribute="worker", column_name="Employee", widget=widgets.ForeignKeyWidget(Worker, "code")
    )
    category = fields.Field(
        attribute="category",
        column_name="Activity",
        widget=widgets.ForeignKeyWidget(Category, "code"),
    )
    quantity = fields.Field(
        attribute="quantity", column_name="Hours", widget=widgets.DecimalWidget()
    )
    description = fields.Field(attribute="description", column_name="Comment")
    currency = fields.Field(attribute="currency", column_name="Currency")

    class Meta:
        model = ProjectTransaction
        import_id_fields = ("external_reference",)
        fields = (
            "external_reference",
            "date",
            "project",
            "worker",
            "category",
            "quantity",
            "description",
            "currency",
        )

    def before_save_instance(self, instance, row, **kwargs):
        instance.kind = instance.kind or "hour"
        services.transaction_defaults_apply(record=instance)


class TimesheetCSV(CSV):
    """CSV as timesheet systems export it: ``;`` or ``,``, UTF-8 with or without BOM, read by
    the same strict reader as the finance UI's import (``timesheet_reader.timesheet_read``)."""

    def create_dataset(self, in_stream, **kwargs):
        import tablib

        content = in_stream.encode("utf-8") if isinstance(in_stream, str) else in_stream
        # Read strictly, as the finance UI does: a stray quote never swallows rows. A file it
        # cannot read raises TimesheetFileError (a ValueError) saying which line and why.
        sheet = timesheet_reader.timesheet_read(content)
        width = len(sheet.header)
        rows = [(row + [""] * width)[:width] for row in sheet.rows]  # as the check reads them
        return tablib.Dataset(*rows, headers=[sheet.labels[column] for column in sheet.header])


class TimesheetImportResource(resources.ModelResource):
    """The timesheet import for the admin: the same bulk path as the finance UI."""

    class Meta:
        model = ProjectTransaction
        fields = ()

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):  # fmt: skip
        result = Result()
        result.diff_headers = [
            "row",
            "entry_id",
            "date",
            "project",
            "kind",
            "quantity",
            "sales_amount",
        ]
        try:
            header = timesheet_reader.columns_map(list(dataset.headers or []))
        except timesheet_reader.TimesheetFileError as error:
            result.append_invalid_row(1, {}, ValidationError({"header": [str(error)]}))
            return result
        rows = [[("" if cell is None else str(cell)) for cell in row] for row in dataset]
        references_at = header.index("entry_id")
        lookups = imports.timesheet_lookups(references=[row[references_at].strip() for row in rows])
        outcome = timesheets.timesheet_validate(header, rows, lookups)
        result.total_rows = outcome.total_rows
        by_row: dict[int, dict[str, list[str]]] = {}
        for error in outcome.errors:
            by_row.setdefault(error.row, {}).setdefault(error.column or "file", []).append(
                str(error.message)
            )
        for row_number, messages in by_row.items():
            values = (
                dict(zip(header, rows[row_number - 2], strict=False)) if row_number >= 2 else {}
            )
            result.append_invalid_row(
                row_number, {"row": row_number, **values}, ValidationError(messages)
            )
        if by_row:
            return result
        for draft in outcome.drafts[: imports.PREVIEW_ROWS]:
            row_result = RowResult()
            row_result.import_type = RowResult.IMPORT_TYPE_NEW
            preview = timesheets.draft_preview(draft)
            row_result.diff = [preview.get(column, "") for column in result.diff_headers]
            result.append_row_result(row_result)
        result.totals[RowResult.IMPORT_TYPE_NEW] = len(outcome.drafts)
        result.totals[RowResult.IMPORT_TYPE_SKIP] = outcome.unchanged_rows
        if not dry_run:
            imports.import_batch_record(
                content=dataset.export("csv").encode("utf-8"),
                file_name=kwargs.get("file_name") or "admin-import.csv",
                actor=kwargs["user"],
                outcome=outcome,
            )
        return result
