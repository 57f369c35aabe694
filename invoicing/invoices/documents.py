"""Invoice and credit-note PDFs with WeasyPrint, in the customer's language.

The URL fetcher serves only the project's own static files: a value in a template such as
``file:///etc/passwd`` or an internal URL is refused, so it can never reach a PDF.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import os
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from contracts.models import TransactionKind
from invoicing.invoices.facturx import facturx_finisher, facturx_pdf, facturx_xml
from invoicing.invoices.models import DocumentType, Invoice, InvoiceTax, PdfBatch
from invoicing.invoices.snapshots import (  # noqa: F401 - progress_statement is read from here too
    ProgressStatement,
    progress_statement,
    snapshot_context,
)
from invoicing.proposals.models import ProposalLineType
from invoicing.transactions import chunks
from invoicing.transactions.models import ChunkStatus, JobKind

logger = logging.getLogger(__name__)

STATIC_ROOTS = [Path(path).resolve() for path in settings.STATICFILES_DIRS]
NOT_A_STATIC_FILE = "Only the project's own static files can be used in documents: {url}"
PDF_A3B = "pdf/a-3b"


def _weasyprint():
    import weasyprint  # imported late: it loads Pango, which only PDF rendering needs

    return weasyprint


class StaticOnlyURLFetcher:
    """A WeasyPrint URL fetcher that serves files below the project's static folders and
    refuses everything else (other files, http, data from the network)."""

    def __new__(cls):
        weasyprint = _weasyprint()

        class Fetcher(weasyprint.urls.URLFetcher):
            def fetch(self, url, headers=None):
                path = static_path_for(url)
                if path is None:
                    raise ValueError(NOT_A_STATIC_FILE.format(url=url))
                mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return weasyprint.urls.URLFetcherResponse(
                    url, path.read_bytes(), {"Content-Type": mime_type}, 200
                )

        return Fetcher(allowed_protocols={"file"}, allow_redirects=False)


def static_path_for(url: str) -> Path | None:
    """The file a ``file://`` URL names, when it lies inside a static folder; else None."""
    parsed = urlparse(url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    path = Path(os.path.realpath(unquote(parsed.path)))
    for root in STATIC_ROOTS:
        if path.is_relative_to(root) and path.is_file():
            return path
    return None


def document_title(invoice: Invoice) -> str:
    """The printed title. A credit note is titled 'Corrective invoice', except for legal
    entities in Germany, which keep the plain credit-note title (DOMAIN.md section 8). The
    entity's country is the one frozen at posting."""
    if invoice.document_type == DocumentType.INVOICE:
        return pgettext("document title", "Invoice")
    if invoice.snapshot["seller"]["country"] == "DE":
        return pgettext("document title", "Credit note")
    return pgettext("document title", "Corrective invoice")


#: What each VAT category that charges no VAT means (EN 16931 BT-118), printed with its VAT
#: row: the taxable amount per exemption and the statement the law asks for (ML 17 kap. 24 §,
#: momsbekendtgørelsen §§ 58-59, VAT directive art. 226 (11), (11a)). See docs/legal-content.md.
NO_VAT_CATEGORY_TEXTS = {
    "Z": _("Zero-rated supply"),
    "E": _("Exempt from VAT"),
    "AE": _("Reverse charge"),
    "K": _("Intra-community supply"),
    "G": _("Export outside the EU"),
    "O": _("Not subject to VAT"),
}
#: Categories whose statement names the buyer's VAT number (art. 226 (4)): the buyer accounts
#: for the VAT (reverse charge) or acquires the goods in another member state.
BUYER_VAT_NUMBER_CATEGORIES = ("AE", "K")


def vat_notes(taxes: list[InvoiceTax], *, buyer_vat_number: str) -> list[SimpleNamespace]:
    """Why no VAT is charged, once per VAT row of a category that charges none: the category,
    its explanation, the exemption reason frozen on the row (text and VATEX code) and, for
    reverse charge and intra-community supply, the buyer's VAT number as frozen at posting.
    Standard-rate rows, and rows posted before issue 14 (no category), give none."""
    notes = []
    for tax in taxes:
        if tax.vat_category not in NO_VAT_CATEGORY_TEXTS:
            continue
        notes.append(
            SimpleNamespace(
                category=tax.vat_category,
                title=NO_VAT_CATEGORY_TEXTS[tax.vat_category],
                is_reverse_charge=tax.vat_category == "AE",
                reason=tax.exemption_reason.strip().rstrip("."),
                code=tax.exemption_reason_code,
                buyer_vat_number=buyer_vat_number
                if tax.vat_category in BUYER_VAT_NUMBER_CATEGORIES
                else "",
            )
        )
    return notes


def invoice_context(invoice: Invoice) -> dict:
    """What the document prints: the invoice's columns, its lines and VAT, and the parties,
    contract terms and progress statement frozen on it at posting (``snapshots.py``); never the
    customer, legal entity or contract as they are now."""
    lines = list(invoice.lines.order_by("pk"))
    # Lines without a kind (credits of retention, releases) are labelled by their type.
    labels = {**dict(ProposalLineType.choices), **dict(TransactionKind.choices)}
    order = {kind: position for position, kind in enumerate(TransactionKind.values)}
    groups: dict[str, list] = {}
    special = []
    for line in lines:
        if line.line_type in ("retention", "deduction", "retention_release"):
            special.append(line)
        else:
            groups.setdefault(line.kind or line.line_type, []).append(line)
    grouped = [
        {
            "label": labels.get(kind, kind),
            "lines": group,
            "total": sum((line.amount for line in group), Decimal("0")),
        }
        for kind, group in sorted(groups.items(), key=lambda item: order.get(item[0], len(order)))
    ]
    taxes = list(invoice.taxes.all())
    for tax in taxes:
        tax.category_text = NO_VAT_CATEGORY_TEXTS.get(tax.vat_category, "")
    frozen = snapshot_context(invoice.snapshot)
    return {
        "invoice": invoice,
        "title": document_title(invoice),
        **frozen,
        "groups": grouped,
        "special_lines": special,
        "taxes": taxes,
        "vat_notes": vat_notes(taxes, buyer_vat_number=frozen["customer"].vat_number),
        "stylesheet": (Path(settings.BASE_DIR) / "static" / "css" / "documents.css")
        .resolve()
        .as_uri(),
    }


def invoice_html(invoice: Invoice) -> str:
    with translation.override(invoice.language):
        return render_to_string("documents/invoice.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice or credit note as PDF bytes, rendered in the customer's language. For a
    buyer that wanted Factur-X when it was posted: a PDF/A-3b with the stored CII inside
    (``facturx.py``), one file that is both the printed document and the e-invoice."""
    xml = facturx_xml(invoice)
    if xml is None:
        return html_to_pdf(invoice_html(invoice))
    pdf = html_to_pdf(invoice_html(invoice), pdf_variant=PDF_A3B, finisher=facturx_finisher)
    seller = invoice.snapshot["seller"]["name"]
    with translation.override(invoice.language):
        title = f"{seller}: {document_title(invoice)} {invoice.number}"
    return facturx_pdf(pdf, xml, title=title, author=seller, language=invoice.language)


def html_to_pdf(html: str, *, pdf_variant: str | None = None, finisher=None) -> bytes:
    """PDF bytes of a document's HTML, with only the project's static files reachable;
    ``pdf_variant="pdf/a-3b"`` makes a PDF/A-3b (fonts embedded, an sRGB OutputIntent), and a
    ``finisher`` sees WeasyPrint's PDF object before it is written."""
    weasyprint = _weasyprint()
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    return weasyprint.HTML(
        string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=StaticOnlyURLFetcher()
    ).write_pdf(finisher=finisher, **options)


def html_pdf(template_name: str, context: dict) -> bytes:
    """Render a document template (in the active language) to PDF, with the documents'
    stylesheet (``stylesheet`` in the context)."""
    return html_to_pdf(render_to_string(template_name, {**context, "stylesheet": _stylesheet()}))


def _stylesheet() -> str:
    return (Path(settings.BASE_DIR) / "static" / "css" / "documents.css").resolve().as_uri()


class PdfBatchSuperseded(Exception):
    """The batch was started again by another task, or finished: this task must stop."""


def pdf_batch_render(
    *,
    batch_id: int,
    attempt: int | None = None,
    chunk_queue: Callable[[int], object] | None = None,
) -> None:
    """Start (or resume) a PDF batch: cut its invoices (in the order of the file) into chunks
    of ``PDF_BATCH_CHUNK_INVOICES`` the first time, put back in the queue every chunk that is
    not done and that no living worker holds, hand each to ``chunk_queue`` on commit (the task
    queues a task per chunk) and work through chunks itself too (``transactions/chunks.py``). Each chunk keeps its PDFs as a ZIP of its own;
    the worker that finishes the last chunk puts them together into the batch's file. A resumed
    batch renders only the chunks not done. ``attempt`` is the batch's attempt the task was
    queued for: a task of an earlier attempt stops. Any error marks the batch failed."""
    batch = PdfBatch.objects.get(pk=batch_id)
    if batch.status != PdfBatch.Status.RUNNING or (
        attempt is not None and batch.attempts != attempt
    ):
        return
    try:
        with transaction.atomic():
            locked = PdfBatch.objects.select_for_update().get(pk=batch_id)
            if locked.status != PdfBatch.Status.RUNNING or locked.attempts != batch.attempts:
                raise PdfBatchSuperseded
            if not chunks.job_chunks(JobKind.PDF_BATCH, batch_id).exists():
                ordered = list(
                    Invoice.objects.filter(pk__in=batch.invoice_ids)
                    .order_by("legal_entity", "sequence_number")
                    .values_list("pk", flat=True)
                )
                chunks.chunks_create(
                    kind=JobKind.PDF_BATCH,
                    job_id=batch_id,
                    item_ids=ordered,
                    size=settings.PDF_BATCH_CHUNK_INVOICES,
                )
            else:
                chunks.chunks_requeue(kind=JobKind.PDF_BATCH, job_id=batch_id)
            locked.heartbeat_at = timezone.now()
            locked.save(update_fields=["heartbeat_at"])
            pending = chunks.job_chunks(JobKind.PDF_BATCH, batch_id).filter(
                status=ChunkStatus.QUEUED
            )
            for chunk_id in pending.values_list("pk", flat=True) if chunk_queue else ():
                transaction.on_commit(lambda chunk_id=chunk_id: chunk_queue(chunk_id))
        pdf_batch_chunks_work(batch_id=batch_id)
    except PdfBatchSuperseded:
        return
    except Exception as error:  # noqa: BLE001 - the batch page explains any failure
        logger.exception("PDF batch %s failed", batch_id)
        PdfBatch.objects.filter(
            pk=batch_id, status=PdfBatch.Status.RUNNING, attempts=batch.attempts
        ).update(status=PdfBatch.Status.FAILED, message=str(error))


def pdf_batch_chunks_work(*, batch_id: int, chunk_id: int | None = None) -> None:
    """A worker's share of a PDF batch: claim a chunk (``chunk_id`` first), render its PDFs
    (a heartbeat after each), keep them with the chunk and mark it done in one transaction; go
    on until no chunk is left, then put the batch's file together if every chunk is done."""
    if not PdfBatch.objects.filter(pk=batch_id, status=PdfBatch.Status.RUNNING).exists():
        return
    prefer = chunk_id
    while chunk := chunks.chunk_claim(kind=JobKind.PDF_BATCH, job_id=batch_id, prefer=prefer):
        prefer = None
        PdfBatch.objects.filter(pk=batch_id).update(heartbeat_at=timezone.now())
        try:
            _pdf_batch_chunk_render(batch_id, chunk)
        except chunks.ChunkSuperseded:
            continue
        except Exception as error:  # noqa: BLE001 - the chunk and the batch explain any failure
            logger.exception("PDF batch %s: %s failed", batch_id, chunk)
            chunks.chunk_failed(chunk, error)
    pdf_batch_finish(batch_id=batch_id)


def _pdf_batch_chunk_render(batch_id: int, chunk) -> None:
    invoices = Invoice.objects.in_bulk(chunk.item_ids)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as part:
        for number, invoice_id in enumerate(chunk.item_ids, start=1):
            invoice = invoices[invoice_id]
            part.writestr(f"{invoice.number}.pdf", invoice_pdf(invoice))
            chunks.chunk_heartbeat(chunk, processed=number)
    with transaction.atomic():
        locked = chunks.chunk_lock_own(chunk)
        chunks.chunk_done(locked, processed=len(chunk.item_ids), output=buffer.getvalue())
        PdfBatch.objects.filter(pk=batch_id).update(
            processed=F("processed") + len(chunk.item_ids), heartbeat_at=timezone.now()
        )


def pdf_batch_finish(*, batch_id: int) -> None:
    """When no chunk of a running batch is queued or running any more: put the chunks' PDFs
    together, in order, into the batch's ZIP file and mark it done (or failed with the first
    failed chunk's error). The batch's row lock makes it happen once."""
    with transaction.atomic():
        batch = chunks.job_finishable(PdfBatch, JobKind.PDF_BATCH, batch_id)
        if batch is None:
            return
        parts = chunks.job_chunks(JobKind.PDF_BATCH, batch_id).order_by("number")
        failed = parts.filter(status=ChunkStatus.FAILED).first()
        if failed is not None:
            batch.status = PdfBatch.Status.FAILED
            batch.message = failed.error
            batch.save(update_fields=["status", "message"])
            return
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in parts.iterator():
                with zipfile.ZipFile(io.BytesIO(bytes(part.output))) as pdfs:
                    for name in pdfs.namelist():
                        archive.writestr(name, pdfs.read(name))
        batch.archive.save(f"invoices-{batch_id}.zip", ContentFile(buffer.getvalue()), save=False)
        batch.status = PdfBatch.Status.DONE
        batch.processed = len(batch.invoice_ids)
        batch.heartbeat_at = timezone.now()
        batch.save(update_fields=["archive", "status", "processed", "heartbeat_at"])
        parts.update(output=None)  # the batch's file holds them now
