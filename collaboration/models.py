"""Notifications, their settings and comments: generic, they know nothing of the business.

The tables were created by ``contracts`` (migration 0008) and keep their names; collaboration
took the models over without moving a row (see migrations/0001_initial.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collaboration.registry import KIND_MAX_LENGTH, notification_kind_choices


class Notification(models.Model):
    """Something a user should know about, shown in the app and (if they want) e-mailed.

    The text is kept as a kind and its parameters and rendered in the reader's language.
    ``event_key`` makes an event notify each person once (an invoice becomes overdue once).
    The kinds are registered by the apps that send them (``collaboration.registry``).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
        related_name="notifications",
    )  # fmt: skip
    kind = models.CharField(
        _("kind"), max_length=KIND_MAX_LENGTH, choices=notification_kind_choices
    )
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    event_key = models.CharField(_("event"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        db_table = "contracts_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"],
                condition=~Q(event_key=""),
                name="notification_once_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"


class NotificationSettings(models.Model):
    """A user's choices: e-mail or not, and the language e-mails are written in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="notification_settings",
    )  # fmt: skip
    email_enabled = models.BooleanField(_("also send notifications by e-mail"), default=True)
    language = models.CharField(
        _("e-mail language"), max_length=2, choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )  # fmt: skip

    class Meta:
        db_table = "contracts_notificationsettings"
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)


class Comment(models.Model):
    """A remark on any registered comment target; @username notifies people."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    body = models.TextField(_("comment"), max_length=5000)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mentions"), related_name="+", blank=True,
        db_table="contracts_comment_mentions",
    )  # fmt: skip
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        db_table = "contracts_comment"
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="comment_target")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(body=""),
                name="comment_has_text",
                violation_error_message=_("Write a comment first."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"
