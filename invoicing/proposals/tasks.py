"""Background jobs of proposals: they take primary keys and call services."""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from invoicing.proposals import billable_figures, runs


@task()
def billing_run_task(run_id: int, attempt: int | None = None) -> None:
    """Cut the run into chunks, queue a task per chunk for the other workers, and bill."""
    runs.billing_run_execute(
        run_id=run_id,
        attempt=attempt,
        chunk_queue=lambda chunk_id: billing_run_chunk_task.enqueue(run_id, chunk_id),
    )


@task()
def billing_run_chunk_task(run_id: int, chunk_id: int) -> None:
    runs.billing_run_chunks_work(run_id=run_id, chunk_id=chunk_id)


@task()
def billable_figures_refresh_task(today: str) -> int:
    """Work out and keep every active contract's billable figures up to the day (ISO date);
    returns how many contracts were worked out."""
    day = datetime.date.fromisoformat(today)
    return len(billable_figures.billable_figures_refresh(today=day))


def billable_figures_refresh_queue(today: datetime.date, state: dict) -> None:
    """Queue ``billable_figures_refresh_task`` for kept figures found out of date (``state``:
    what ``billable_figures`` found), once: views of this process that find the same figures
    while the task waits for a worker do not queue it again (in-process tasks run at once:
    nothing waits)."""
    refresh = billable_figures_refresh_task
    seen = repr((today, state["count"], state["oldest"], state["last_day"]))
    key = "billable-figures-refresh-" + hashlib.sha256(seen.encode()).hexdigest()
    timeout = settings.BILLABLE_FIGURES_MAX_AGE_MINUTES * 60
    if isinstance(refresh.get_backend(), ImmediateBackend) or cache.add(key, True, timeout):
        refresh.enqueue(today.isoformat())
