"""Where the ledger, above receivables, plugs in (registered in ``InvoicingConfig.ready()``):
every payment, payment reversal, credit application and refund is booked inside the
transaction that records it. Receivables cannot import the ledger, so they call back."""

from __future__ import annotations

from collections.abc import Callable

_receivable_recorded: list[Callable[..., object]] = []


def receivable_recorded_listener_register(listener: Callable[..., object]) -> None:
    """Register ``listener(record=, actor=)``, called inside the transaction that wrote the
    payment, reversal, credit application or refund ``record``; a refusal it raises rolls the
    record back."""
    if listener not in _receivable_recorded:
        _receivable_recorded.append(listener)


def receivable_recorded(*, record, actor) -> None:
    for listener in _receivable_recorded:
        listener(record=record, actor=actor)
