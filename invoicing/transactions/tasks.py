"""Background jobs of timesheet imports: they take primary keys and call the import services."""

from django_tasks import task

from invoicing.transactions import imports


@task()
def import_batch_validate_task(batch_id: int) -> str:
    return imports.import_batch_validate(batch_id=batch_id).status


@task()
def import_batch_commit_task(batch_id: int) -> str:
    return imports.import_batch_commit(batch_id=batch_id).status
