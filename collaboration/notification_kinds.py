"""The notification kind collaboration sends itself; registered in CollaborationConfig.ready."""

from django.utils.translation import gettext_lazy as _

from collaboration.registry import NotificationKind

MENTIONED = "mentioned"

NOTIFICATION_KINDS = (
    NotificationKind(
        key=MENTIONED,
        label=_("Mentioned in a comment"),
        title=_("%(actor)s mentioned you"),
        body=_("On %(target)s: %(excerpt)s"),
        icon="bi-at text-primary",
    ),
)
