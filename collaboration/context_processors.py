"""What every page's navigation bar needs."""

from django.utils.functional import SimpleLazyObject

from collaboration.models import Notification


def notifications(request) -> dict:
    """The user's unread notifications, counted only when a page shows the count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        )
    }
