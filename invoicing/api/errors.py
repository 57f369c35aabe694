"""JSON errors with field-level messages, also for the domain errors services raise."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from funding.allocation import AllocationError
from invoicing.receivables.payments import PaymentRefused
from invoicing.transactions.timesheet_reader import TimesheetFileError


def exception_handler(exc, context):
    """Turn a service's ValidationError (and other domain refusals) into a 400 with messages
    per field; a refusal of permission into a 403. DRF handles the rest."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, (PaymentRefused, TimesheetFileError, AllocationError)):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]})
    elif isinstance(exc, PermissionDenied) and str(exc):
        exc = exceptions.PermissionDenied(str(exc))
    return drf_exception_handler(exc, context)
