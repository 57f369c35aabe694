"""Background jobs of proposals: they take primary keys and call services."""

from django_tasks import task

from invoicing.proposals import runs


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
