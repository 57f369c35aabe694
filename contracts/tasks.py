"""Background jobs of contracts: they take primary keys and call services."""

from django_tasks import task

from contracts import notifications


@task()
def notifications_email_task(notification_ids: list[int]) -> int:
    return notifications.notifications_email(ids=notification_ids)
