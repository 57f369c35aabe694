"""Health check for load balancers and monitors: 200 when the app can reach its database and
the task queue is moving, 503 otherwise (never a 500).

The body says which: ``database`` is ``ok`` or ``unreachable``; ``oldest_queued_task_seconds``
is the age of the oldest task waiting in django-tasks-db's queue (0 when none waits), and
``queue`` is ``stuck`` when that age is over ``TASK_QUEUE_MAX_AGE``: no worker takes work. Both
are left out when tasks run in the web process (``TASKS_BACKEND=immediate``): no queue.

The middleware answers ``/healthz`` before sessions, authentication or anything else that may
need the database, so a monitor that sends a session cookie still gets 503 (not a 500) when the
database is down."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Case, F, Min, When
from django.db.models.functions import Greatest
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache


def oldest_queued_task_seconds() -> int:
    """Seconds the oldest ready task has waited (since it was enqueued, or since the time it
    was to run after, whichever is later); 0 when the queue is empty."""
    # the app may not be loaded in every set-up
    from django_tasks_db.models import DBTaskResult, get_date_max

    # A task queued without a time to run after has run_after = the largest date.
    waiting_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
    )
    oldest = (
        DBTaskResult.objects.ready()
        .annotate(waiting_since=waiting_since)
        .aggregate(oldest=Min("waiting_since"))["oldest"]
    )
    return 0 if oldest is None else max(0, int((timezone.now() - oldest).total_seconds()))


def tasks_are_queued() -> bool:
    """True when background tasks wait in django-tasks-db's table for a worker."""
    return any(
        backend["BACKEND"] == "django_tasks_db.DatabaseBackend"
        for backend in settings.TASKS.values()
    )


@never_cache
@login_not_required
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        waited = oldest_queued_task_seconds() if tasks_are_queued() else None
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if waited is None:  # tasks run in the web process: there is no queue to watch
        return JsonResponse({"status": "ok", "database": "ok"})
    body = {"status": "ok", "database": "ok", "queue": "ok", "oldest_queued_task_seconds": waited}
    if waited > settings.TASK_QUEUE_MAX_AGE.total_seconds():
        return JsonResponse({**body, "status": "unavailable", "queue": "stuck"}, status=503)
    return JsonResponse(body)


class HealthCheckMiddleware:
    """Put first in MIDDLEWARE: ``/healthz`` is answered here and goes no further."""

    path = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == self.path:
            return health(request)
        return self.get_response(request)
