"""What the apps built on collaboration tell it: their notification kinds and comment targets.

Collaboration knows nothing of the business. An app that notifies people registers each kind
it sends (its key, label, title and text); an app whose objects carry comment threads registers
each model as a target (how it is named, where its page is, who may read its thread). Both are
registered once, from the app's ``AppConfig.ready``; a second registration of the same key is
refused, and so is sending a kind nobody registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The longest key Notification.kind can store.
KIND_MAX_LENGTH = 30

NOT_COMMENTABLE = _("Comments cannot be written here.")


class AlreadyRegistered(ValueError):
    """A second registration of a key (or a model) that is already registered."""


class UnknownNotificationKind(ValueError):
    """A notification kind that no app registered."""


@dataclass(frozen=True)
class NotificationKind:
    """One kind of notification. ``title`` and ``body`` are texts with %(name)s parameters,
    filled from ``Notification.params``; mark them with ``gettext_lazy`` so each reader gets
    them in their own language. ``icon`` is the Bootstrap Icons classes shown in the list."""

    key: str
    label: str | Promise
    title: str | Promise
    body: str | Promise
    icon: str = "bi-flag text-primary"


@dataclass(frozen=True)
class CommentTarget:
    """A model whose objects carry a comment thread."""

    key: str  # in the thread's URL: /comments/<key>/<pk>/
    model: type[models.Model]
    permission: str  # needed to read the thread ("app_label.view_model")
    url: Callable[[models.Model], str]  # where the thread is read (links in notifications)
    name: Callable[[models.Model], str]  # how the object is called: its code or number
    label: str | Promise  # "contract %(name)s", translated when shown
    page: Callable[[models.Model], str]  # the object's own page (the breadcrumb)

    def describe(self, instance: models.Model) -> str:
        return self.label_for(self.name(instance))

    def label_for(self, name: str) -> str:
        return str(self.label) % {"name": name}


class NotificationKindRegistry:
    """Notification kinds by key, in registration order."""

    def __init__(self) -> None:
        self._kinds: dict[str, NotificationKind] = {}

    def register(self, *kinds: NotificationKind) -> None:
        """All or none: one refused kind registers none of them."""
        added: dict[str, NotificationKind] = {}
        for kind in kinds:
            if kind.key in self._kinds or kind.key in added:
                raise AlreadyRegistered(f"Notification kind {kind.key!r} is already registered.")
            if not kind.key or len(kind.key) > KIND_MAX_LENGTH:
                raise ValueError(
                    f"A notification kind's key has 1 to {KIND_MAX_LENGTH} characters: "
                    f"{kind.key!r}."
                )
            added[kind.key] = kind
        self._kinds.update(added)

    def get(self, key: str) -> NotificationKind:
        try:
            return self._kinds[key]
        except KeyError:
            raise UnknownNotificationKind(f"Unknown notification kind {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._kinds

    def __iter__(self) -> Iterator[NotificationKind]:
        return iter(self._kinds.values())


class CommentTargetRegistry:
    """Comment targets by key; one target per model."""

    def __init__(self) -> None:
        self._targets: dict[str, CommentTarget] = {}

    def register(self, *targets: CommentTarget) -> None:
        """All or none: one refused target registers none of them."""
        added: dict[str, CommentTarget] = {}
        for target in targets:
            known = [*self._targets.values(), *added.values()]
            if any(other.key == target.key for other in known):
                raise AlreadyRegistered(f"Comment target {target.key!r} is already registered.")
            if any(other.model is target.model for other in known):
                raise AlreadyRegistered(f"{target.model.__name__} is already a comment target.")
            added[target.key] = target
        self._targets.update(added)

    def get(self, key: str) -> CommentTarget | None:
        return self._targets.get(key)

    def of(self, instance: models.Model) -> CommentTarget:
        for target in self._targets.values():
            if isinstance(instance, target.model):
                return target
        raise ValidationError(NOT_COMMENTABLE)

    def __iter__(self) -> Iterator[CommentTarget]:
        return iter(self._targets.values())


notification_kinds = NotificationKindRegistry()
comment_targets = CommentTargetRegistry()


def notification_kind_register(*kinds: NotificationKind) -> None:
    """Register notification kinds; a key registered before is refused."""
    notification_kinds.register(*kinds)


def notification_kind(key: str) -> NotificationKind:
    """The registered kind; ``UnknownNotificationKind`` when no app registered it."""
    return notification_kinds.get(key)


def notification_kind_choices() -> list[tuple[str, str | Promise]]:
    """The choices of ``Notification.kind``: every registered kind, in registration order.
    A callable, so the model (and its migrations) need not list the kinds."""
    return [(kind.key, kind.label) for kind in notification_kinds]


def comment_target_register(*targets: CommentTarget) -> None:
    """Register comment targets; a key or a model registered before is refused."""
    comment_targets.register(*targets)


def comment_target(key: str) -> CommentTarget | None:
    """The target registered under ``key``, or None."""
    return comment_targets.get(key)


def comment_target_of(instance: models.Model) -> CommentTarget:
    """The target ``instance`` belongs to; a ValidationError when its model is not one."""
    return comment_targets.of(instance)
