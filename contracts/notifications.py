"""Notifications: in the app for everyone concerned, by e-mail for those who want it.

A notification is stored as its kind and parameters and rendered in the reader's language, so
the list reads in whatever language the user has chosen and the e-mail in the language of their
settings. E-mails go out in a background task after the transaction commits: a rolled-back
action never e-mails anyone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from contracts.models import Notification, NotificationKind, NotificationSettings
from contracts.roles import FINANCE_CLERK, ROLE_GROUP_NAMES

# Title and text of each kind. Parameters: %(name)s, filled from Notification.params.
TEXTS: dict[str, tuple] = {
    NotificationKind.MILESTONE_COMPLETED: (
        _("Milestone completed: “%(milestone)s”"),
        _("%(actor)s completed milestone “%(milestone)s” on contract %(contract)s."),
    ),
    NotificationKind.PROPOSAL_CREATED: (
        _("Proposal created for %(contract)s"),
        _(
            "Milestone “%(milestone)s” was completed, so proposal %(proposal)s of %(amount)s was created."
        ),
    ),
    NotificationKind.AUTOMATION_FAILED: (
        _("No proposal was created for %(contract)s"),
        _(
            "Milestone “%(milestone)s” was completed, but its proposal could not be created: "
            "%(reason)s"
        ),
    ),
    NotificationKind.PROPOSAL_SUBMITTED: (
        _("Waiting for your approval: %(proposal)s"),
        _("%(actor)s submitted proposal %(proposal)s of %(amount)s for approval."),
    ),
    NotificationKind.PROPOSAL_REJECTED: (
        _("Rejected: %(proposal)s"),
        _("%(actor)s rejected proposal %(proposal)s: %(reason)s"),
    ),
    NotificationKind.PROPOSAL_APPROVED: (
        _("Approved: %(proposal)s"),
        _("%(actor)s approved proposal %(proposal)s. It can be posted now."),
    ),
    NotificationKind.INVOICE_OVERDUE: (
        _("Invoice %(invoice)s is overdue"),
        _("Invoice %(invoice)s to %(customer)s, %(amount)s open, was due on %(due_date)s."),
    ),
    NotificationKind.MENTIONED: (
        _("%(actor)s mentioned you"),
        _("On %(target)s: %(excerpt)s"),
    ),
}


class _Params(dict):
    """Parameters for a text; a missing one shows as an ellipsis rather than failing."""

    def __missing__(self, key: str) -> str:
        return "…"


def _readable(params: Mapping[str, object]) -> _Params:
    """Amounts and dates in the active language's format."""
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
        from contracts.comments import comment_target  # comments notifies: import when used

        kind = comment_target(str(params["target_kind"]))
        name = str(params.get("target_name", ""))
        shown["target"] = kind.label_for(name) if kind else name
    if params.get("due_date"):
        shown["due_date"] = formats.date_format(
            datetime.date.fromisoformat(str(params["due_date"])), "SHORT_DATE_FORMAT"
        )
    return shown


@dataclass(frozen=True)
class NotificationText:
    title: str
    body: str


def notification_text(kind: str, params: Mapping[str, object]) -> NotificationText:
    """The title and text of a notification in the active language."""
    title, body = TEXTS[kind]
    shown = _readable(params)
    return NotificationText(title=str(title) % shown, body=str(body) % shown)


# ------------------------------------------------------------------------------------------
# Who is told
# ------------------------------------------------------------------------------------------


def finance_team() -> QuerySet:
    """Active finance clerks: they turn completed work into invoices."""
    return get_user_model().objects.filter(
        is_active=True, groups__name=ROLE_GROUP_NAMES[FINANCE_CLERK]
    )


def users_with_permission(permission: str) -> QuerySet:
    """Active users granted the permission by their role (superusers only when granted)."""
    return get_user_model().objects.with_perm(
        permission, include_superusers=False, backend="django.contrib.auth.backends.ModelBackend"
    )


# ------------------------------------------------------------------------------------------
# Services
# ------------------------------------------------------------------------------------------


def notifications_send(
    *,
    recipients: Iterable[AbstractBaseUser],
    kind: str,
    params: Mapping[str, object],
    url: str = "",
    event_key: str = "",
    actor: AbstractBaseUser | None = None,
) -> list[Notification]:
    """Notify each recipient once (never the actor of the event); e-mail those who want it
    after the transaction commits. With an ``event_key``, someone already notified of that
    event is skipped, so running an overdue check twice tells nobody twice."""
    if kind not in TEXTS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    people = {user.pk: user for user in recipients if user.pk != getattr(actor, "pk", None)}
    if not people:
        return []
    if event_key:
        already = Notification.objects.filter(event_key=event_key, recipient_id__in=people)
        for recipient_id in already.values_list("recipient_id", flat=True):
            people.pop(recipient_id, None)
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk, kind=kind, params=dict(params), url=url, event_key=event_key
            )
            for pk in sorted(people)
        ],
        ignore_conflicts=bool(event_key),
    )
    if event_key:  # ignore_conflicts leaves no primary keys: read them back
        created = list(
            Notification.objects.filter(
                event_key=event_key, recipient_id__in=people, emailed_at__isnull=True
            )
        )
    ids = [notification.pk for notification in created]
    if ids:
        transaction.on_commit(lambda: _email_later(ids))
    return created


def _email_later(ids: list[int]) -> None:
    from contracts.tasks import notifications_email_task

    notifications_email_task.enqueue(ids)


def notification_settings_for(user: AbstractBaseUser) -> NotificationSettings:
    """The user's settings; the defaults (e-mail on, the site's language) until they change them."""
    try:
        return user.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(user=user, language=settings.LANGUAGE_CODE)


def notification_settings_save(
    *, user: AbstractBaseUser, email_enabled: bool, language: str
) -> NotificationSettings:
    chosen, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email_enabled": email_enabled, "language": language}
    )
    return chosen


def notifications_email(*, ids: Iterable[int]) -> int:
    """E-mail the given notifications not e-mailed yet to recipients who want e-mail, each in
    their language, over one connection. Returns how many were sent."""
    pending = (
        Notification.objects.filter(pk__in=list(ids), emailed_at__isnull=True)
        .select_related("recipient", "recipient__notification_settings")
        .order_by("pk")
    )
    messages, sent_ids = [], []
    for notification in pending:
        recipient = notification.recipient
        chosen = notification_settings_for(recipient)
        if not (recipient.email and recipient.is_active and chosen.email_enabled):
            continue
        with translation.override(chosen.language):
            text = notification_text(notification.kind, notification.params)
            link = f"{settings.SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
            footer = _gettext(
                "You get this e-mail because of your notification settings in Project billing."
            )
            body = "\n\n".join(part for part in (text.body, link, footer) if part)
        messages.append(EmailMessage(text.title, body, to=[recipient.email]))
        sent_ids.append(notification.pk)
    if messages:
        get_connection().send_messages(messages)
        Notification.objects.filter(pk__in=sent_ids).update(emailed_at=timezone.now())
    return len(sent_ids)


def notification_open(*, notification: Notification) -> str:
    """Mark it read; returns where it points."""
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    return notification.url


def notifications_read_all(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
