"""Notifications by e-mail: to those who want them, each in the language they chose."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _gettext

from collaboration.models import Notification, NotificationSettings
from collaboration.texts import notification_text


def notification_settings_for(user: AbstractBaseUser) -> NotificationSettings:
    """The user's settings; the defaults (e-mail on, the site's language) until they change them."""
    try:
        return user.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(user=user, language=settings.LANGUAGE_CODE)


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
