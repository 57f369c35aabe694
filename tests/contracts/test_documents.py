"""Contract documents: type checked from the content, size limited, served only to users
who may see contracts."""

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.documents import contract_document_add, contract_document_delete
from contracts.file_checks import document_media_type
from contracts.models import ContractDocument
from tests.factories import ProjectContractFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def people(db):
    return {
        "clerk": UserFactory(username="karin", role="finance_clerk"),
        "reader": UserFactory(username="olle", role="read_only"),
    }


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("sow.pdf", PDF, "application/pdf"),
        ("Signed.PDF", PDF, "application/pdf"),
        (
            "scope.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_allowed_files_are_recognised_by_their_content(name, content, media_type):
    assert document_media_type(file_name=name, head=content, size=len(content)) == media_type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", PROGRAM, "is named .pdf but its content is not a PDF file"),
        ("scope.docx", PDF, "is named .docx but its content is not a DOCX file"),
        ("setup.exe", PROGRAM, "Files of type .exe cannot be attached"),
        ("notes", PDF, "Files of type .? cannot be attached"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_refused_files_say_what_to_do(name, content, message):
    with pytest.raises(ValidationError, match=message.replace(".", r"\.").replace("?", r"\?")):
        document_media_type(file_name=name, head=content, size=len(content))


def test_a_file_over_the_limit_is_refused(settings):
    settings.CONTRACT_DOCUMENT_MAX_MB = 1
    size = 1024 * 1024 + 1
    with pytest.raises(ValidationError, match="The file is 1.0 MB; documents can be at most 1 MB"):
        document_media_type(file_name="big.pdf", head=PDF, size=size)


def test_a_document_is_kept_with_the_contract_and_removed_with_its_file(
    people, media_root, django_capture_on_commit_callbacks
):
    contract = ProjectContractFactory()
    document = contract_document_add(
        contract=contract,
        kind="signed_contract",
        title="",
        uploaded_file=SimpleUploadedFile("Signed contract 2026.pdf", PDF),
        actor=people["clerk"],
    )
    assert (document.title, document.file_name, document.size) == (
        "Signed contract 2026",
        "Signed contract 2026.pdf",
        len(PDF),
    )
    path = document.file.path
    assert Path(path).read_bytes() == PDF
    with django_capture_on_commit_callbacks(execute=True):
        contract_document_delete(document=document, actor=people["clerk"])
    assert not ContractDocument.objects.exists()
    assert not os.path.exists(path)  # removed once the deletion committed
    assert document.history.count() == 2


def test_a_refused_upload_leaves_no_row_and_no_file(people, media_root):
    with pytest.raises(ValidationError) as refused:
        contract_document_add(
            contract=ProjectContractFactory(),
            kind="other",
            title="Tool",
            uploaded_file=SimpleUploadedFile("tool.pdf", PROGRAM),
            actor=people["clerk"],
        )
    assert "file" in refused.value.message_dict
    assert not ContractDocument.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.pdf"))


# ------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------


def test_upload_on_the_contract_page_and_download(client, people):
    contract = ProjectContractFactory()
    client.force_login(people["clerk"])
    response = client.post(
        f"/contracts/{contract.pk}/documents/",
        {
            "kind": "statement_of_work",
            "title": "SOW v2",
            "file": SimpleUploadedFile("sow.pdf", PDF),
        },
    )
    assert response.status_code == 302 and response.url.endswith("#documents")
    document = ContractDocument.objects.get()
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "SOW v2" in page and "Statement of work" in page
    download = client.get(f"/contracts/{contract.pk}/documents/{document.pk}/")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="sow.pdf"'
    assert b"".join(download.streaming_content) == PDF


def test_a_refused_upload_tells_the_clerk_why(client, people):
    contract = ProjectContractFactory()
    client.force_login(people["clerk"])
    response = client.post(
        f"/contracts/{contract.pk}/documents/",
        {"kind": "other", "file": SimpleUploadedFile("virus.pdf", PROGRAM)},
        follow=True,
    )
    assert "The document was not attached" in response.content.decode()
    assert "its content is not a PDF file" in response.content.decode()
    assert not ContractDocument.objects.exists()


def test_read_only_users_download_but_cannot_upload_or_remove(client, people):
    contract = ProjectContractFactory()
    document = contract_document_add(
        contract=contract, kind="other", title="A", actor=people["clerk"],
        uploaded_file=SimpleUploadedFile("a.pdf", PDF),
    )  # fmt: skip
    client.force_login(people["reader"])
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "Attach" not in page
    assert client.get(f"/contracts/{contract.pk}/documents/{document.pk}/").status_code == 200
    upload = client.post(
        f"/contracts/{contract.pk}/documents/",
        {"kind": "other", "file": SimpleUploadedFile("b.pdf", PDF)},
    )
    assert upload.status_code == 403
    remove = client.post(f"/contracts/{contract.pk}/documents/{document.pk}/delete/")
    assert remove.status_code == 403
    assert ContractDocument.objects.count() == 1


def test_a_document_is_only_found_under_its_own_contract(client, people):
    document = contract_document_add(
        contract=ProjectContractFactory(), kind="other", title="A", actor=people["clerk"],
        uploaded_file=SimpleUploadedFile("a.pdf", PDF),
    )  # fmt: skip
    other = ProjectContractFactory()
    client.force_login(people["clerk"])
    assert client.get(f"/contracts/{other.pk}/documents/{document.pk}/").status_code == 404
