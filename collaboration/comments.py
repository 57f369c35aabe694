"""Comments on any registered target, with @mentions that notify people.

What can be commented on is registered by the apps that own the models
(``collaboration.registry.comment_target_register``): each target says its model, how it is
named in a link, where its page is and who may read its thread.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from collaboration.models import Comment
from collaboration.notification_kinds import MENTIONED
from collaboration.notifications import notifications_send
from collaboration.registry import comment_target_of

COMMENT_EMPTY = _("Write a comment first.")
COMMENT_TOO_LONG = _("A comment can be at most 5,000 characters.")
UNKNOWN_MENTION = _("Nobody with the user name %(names)s can be mentioned. Check the spelling.")
TOO_MANY_MENTIONS = _(
    "A comment can mention at most %(limit)s people; this one mentions %(count)s. Mention "
    "fewer people, or write to a team another way."
)
COMMENT_NOT_ALLOWED = _("Your role cannot add comments.")
EXCERPT_LENGTH = 200

# @ at the start or after a space or punctuation (not inside an e-mail address); a user name is
# letters, digits and . + - _ and does not end with a full stop.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")


def mentioned_usernames(text: str) -> list[str]:
    """The user names mentioned as @name, each once, in the order they first appear."""
    seen: dict[str, str] = {}
    for name in MENTION.findall(text):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def comments_for(instance: models.Model) -> models.QuerySet[Comment]:
    """The thread of one object, oldest first, with authors: two queries whatever its length."""
    return (
        Comment.objects.filter(
            content_type=ContentType.objects.get_for_model(instance), object_id=instance.pk
        )
        .select_related("author")
        .order_by("created_at", "pk")
    )


def mention_example(thread: list[Comment], *, reader) -> str:
    """The user name of the latest other writer in ``thread`` (already loaded: no query), for
    the form's help; empty when nobody else wrote."""
    for comment in reversed(thread):
        if comment.author_id != getattr(reader, "pk", None) and comment.author.is_active:
            return comment.author.get_username()
    return ""


def comment_counts(model: type[models.Model], ids) -> dict[int, int]:
    """Comments per object, for badges on lists: one query."""
    rows = (
        Comment.objects.filter(content_type=ContentType.objects.get_for_model(model))
        .filter(object_id__in=list(ids))
        .values("object_id")
        .annotate(count=Count("pk"))
    )
    return {row["object_id"]: row["count"] for row in rows}


def _mentioned_users(names: list[str]) -> list[AbstractBaseUser]:
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    found = list(get_user_model().objects.filter(query, is_active=True))
    known = {user.username.lower() for user in found}
    unknown = [f"@{name}" for name in names if name.lower() not in known]
    if unknown:
        raise ValidationError({"body": [UNKNOWN_MENTION % {"names": ", ".join(unknown)}]})
    return found


@transaction.atomic
def comment_add(*, target: models.Model, author: AbstractBaseUser, body: str) -> Comment:
    """Add a comment and notify everyone it mentions (an unknown @name is refused, so nobody
    thinks they told someone who was never told). At most ``COMMENT_MENTIONS_MAX`` people are
    mentioned in one comment, so one comment cannot notify the whole company."""
    if not author.has_perm("collaboration.add_comment"):
        raise PermissionDenied(COMMENT_NOT_ALLOWED)
    kind = comment_target_of(target)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [COMMENT_EMPTY]})
    if len(body) > 5000:
        raise ValidationError({"body": [COMMENT_TOO_LONG]})
    names = mentioned_usernames(body)
    if len(names) > settings.COMMENT_MENTIONS_MAX:
        raise ValidationError(
            {
                "body": [
                    TOO_MANY_MENTIONS
                    % {"limit": settings.COMMENT_MENTIONS_MAX, "count": len(names)}
                ]
            }
        )
    mentioned = _mentioned_users(names)
    comment = Comment.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        author=author,
        body=body,
    )
    comment.mentions.set(mentioned)
    excerpt = body if len(body) <= EXCERPT_LENGTH else body[: EXCERPT_LENGTH - 1] + "…"
    notifications_send(
        recipients=mentioned,
        kind=MENTIONED,
        params={
            "actor": author.get_full_name() or author.get_username(),
            "target_kind": kind.key,
            "target_name": kind.name(target),
            "excerpt": excerpt,
        },
        url=kind.url(target),
        actor=author,
    )
    return comment
