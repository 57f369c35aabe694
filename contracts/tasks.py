"""The notification e-mail task moved to collaboration.tasks. This name stays so that e-mails
queued (TASKS_BACKEND=database) before the move still find their task; remove it once no
queued task points at ``contracts.tasks.notifications_email_task``."""

from collaboration.tasks import notifications_email_task

__all__ = ["notifications_email_task"]
