"""Health check for load balancers: 200 when the app can reach its database, 503 otherwise.

The middleware answers ``/healthz`` before sessions, authentication or anything else that may
need the database, so a monitor that sends a session cookie still gets 503 (not a 500) when the
database is down."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
@login_not_required
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class HealthCheckMiddleware:
    """Put first in MIDDLEWARE: ``/healthz`` is answered here and goes no further."""

    path = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == self.path:
            return health(request)
        return self.get_response(request)
