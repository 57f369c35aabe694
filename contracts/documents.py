"""Documents kept with a contract: statement of work, signed contract, amendments.

A file is accepted only when its name and its content agree on one of the allowed types
(a renamed program is not a PDF) and it is not larger than the configured limit.
"""

from __future__ import annotations

from pathlib import PurePath

import filetype
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from contracts.models import ContractDocument, DocumentKind, ProjectContract
from contracts.services import with_history_user

# File name extension -> the media type its content must have.
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
ALLOWED_NAMES = ", ".join(sorted({extension.upper() for extension in ALLOWED_TYPES} - {"JPEG"}))

DOCUMENT_EMPTY = _("The file is empty.")
DOCUMENT_TOO_LARGE = _("The file is %(size)s MB; documents can be at most %(limit)s MB.")
DOCUMENT_TYPE_NOT_ALLOWED = _(
    "Files of type .%(extension)s cannot be attached. Attach %(allowed)s."
)
DOCUMENT_CONTENT_MISMATCH = _(
    "The file is named .%(extension)s but its content is not a %(extension_upper)s file. "
    "Save it again as %(extension_upper)s and attach it."
)


def max_document_bytes() -> int:
    return settings.CONTRACT_DOCUMENT_MAX_MB * 1024 * 1024


def document_media_type(*, file_name: str, head: bytes, size: int) -> str:
    """The media type of an upload, from its content, when its name and content agree on an
    allowed type and it is small enough; otherwise a ValidationError saying what to do."""
    if size == 0:
        raise ValidationError(DOCUMENT_EMPTY)
    if size > max_document_bytes():
        raise ValidationError(
            DOCUMENT_TOO_LARGE
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": settings.CONTRACT_DOCUMENT_MAX_MB}
        )
    extension = PurePath(file_name).suffix.lower().lstrip(".")
    expected = ALLOWED_TYPES.get(extension)
    if expected is None:
        raise ValidationError(
            DOCUMENT_TYPE_NOT_ALLOWED % {"extension": extension or "?", "allowed": ALLOWED_NAMES}
        )
    found = filetype.guess(head)
    if found is None or found.mime != expected:
        raise ValidationError(
            DOCUMENT_CONTENT_MISMATCH
            % {"extension": extension, "extension_upper": extension.upper()}
        )
    return expected


@transaction.atomic
def contract_document_add(
    *,
    contract: ProjectContract,
    kind: str,
    title: str,
    uploaded_file: UploadedFile,
    actor: AbstractBaseUser,
) -> ContractDocument:
    """Keep a checked file with the contract; the title defaults to the file name."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": [_("Choose what kind of document this is.")]})
    file_name = PurePath(uploaded_file.name or "").name
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    try:
        media_type = document_media_type(file_name=file_name, head=head, size=uploaded_file.size)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    document = ContractDocument(
        contract=contract,
        kind=kind,
        title=(title or "").strip() or PurePath(file_name).stem,
        file_name=file_name,
        media_type=media_type,
        size=uploaded_file.size,
        uploaded_by=actor,
    )
    document.file.save(file_name, uploaded_file, save=False)
    try:  # if the database refuses the row, the stored file goes too
        with_history_user(document, actor).save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def contract_document_delete(*, document: ContractDocument, actor: AbstractBaseUser) -> None:
    """Remove the document and, once the removal is committed, its file."""
    stored = ContractDocument.objects.select_for_update().get(pk=document.pk)
    file = stored.file
    with_history_user(stored, actor).delete()
    transaction.on_commit(lambda: file.delete(save=False))
