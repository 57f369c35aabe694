"""Log-in throttling by address as well as by user name and address.

django-axes locks a user name tried from one address after AXES_FAILURE_LIMIT failures. Password
spraying (one or two passwords tried against many user names) stays under that limit for every
name, so failures are also counted per address alone, with their own, higher limit
(AXES_ADDRESS_FAILURE_LIMIT: an office behind one address must not lock itself out over a few
mistyped passwords), within the same cool-off time.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class AddressThrottlingHandler(AxesDatabaseHandler):
    """Axes' database handler; an address with too many failures across all user names counts
    as locked out, whatever user name it tries next."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def address_failures(request) -> int:
    """Failed log-ins from the request's address, under any user name, within the cool-off."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
