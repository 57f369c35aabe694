"""Background jobs of receivables: they take primary keys and call services."""

from django_tasks import task

from invoicing.receivables import delivery


@task()
def invoice_dispatch_task(
    invoice_id: int,
    kind: str,
    to: list[str],
    cc: list[str],
    actor_id: int | None,
    request_key: str,
    only_if_unsent: bool = False,
) -> None:
    """E-mail one invoice, credit note or reminder and log the attempt (``delivery.py``)."""
    delivery.dispatch_deliver(
        invoice_id=invoice_id,
        kind=kind,
        to=to,
        cc=cc,
        actor_id=actor_id,
        request_key=request_key,
        only_if_unsent=only_if_unsent,
    )
