"""Every active contract's billable figures, kept for pages that show them all at once.

``billable.billable_preview`` is the one function that works out what a contract has to bill;
at a million transactions it takes hundreds of milliseconds for all contracts, too long for
the landing page on every view. Its results are kept in ``BillableFigure`` rows: a page reads
them (a few bounded queries) and has them worked out again, for every active contract, when they
are for another day, miss a contract that is active now, or are older than
``settings.BILLABLE_FIGURES_MAX_AGE_MINUTES``: by a background task
(``billable_figures_refresh_task``), so that no page view waits for it when tasks run on
workers; in-process (``TASKS_BACKEND=immediate``) the task runs at once and the page shows its
result. The page says when they were worked out and that newer ones are on their way; the
billable-now page always works them out live (and keeps what it found here)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from contracts.models import ContractStatus, ProjectContract
from invoicing.proposals.billable import BillablePreview, billable_preview
from invoicing.proposals.models import BillableFigure

FIGURE_FIELDS = (
    "total",
    "work",
    "fees",
    "deductions",
    "on_account",
    "on_hold",
    "over_cap",
    "milestones",
)


HAS_SOMETHING_TO_BILL = ~Q(total=0) | Q(milestones__gt=0)


@dataclass(frozen=True)
class BillableFigures:
    """The kept figures of the active contracts, when the oldest was worked out, and how many
    contracts have something to bill or completed milestones waiting."""

    rows: QuerySet[BillableFigure]
    computed_at: datetime.datetime | None
    billable_count: int
    refreshing: bool = False  # too old, or missing contracts: newer ones are being worked out

    @property
    def billable(self) -> QuerySet[BillableFigure]:
        """Contracts with something to bill or completed milestones waiting, largest first."""
        return (
            self.rows.filter(HAS_SOMETHING_TO_BILL)
            .select_related("contract", "contract__customer")
            .order_by("-total", "contract__code")
        )


def billable_figures_store(previews: list[BillablePreview], *, up_to_date: datetime.date) -> None:
    """Keep what ``billable_preview`` found for these contracts (one upsert)."""
    now = timezone.now()
    rows = [
        BillableFigure(
            contract_id=preview.contract.pk,
            up_to_date=up_to_date,
            computed_at=now,
            **{name: getattr(preview, name) for name in FIGURE_FIELDS},
        )
        for preview in previews
    ]
    BillableFigure.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["contract"],
        update_fields=["up_to_date", "computed_at", *FIGURE_FIELDS],
        batch_size=1000,
    )


def billable_figures_refresh(
    *, today: datetime.date, active: list | None = None
) -> list[BillablePreview]:
    """Work out every active contract's figures up to ``today`` and keep them (``active``: the
    active contracts, when the caller has them); forget those of contracts no longer active.
    Each write is atomic on its own: a figure of an inactive contract left behind is never
    read (readers join to the active contracts)."""
    if active is None:
        active = list(ProjectContract.objects.filter(status=ContractStatus.ACTIVE))
    previews = billable_preview(contracts=active, up_to_date=today)
    billable_figures_store(previews, up_to_date=today)
    BillableFigure.objects.exclude(contract__status=ContractStatus.ACTIVE).delete()
    return previews


def _max_age() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.BILLABLE_FIGURES_MAX_AGE_MINUTES)


def _state(today: datetime.date) -> tuple[QuerySet[BillableFigure], dict, bool]:
    """The kept rows of the active contracts, what they are (count, days, oldest, how many
    have something to bill) and whether they are current: two queries."""
    active_count = ProjectContract.objects.filter(status=ContractStatus.ACTIVE).count()
    rows = BillableFigure.objects.filter(contract__status=ContractStatus.ACTIVE)
    state = rows.aggregate(
        count=Count("pk"),
        first_day=Min("up_to_date"),
        last_day=Max("up_to_date"),
        oldest=Min("computed_at"),
        billable=Count("pk", filter=HAS_SOMETHING_TO_BILL),
    )
    is_current = state["count"] == active_count and (
        not active_count
        or (
            state["first_day"] == state["last_day"] == today
            and state["oldest"] >= timezone.now() - _max_age()
        )
    )
    return rows, state, is_current


def billable_figures_current(
    *, today: datetime.date, refresh: Callable[[datetime.date, dict], None]
) -> BillableFigures:
    """The active contracts' kept figures. When they are for another day than ``today``, fewer
    than the active contracts, or too old, ``refresh`` is asked to have them worked out again
    (``tasks.billable_figures_refresh_queue``: with in-process tasks it has run when it
    returns, and the figures are current; with workers, the kept ones come back marked
    ``refreshing``). Two queries when they are current (the active contracts are counted, not
    loaded)."""
    rows, state, is_current = _state(today)
    if not is_current:
        refresh(today, state)
        rows, state, is_current = _state(today)
    return BillableFigures(rows, state["oldest"], state["billable"], refreshing=not is_current)
