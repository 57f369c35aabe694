"""A customer statement's arithmetic (pure: dataclasses and ``Decimal``, no ORM).

The statement lists every document and movement of one customer in one currency with a running
balance: invoices add, credit notes and payments subtract, refunds add back, a payment reversal
adds back. Credit applications move credit between documents and leave the balance as it is.
Ageing splits what is open at the statement date by days past due.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0")

# Bucket keys in the order they print; days past due of the open invoice at the statement date.
NOT_DUE = "not_due"
DAYS_0_30 = "0_30"
DAYS_31_60 = "31_60"
DAYS_61_90 = "61_90"
OVER_90 = "over_90"
BUCKETS = (NOT_DUE, DAYS_0_30, DAYS_31_60, DAYS_61_90, OVER_90)


@dataclass(frozen=True)
class Entry:
    """One row of a statement. ``amount`` is its effect on the balance (what the customer owes
    more); ``applied`` is credit moved onto an invoice (no effect on the balance)."""

    day: datetime.date
    kind: str
    number: str
    description: str
    amount: Decimal = ZERO
    applied: Decimal = ZERO
    order: int = 0


@dataclass(frozen=True)
class Line:
    entry: Entry
    balance: Decimal


@dataclass(frozen=True)
class OpenItem:
    """An invoice and what settled it (payments, reversals, credit applied), with their dates."""

    number: str
    due_date: datetime.date
    gross: Decimal
    settlements: tuple[tuple[datetime.date, Decimal], ...] = ()

    def open_on(self, day: datetime.date) -> Decimal:
        return self.gross - sum((amount for on, amount in self.settlements if on <= day), ZERO)


@dataclass(frozen=True)
class Ageing:
    buckets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass(frozen=True)
class Statement:
    opening_balance: Decimal
    lines: list[Line]
    closing_balance: Decimal
    ageing: Ageing
    credit_available: Decimal


def bucket_for(days_past_due: int) -> str:
    """0-30, 31-60, 61-90 or over 90 days past due; not yet due below 0."""
    if days_past_due < 0:
        return NOT_DUE
    if days_past_due <= 30:
        return DAYS_0_30
    if days_past_due <= 60:
        return DAYS_31_60
    if days_past_due <= 90:
        return DAYS_61_90
    return OVER_90


def ageing(items: list[OpenItem], as_of: datetime.date) -> Ageing:
    """What is open on each invoice at ``as_of``, summed per bucket of days past due."""
    buckets = dict.fromkeys(BUCKETS, ZERO)
    for item in items:
        if item.due_date is None:
            continue
        open_amount = item.open_on(as_of)
        if open_amount > 0:
            buckets[bucket_for((as_of - item.due_date).days)] += open_amount
    return Ageing(buckets)


def statement_build(
    *,
    entries: list[Entry],
    items: list[OpenItem],
    date_from: datetime.date | None,
    date_to: datetime.date,
) -> Statement:
    """The statement from ``date_from`` (None: from the first entry) to ``date_to``: the balance
    brought forward, each entry in the period with the balance after it, the closing balance,
    the ageing at ``date_to`` and the customer credit not used at ``date_to`` (what is open
    less what is owed). The closing balance is invoices - credit notes - payments + refunds up
    to ``date_to``, to the cent."""
    ordered = sorted(
        (entry for entry in entries if entry.day <= date_to),
        key=lambda entry: (entry.day, entry.order),
    )
    opening = sum((entry.amount for entry in ordered if date_from and entry.day < date_from), ZERO)
    balance = opening
    lines = []
    for entry in ordered:
        if date_from and entry.day < date_from:
            continue
        balance += entry.amount
        lines.append(Line(entry, balance))
    aged = ageing([item for item in items if item.due_date], date_to)
    open_total = sum((item.open_on(date_to) for item in items), ZERO)
    return Statement(
        opening_balance=opening,
        lines=lines,
        closing_balance=balance,
        ageing=aged,
        credit_available=open_total - balance,
    )
