"""Where the proposals stage, above this one, plugs into transactions (registered in
``InvoicingConfig.ready()``): what the transaction list shows of the funders' shares. Only
proposals know what of a share is billed (a transaction may be partly invoiced: one funder's
share posted, another's still to bill), and transactions cannot import proposals, so they call
back."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

_work_in_progress: list[Callable[[QuerySet], list[dict]]] = []


def work_in_progress_provider_register(provider: Callable[[QuerySet], list[dict]]) -> None:
    """Register ``provider(transactions) -> rows`` giving the work in progress per funder."""
    if provider not in _work_in_progress:
        _work_in_progress.append(provider)


def work_in_progress_by_funder(transactions: QuerySet) -> list[dict]:
    """Rows of ``source_id``, ``source__name``, ``is_on_hold``, ``transaction__currency`` and
    ``amount``: what of the transactions' shares is still to bill, per funder."""
    rows: list[dict] = []
    for provider in _work_in_progress:
        rows.extend(provider(transactions))
    return rows
