"""Background jobs of timesheet imports: they take primary keys and call the import services.

``attempt`` is the batch's attempt the task was queued for: a task that wakes up after its
batch was started again does nothing (tasks queued without it, before the upgrade, still run)."""

from django_tasks import task

from invoicing.transactions import imports


@task()
def import_batch_validate_task(batch_id: int, attempt: int | None = None) -> str:
    return imports.import_batch_validate(batch_id=batch_id, attempt=attempt).status


@task()
def import_batch_commit_task(batch_id: int, attempt: int | None = None) -> str:
    return imports.import_batch_commit(batch_id=batch_id, attempt=attempt).status
