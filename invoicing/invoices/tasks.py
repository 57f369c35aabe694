"""Background jobs of posted documents: they take primary keys and call services."""

from django_tasks import task

from invoicing.invoices import documents


@task()
def pdf_batch_task(batch_id: int, attempt: int | None = None) -> None:
    """Cut the batch into chunks, queue a task per chunk for the other workers, and render."""
    documents.pdf_batch_render(
        batch_id=batch_id,
        attempt=attempt,
        chunk_queue=lambda chunk_id: pdf_batch_chunk_task.enqueue(batch_id, chunk_id),
    )


@task()
def pdf_batch_chunk_task(batch_id: int, chunk_id: int) -> None:
    documents.pdf_batch_chunks_work(batch_id=batch_id, chunk_id=chunk_id)
