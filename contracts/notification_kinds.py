"""The notification kinds contracts sends; registered in ContractsConfig.ready."""

from django.utils.translation import gettext_lazy as _

from collaboration.registry import NotificationKind

MILESTONE_COMPLETED = "milestone_completed"

NOTIFICATION_KINDS = (
    NotificationKind(
        key=MILESTONE_COMPLETED,
        label=_("Milestone completed"),
        title=_("Milestone completed: “%(milestone)s”"),
        body=_("%(actor)s completed milestone “%(milestone)s” on contract %(contract)s."),
    ),
)
