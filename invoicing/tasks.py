"""Background jobs: they take primary keys and call services."""

from django_tasks import task

from invoicing import documents, proposals, services


@task()
def import_batch_validate_task(batch_id: int) -> str:
    return services.import_batch_validate(batch_id=batch_id).status


@task()
def import_batch_commit_task(batch_id: int) -> str:
    return services.import_batch_commit(batch_id=batch_id).status


@task()
def billing_run_task(run_id: int) -> None:
    proposals.billing_run_execute(run_id=run_id)


@task()
def pdf_batch_task(batch_id: int) -> None:
    documents.pdf_batch_render(batch_id=batch_id)
