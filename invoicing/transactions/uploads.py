"""What a clerk does with a timesheet file: upload it (its check runs in the background) and
confirm it (its import runs in the background). The work itself is in imports.py."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy

from invoicing.transactions.models import ImportBatch, ImportStatus
from invoicing.transactions.tasks import import_batch_commit_task, import_batch_validate_task

IMPORT_NOT_READY = gettext_lazy("This import cannot be confirmed: it is %(status)s.")


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
    transaction.on_commit(lambda: import_batch_validate_task.enqueue(batch.pk))
    return batch


def import_batch_confirm(*, batch: ImportBatch, actor: AbstractBaseUser) -> ImportBatch:
    """Start importing a checked batch; refuses a batch with errors or already imported."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportStatus.VALIDATED:
            raise ValidationError(IMPORT_NOT_READY % {"status": locked.get_status_display()})
        locked.status = ImportStatus.IMPORTING
        locked.processed_rows = 0
        locked.save(update_fields=["status", "processed_rows"])
    import_batch_commit_task.enqueue(locked.pk)
    return locked
