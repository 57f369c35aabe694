"""Timesheet files: checking every row, without the ORM (reading the file is in
timesheet_reader.py).

``timesheet_read`` turns the bytes of a CSV export into a header and rows (``;`` or ``,``,
UTF-8 with or without BOM). ``timesheet_validate`` checks each row against ``Lookups`` that the
service fetched in a few queries, and returns the transactions to create, the rows that were
imported before, and every error with its file row and column, in words a clerk understands.

The column layout (names are case-insensitive; Swedish and Danish names are accepted too) is
documented in docs/timesheet-import.md, with a sample file in docs/sample-timesheet.csv.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from contracts.money import round_money
from contracts.texts import deferred_gettext as _  # messages are shown in their reader's language
from contracts.texts import text_of_stored
from invoicing.transactions.timesheet_reader import (
    INVOICEABLE_TYPES,
    KIND_ALIASES,
    MAX_HOURS_PER_LINE,
    parse_date,
    parse_decimal,
)

# The columns' sizes (digits, of which decimals) as the models declare them: QUANTITY for the
# hours, RATE for prices, MONEY for amounts. A larger number would overflow the column (a
# database error); tests/invoicing/transactions/test_timesheet_numbers.py keeps them in step.
QUANTITY_DIGITS = (14, 4)
PRICE_DIGITS = (12, 4)
AMOUNT_DIGITS = (14, 2)


def number_fits(value: Decimal, digits: tuple[int, int]) -> bool:
    """Whether ``value`` has few enough digits before the decimal point for a column of
    ``digits`` (max_digits, decimal_places); its decimals are checked separately."""
    max_digits, decimal_places = digits
    return value == 0 or value.adjusted() < max_digits - decimal_places


def _too_large(value_text: str, digits: tuple[int, int]) -> str:
    return _("'%(value)s' is too large: at most %(digits)s digits before the decimal point.") % {
        "value": value_text,
        "digits": digits[0] - digits[1],
    }


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    id: int
    code: str
    contract_id: int | None
    project_type: str
    is_open: bool
    currency: str | None
    ancestor_ids: tuple = ()


@dataclass(frozen=True, slots=True)
class WorkerFacts:
    id: int
    cost_rate: Decimal
    sales_rate: Decimal
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class CategoryFacts:
    id: int
    group_id: int
    kind: str


@dataclass(frozen=True, slots=True)
class ItemFacts:
    id: int
    cost_price: Decimal
    sales_price: Decimal


@dataclass(frozen=True, slots=True)
class LinePropertyFacts:
    id: int
    is_chargeable: bool


@dataclass
class Lookups:
    """Everything the rows refer to, by code; ``existing`` maps external references already in
    the database to the fingerprint of what was imported then."""

    projects: dict[str, ProjectFacts]
    workers: dict[str, WorkerFacts]
    categories: dict[str, CategoryFacts]
    items: dict[str, ItemFacts] = field(default_factory=dict)
    line_properties: dict[str, LinePropertyFacts] = field(default_factory=dict)
    existing: dict[str, tuple] = field(default_factory=dict)


@dataclass(slots=True)
class TransactionDraft:
    """One checked row, ready to become a project transaction."""

    row: int
    external_reference: str
    kind: str
    date: datetime.date
    project: ProjectFacts
    category: CategoryFacts
    worker_id: int | None
    item_id: int | None
    line_property_id: int | None
    quantity: Decimal
    cost_price: Decimal
    sales_price: Decimal
    cost_amount: Decimal
    sales_amount: Decimal
    currency: str
    description: str
    is_chargeable: bool

    @property
    def fingerprint(self) -> tuple:
        return transaction_fingerprint(
            self.date, self.project.id, self.worker_id, self.category.id, self.quantity, self.kind
        )


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str
    value: str = ""


@dataclass
class ValidationOutcome:
    drafts: list[TransactionDraft]
    unchanged_rows: int
    errors: list[RowError]
    total_rows: int
    encoding: str = "utf-8"  # what the file was read as (timesheet_reader.timesheet_decode)


def transaction_fingerprint(date, project_id, worker_id, category_id, quantity, kind) -> tuple:
    """What makes a re-imported row 'the same' as the transaction it created before."""
    return (
        date.isoformat(),
        project_id,
        worker_id,
        category_id,
        str(Decimal(quantity).normalize()),
        kind,
    )


# ------------------------------------------------------------------------------------------
# Checking
# ------------------------------------------------------------------------------------------


PROGRESS_EVERY = 5000
DESCRIPTION_MAX_LENGTH = 500  # ProjectTransaction.description


def timesheet_validate(
    header: list[str],
    rows: list[list[str]],
    lookups: Lookups,
    *,
    labels: dict[str, str] | None = None,
    progress=None,
    first_index: int = 0,
    first_row_of: dict[str, int] | None = None,
) -> ValidationOutcome:
    """Check every row. Row numbers are file lines as a spreadsheet shows them (header = 1);
    columns are named as in the file's header (``labels``), or by their canonical name.

    ``progress(rows_checked)`` is called every ``PROGRESS_EVERY`` rows when given.

    A file checked in chunks passes each chunk's ``rows`` with the index of its first row in
    the file (``first_index``) and the same ``first_row_of`` dict every time (the row where
    each entry id was first seen), so row numbers and repeated entry ids are the whole file's.
    """
    labels = labels or {}
    position = {column: index for index, column in enumerate(header)}
    width = len(header)
    drafts: list[TransactionDraft] = []
    errors: list[RowError] = []
    unchanged = 0
    first_row_of = {} if first_row_of is None else first_row_of
    projects, workers, categories = lookups.projects, lookups.workers, lookups.categories
    items, line_properties, existing = lookups.items, lookups.line_properties, lookups.existing

    for index, cells in enumerate(rows, start=first_index):
        row = index + 2
        if progress is not None and index and index % PROGRESS_EVERY == 0:
            progress(index)
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))

        def cell(column: str, cells=cells) -> str:
            at = position.get(column)
            return cells[at].strip() if at is not None else ""

        row_errors: list[RowError] = []

        def refuse(
            column: str, message: str, value: str = "", row=row, row_errors=row_errors
        ) -> None:
            row_errors.append(RowError(row, labels.get(column, column), message, value))

        description = cell("description")
        if len(description) > DESCRIPTION_MAX_LENGTH:
            refuse(
                "description",
                _(
                    "The description is %(length)s characters long; at most %(limit)s fit. "
                    "Shorten it."
                )
                % {"length": len(description), "limit": DESCRIPTION_MAX_LENGTH},
                description[:40] + "…",
            )
        reference = cell("entry_id")
        if not reference:
            refuse(
                "entry_id",
                _("The entry id is missing; every line needs the id the timesheet system gave it."),
            )
        elif len(reference) > 100:
            refuse("entry_id", _("The entry id is longer than 100 characters."), reference[:100])
        elif reference in first_row_of:
            refuse(
                "entry_id",
                _("The entry id %(id)s appears twice in the file (first on row %(first)s).")
                % {"id": reference, "first": first_row_of[reference]},
                reference,
            )
        else:
            first_row_of[reference] = row

        kind_text = cell("kind").lower()
        kind = KIND_ALIASES.get(kind_text, "hour" if not kind_text else None)
        if kind is None:
            refuse(
                "kind",
                _("Unknown kind '%(value)s': use hour, expense, item or fee.")
                % {"value": kind_text},
                kind_text,
            )

        date_text = cell("date")
        date = parse_date(date_text)
        if date is None:
            refuse(
                "date",
                _("'%(value)s' is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY).")
                % {"value": date_text}
                if date_text
                else _("The date is missing."),
                date_text,
            )

        project_code = cell("project")
        project = projects.get(project_code)
        if project is None:
            refuse(
                "project",
                _("Unknown project '%(value)s'.") % {"value": project_code}
                if project_code
                else _("The project is missing."),
                project_code,
            )
        elif not project.is_open:
            refuse(
                "project",
                _("Project %(value)s is closed; no more work can be recorded on it.")
                % {"value": project_code},
                project_code,
            )
        elif project.project_type not in INVOICEABLE_TYPES or project.contract_id is None:
            refuse(
                "project",
                _(
                    "Project %(value)s is an internal or cost project; its time is not imported for billing."
                )
                % {"value": project_code},
                project_code,
            )

        category_code = cell("category")
        category = categories.get(category_code)
        if category is None:
            refuse(
                "category",
                _("Unknown category '%(value)s'.") % {"value": category_code}
                if category_code
                else _("The category is missing."),
                category_code,
            )
        elif kind is not None and category.kind != kind:
            refuse(
                "category",
                _("Category %(value)s is for %(category_kind)s lines, but this line is %(kind)s.")
                % {"value": category_code, "category_kind": category.kind, "kind": kind},
                category_code,
            )

        worker_code = cell("worker")
        worker = workers.get(worker_code) if worker_code else None
        if worker_code and worker is None:
            refuse("worker", _("Unknown worker '%(value)s'.") % {"value": worker_code}, worker_code)
        elif kind == "hour" and not worker_code:
            refuse("worker", _("Hours need a worker."))
        elif worker is not None and not worker.is_active:
            refuse(
                "worker", _("Worker %(value)s is not active.") % {"value": worker_code}, worker_code
            )

        item_code = cell("item")
        item = items.get(item_code) if item_code else None
        if item_code and item is None:
            refuse("item", _("Unknown item '%(value)s'.") % {"value": item_code}, item_code)
        elif kind == "item" and not item_code:
            refuse("item", _("Item lines need an item."))

        property_code = cell("line_property")
        line_property = line_properties.get(property_code) if property_code else None
        if property_code and line_property is None:
            refuse(
                "line_property",
                _("Unknown line property '%(value)s'.") % {"value": property_code},
                property_code,
            )

        hours_text = cell("hours")
        quantity = parse_decimal(hours_text)
        if quantity is None:
            refuse(
                "hours",
                _("'%(value)s' is not a number.") % {"value": hours_text}
                if hours_text
                else _("The hours are missing."),
                hours_text,
            )
        elif quantity <= 0:
            refuse(
                "hours",
                _("The quantity must be more than zero (got %(value)s).") % {"value": hours_text},
                hours_text,
            )
        elif not number_fits(quantity, QUANTITY_DIGITS):
            refuse("hours", _too_large(hours_text, QUANTITY_DIGITS), hours_text)
        elif kind == "hour" and quantity > MAX_HOURS_PER_LINE:
            refuse(
                "hours",
                _("More than 24 hours on one line (%(value)s).") % {"value": hours_text},
                hours_text,
            )
        elif quantity.as_tuple().exponent < -4:
            refuse(
                "hours",
                _("At most 4 decimals are allowed (got %(value)s).") % {"value": hours_text},
                hours_text,
            )

        currency = project.currency if project is not None else None
        currency_text = cell("currency").upper()
        if currency_text and currency and currency_text != currency:
            refuse(
                "currency",
                _(
                    "The currency is %(value)s, but the contract of project %(project)s is in %(currency)s."
                )
                % {"value": currency_text, "project": project_code, "currency": currency},
                currency_text,
            )

        sales_price = _price(cell("sales_price"), "sales_price", refuse)
        cost_price = _price(cell("cost_price"), "cost_price", refuse)
        if cost_price is None:
            cost_price = (
                worker.cost_rate if kind == "hour" and worker else item.cost_price if item else None
            )
        if cost_price is None and kind in ("expense", "fee") and not row_errors:
            refuse("cost_price", _("Expense and fee lines need a cost price."))
        if sales_price is None:
            if kind == "hour" and worker:
                sales_price = worker.sales_rate
            elif item:
                sales_price = item.sales_price
            else:
                sales_price = cost_price  # expenses are billed at cost

        if not row_errors:
            _amounts_check(quantity, cost_price, sales_price, currency, cell, refuse)
        if row_errors:
            errors.extend(row_errors)
            continue
        is_chargeable = line_property.is_chargeable if line_property else True
        draft = TransactionDraft(
            row=row,
            external_reference=reference,
            kind=kind,
            date=date,
            project=project,
            category=category,
            worker_id=worker.id if worker else None,
            item_id=item.id if item else None,
            line_property_id=line_property.id if line_property else None,
            quantity=quantity,
            cost_price=cost_price,
            sales_price=sales_price,
            cost_amount=round_money(quantity * cost_price, currency),
            sales_amount=round_money(quantity * sales_price, currency),
            currency=currency,
            description=description,
            is_chargeable=is_chargeable,
        )
        previous = existing.get(reference)
        if previous is None:
            drafts.append(draft)
        elif previous == draft.fingerprint:
            unchanged += 1
        else:
            errors.append(
                RowError(
                    row,
                    labels.get("entry_id", "entry_id"),
                    _(
                        "Entry %(id)s was imported before with other values. An imported line is "
                        "not changed by a re-import: correct it in the transaction list."
                    )
                    % {"id": reference},
                    reference,
                )
            )
    return ValidationOutcome(
        drafts=drafts, unchanged_rows=unchanged, errors=errors, total_rows=len(rows)
    )


def _price(text: str, column: str, refuse) -> Decimal | None:
    if not text:
        return None
    value = parse_decimal(text)
    if value is None:
        refuse(column, _("'%(value)s' is not a number.") % {"value": text}, text)
        return None
    if value < 0:
        refuse(
            column, _("A price cannot be less than zero (got %(value)s).") % {"value": text}, text
        )
        return None
    if not number_fits(value, PRICE_DIGITS):
        refuse(column, _too_large(text, PRICE_DIGITS), text)
        return None
    if value.as_tuple().exponent < -PRICE_DIGITS[1]:
        refuse(column, _("At most 4 decimals are allowed (got %(value)s).") % {"value": text}, text)
        return None
    return value


def _amounts_check(quantity, cost_price, sales_price, currency, cell, refuse) -> None:
    """Quantity times price must fit an amount: refused on the price's column (the price the
    file gave, else the hours, since the price then came from the worker or item)."""
    for column, price in (("cost_price", cost_price), ("sales_price", sales_price)):
        if price is None:
            continue
        amount = round_money(quantity * price, currency)
        if not number_fits(amount, AMOUNT_DIGITS):
            named = column if cell(column) else "hours"
            refuse(
                named,
                _(
                    "The amount %(quantity)s x %(price)s is too large: at most "
                    "%(digits)s digits before the decimal point."
                )
                % {
                    "quantity": quantity,
                    "price": price,
                    "digits": AMOUNT_DIGITS[0] - AMOUNT_DIGITS[1],
                },
                cell(named),
            )
            return


def error_report_rows(errors: list[Any]) -> list[list[str]]:
    """Rows of the downloadable error report: row, column, value, problem."""
    return [
        [str(error[0]), error[1], error[3] if len(error) > 3 else "", text_of_stored(error[2])]
        for error in errors
    ]


def draft_preview(draft: TransactionDraft) -> dict[str, str]:
    return {
        "row": str(draft.row),
        "entry_id": draft.external_reference,
        "date": draft.date.isoformat(),
        "project": draft.project.code,
        "kind": draft.kind,
        "quantity": str(draft.quantity),
        "sales_price": str(draft.sales_price),
        "sales_amount": str(draft.sales_amount),
        "chargeable": "yes" if draft.is_chargeable else "no",
        "description": draft.description,
    }
