"""Background jobs of collaboration: they take primary keys and call services."""

from django_tasks import task

from collaboration import emails


@task()
def notifications_email_task(notification_ids: list[int]) -> int:
    return emails.notifications_email(ids=notification_ids)
