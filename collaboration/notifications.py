"""Notifications: in the app for everyone concerned, by e-mail for those who want it.

A notification is stored as its kind and parameters and rendered in the reader's language
(``collaboration.texts``), so the list reads in whatever language the user has chosen and the
e-mail in the language of their settings. E-mails go out in a background task after the
transaction commits: a rolled-back action never e-mails anyone.

Modules depend one way: registry <- texts <- emails <- tasks <- notifications <- comments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from collaboration.models import Notification, NotificationSettings
from collaboration.registry import notification_kind
from collaboration.tasks import notifications_email_task


def users_with_permission(permission: str) -> QuerySet:
    """Active users granted the permission by their role (superusers only when granted)."""
    return get_user_model().objects.with_perm(
        permission, include_superusers=False, backend="django.contrib.auth.backends.ModelBackend"
    )


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
    event is skipped, so running an overdue check twice tells nobody twice. A kind that no
    app registered raises ``UnknownNotificationKind`` and notifies nobody."""
    notification_kind(kind)
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
        transaction.on_commit(lambda: notifications_email_task.enqueue(ids))
    return created


def notification_settings_save(
    *, user: AbstractBaseUser, email_enabled: bool, language: str
) -> NotificationSettings:
    chosen, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email_enabled": email_enabled, "language": language}
    )
    return chosen


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
