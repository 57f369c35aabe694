"""What a clerk does with a timesheet file: upload it (its check runs in the background) and
confirm it (its import runs in the background). The work itself is in imports.py."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from invoicing.transactions.models import ImportBatch, ImportStatus
from invoicing.transactions.tasks import import_batch_commit_task, import_batch_validate_task

IMPORT_NOT_READY = gettext_lazy("This import cannot be confirmed: it is %(status)s.")
IMPORT_NOT_CHECKABLE = gettext_lazy("This import cannot be checked again: it is %(status)s.")
# A batch in one of these states can be checked again (and then confirmed): the check or the
# import failed, the data changed since, or its worker stopped (stalled, see is_stalled).
CHECKABLE_AGAIN = (ImportStatus.FAILED, ImportStatus.INVALID)


def import_batch_create(*, uploaded_file: UploadedFile, actor: AbstractBaseUser) -> ImportBatch:
    """Store an uploaded timesheet file as a new batch and schedule its check."""
    content = uploaded_file.read()
    uploaded_file.seek(0)
    batch = ImportBatch.objects.create(
        created_by=actor,
        file=uploaded_file,
        file_name=uploaded_file.name[:255],
        file_sha256=hashlib.sha256(content).hexdigest(),
        status=ImportStatus.VALIDATING,
    )
    transaction.on_commit(lambda: import_batch_validate_task.enqueue(batch.pk, batch.attempts))
    return batch


def import_batch_confirm(*, batch: ImportBatch, actor: AbstractBaseUser) -> ImportBatch:
    """Start importing a checked batch; refuses a batch with errors or already imported."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportStatus.VALIDATED:
            raise ValidationError(IMPORT_NOT_READY % {"status": locked.get_status_display()})
        locked.status = ImportStatus.IMPORTING
        locked.processed_rows = 0
        locked.attempts += 1
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=["status", "processed_rows", "attempts", "heartbeat_at"])
    import_batch_commit_task.enqueue(locked.pk, locked.attempts)
    return locked


def import_batch_check_again(*, batch: ImportBatch, actor: AbstractBaseUser) -> ImportBatch:
    """Check a failed, invalid or stalled batch's file again; once valid it can be confirmed.

    A stalled check or import (its worker stopped) is taken over: the batch's attempt changes,
    so the lost task, should it ever wake up, writes nothing."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in CHECKABLE_AGAIN and not locked.is_stalled:
            raise ValidationError(IMPORT_NOT_CHECKABLE % {"status": locked.get_status_display()})
        locked.status = ImportStatus.VALIDATING
        locked.attempts += 1
        locked.heartbeat_at = timezone.now()
        locked.processed_rows = locked.error_count = locked.new_rows = 0
        locked.unchanged_rows = 0
        locked.errors, locked.preview, locked.message = [], [], ""
        locked.save()
        attempt = locked.attempts
        transaction.on_commit(lambda: import_batch_validate_task.enqueue(locked.pk, attempt))
    return locked
