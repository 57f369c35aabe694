"""A notification's title and text in the active language, from its kind and parameters."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import formats

from collaboration.registry import comment_target, notification_kind


class _Params(dict):
    """Parameters for a text; a missing one shows as an ellipsis rather than failing."""

    def __missing__(self, key: str) -> str:
        return "…"


def _readable(params: Mapping[str, object]) -> _Params:
    """Amounts and dates in the active language's format; a comment target by its label."""
    shown = _Params(params)
    if "amount" in params:
        try:
            number = formats.number_format(
                Decimal(str(params["amount"])), 2, use_l10n=True, force_grouping=True
            )
            shown["amount"] = f"{number} {params.get('currency', '')}".strip()
        except InvalidOperation:
            pass
    if params.get("target_kind"):
        target = comment_target(str(params["target_kind"]))
        name = str(params.get("target_name", ""))
        shown["target"] = target.label_for(name) if target else name
    if params.get("due_date"):
        shown["due_date"] = formats.date_format(
            datetime.date.fromisoformat(str(params["due_date"])), "SHORT_DATE_FORMAT"
        )
    return shown


@dataclass(frozen=True)
class NotificationText:
    title: str
    body: str
    icon: str


def notification_text(kind: str, params: Mapping[str, object]) -> NotificationText:
    """The title and text of a notification in the active language. A kind no app registered
    raises ``UnknownNotificationKind``."""
    registered = notification_kind(kind)
    shown = _readable(params)
    return NotificationText(
        title=str(registered.title) % shown,
        body=str(registered.body) % shown,
        icon=registered.icon,
    )
