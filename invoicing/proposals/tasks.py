"""Background jobs of proposals: they take primary keys and call services."""

from django_tasks import task

from invoicing.proposals import runs


@task()
def billing_run_task(run_id: int, attempt: int | None = None) -> None:
    runs.billing_run_execute(run_id=run_id, attempt=attempt)
