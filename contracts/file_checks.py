"""What an uploaded file is, judged by its content: a file is accepted only when its name and
its content agree on one of the allowed types (a renamed program is not a PDF) and it is not
larger than the limit. Contract documents and milestone acceptance evidence both go through
``uploaded_file_media_type``."""

from __future__ import annotations

from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

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


def max_document_bytes(limit_mb: int | None = None) -> int:
    return (limit_mb or settings.CONTRACT_DOCUMENT_MAX_MB) * 1024 * 1024


def document_media_type(
    *, file_name: str, head: bytes, size: int, limit_mb: int | None = None
) -> str:
    """The media type of an upload, from its content, when its name and content agree on an
    allowed type and it is small enough (``limit_mb``, by default the contract documents'
    limit); otherwise a ValidationError saying what to do."""
    limit_mb = limit_mb or settings.CONTRACT_DOCUMENT_MAX_MB
    if size == 0:
        raise ValidationError(DOCUMENT_EMPTY)
    if size > max_document_bytes(limit_mb):
        raise ValidationError(
            DOCUMENT_TOO_LARGE % {"size": f"{size / 1024 / 1024:.1f}", "limit": limit_mb}
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


def uploaded_file_media_type(uploaded_file: UploadedFile, *, limit_mb: int | None = None) -> str:
    """``document_media_type`` of an uploaded file, read from its first bytes (the file is
    left at its start)."""
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    return document_media_type(
        file_name=PurePath(uploaded_file.name or "").name,
        head=head,
        size=uploaded_file.size,
        limit_mb=limit_mb,
    )
