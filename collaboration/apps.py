from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    """Notifications, comments and mentions. Generic: the apps above it register their
    notification kinds and comment targets (``collaboration.registry``) in their own ready(),
    and grant its permissions to their roles."""

    name = "collaboration"
    verbose_name = _("Working together")

    def ready(self) -> None:
        from collaboration.notification_kinds import NOTIFICATION_KINDS
        from collaboration.registry import notification_kind_register

        notification_kind_register(*NOTIFICATION_KINDS)
