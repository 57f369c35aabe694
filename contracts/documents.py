"""Documents kept with a contract: statement of work, signed contract, amendments.

A file is accepted only when its name and its content agree on one of the allowed types
(a renamed program is not a PDF) and it is not larger than the configured limit
(``contracts.file_checks``).
"""

from __future__ import annotations

from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from contracts.file_checks import uploaded_file_media_type
from contracts.models import ContractDocument, DocumentKind, ProjectContract
from contracts.services import with_history_user


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
    try:
        media_type = uploaded_file_media_type(uploaded_file)
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
