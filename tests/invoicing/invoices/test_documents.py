"""Invoice PDFs: in the customer's language, with the figures, and nothing from outside."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from invoicing.invoices import documents, posting
from invoicing.invoices.documents import static_path_for
from tests.factories import UserFactory
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def invoice(people):
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = "INV-"
    entity.save()
    return posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )


def test_invoice_html_has_the_figures_in_the_customers_language(invoice):
    invoice.customer.language = "sv"
    html = documents.invoice_html(invoice)
    assert "Faktura" in html
    assert "27\xa0500,00" in html  # gross in Swedish format
    assert "INV-1" in html


def test_invoice_pdf_renders(invoice):
    pdf = documents.invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf).replace("\xa0", " ")
    # The customer is Swedish: the document speaks Swedish with Swedish number formats.
    assert "FAKTURA" in text
    assert "Ange fakturanummer INV-1." in text
    assert "Moms 25 % på 22 000,00" in text
    assert "5 500,00" in text
    assert "Att betala SEK" in text
    assert "27 500,00" in text


def test_fetcher_serves_only_the_projects_static_files():
    stylesheet = settings.BASE_DIR / "static" / "css" / "documents.css"
    assert static_path_for(stylesheet.as_uri()) == stylesheet.resolve()
    static = (settings.BASE_DIR / "static").as_uri()
    for url in (
        "file:///etc/passwd",
        f"{static}/../config/settings/base.py",
        f"{static}/css/missing.css",
        "http://127.0.0.1:8000/admin/",
        "https://example.com/logo.png",
        "file://evil-host/static/css/documents.css",
        "data:text/plain,hello",
    ):
        assert static_path_for(url) is None, url


def test_a_malicious_value_never_reaches_the_pdf(invoice):
    # A description that tries to pull a local file or an internal URL into the document.
    line = invoice.lines.first()
    html = documents.invoice_html(invoice).replace(
        line.description,
        '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:8000/">'
        '<object data="file:///etc/hostname"></object>',
    )
    weasyprint = documents._weasyprint()
    pdf = weasyprint.HTML(string=html, url_fetcher=documents.StaticOnlyURLFetcher()).write_pdf()
    text = pdf_text(pdf)
    assert "root:" not in text
    assert "/bin/" not in text
    assert "27 500,00" in text.replace("\xa0", " ")  # the rest of the invoice still renders


def test_pdf_view_needs_permission_and_returns_a_pdf(client, user_with_role, invoice):
    url = reverse("invoicing:invoice_pdf", args=[invoice.pk])
    client.force_login(UserFactory())  # no role
    assert client.get(url).status_code == 403
    client.force_login(user_with_role("read_only"))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Ange fakturanummer INV-1." in pdf_text(response.content)
    client.force_login(user_with_role("finance_clerk"))
    detail = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk]))
    assert detail.status_code == 200
    assert "INV-1" in detail.content.decode()


def test_post_from_the_proposal_page(client, people):
    proposal = approved_e1(people)
    client.force_login(people["clerk"])
    response = client.post(
        reverse("invoicing:proposal_post", args=[proposal.pk]), {"invoice_date": "2026-04-01"}
    )
    proposal.refresh_from_db()
    assert response["Location"] == proposal.invoice.get_absolute_url()
    assert proposal.invoice.gross_total == Decimal("27500.00")


def test_batch_of_pdfs_renders_in_the_background(
    client, invoice, people, settings, tmp_path, django_capture_on_commit_callbacks
):
    import io
    import zipfile

    from invoicing.invoices.models import PdfBatch

    settings.MEDIA_ROOT = tmp_path
    client.force_login(people["clerk"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("invoicing:pdf_batch_start"), {"status": ""})
    batch = PdfBatch.objects.get()
    assert response["Location"] == reverse("invoicing:pdf_batch", args=[batch.pk])
    assert (batch.status, batch.processed) == ("done", 1)
    download = client.get(reverse("invoicing:pdf_batch_download", args=[batch.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert archive.namelist() == ["INV-1.pdf"]


def test_a_posted_invoices_pdf_is_unchanged_when_its_customer_and_entity_are_edited(invoice):
    """Regression (issue 12): the document read the customer, legal entity and contract when
    it rendered, so renaming the customer after posting changed the printed invoice."""
    from contracts.models import ProjectContract
    from invoicing.invoices.models import Invoice

    before = pdf_text(documents.invoice_pdf(invoice))
    customer = invoice.customer
    customer.name, customer.street = "Renamed Customer AB", "Ny gatan 99"
    customer.save()
    entity = invoice.legal_entity
    entity.name = "Renamed Seller AB"
    entity.save()
    # The contract-term lock (a service) refuses this; the document must not depend on it.
    ProjectContract.objects.filter(pk=invoice.contract_id).update(retention_percent=Decimal("5"))
    after = pdf_text(documents.invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert "Renamed" not in after
    assert "Ny gatan" not in after
    assert after == before


@pytest.mark.parametrize("extra_lines", [4, 6, 8])
def test_the_payment_details_stay_with_the_totals_on_one_page(people, extra_lines):
    """Issue 16: a 6-line invoice printed its bank details alone on page 2. Whatever the number
    of lines, the page with the amount to pay also carries how to pay it."""
    from invoicing.proposals import generation, workflow
    from tests.factories import BillingRuleFactory, WorkerFactory
    from tests.invoicing.builders import DAY, contract_with_customer, hours

    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    BillingRuleFactory(
        contract=contract, rule_type="fee", fee_percent=Decimal("10"), projects=[project]
    )
    for number in range(extra_lines):
        hours(
            project,
            WorkerFactory(sales_rate=Decimal("950")),
            "5",
            date=DAY - datetime.timedelta(days=number),
            description=f"Support week {number} " * 3,
        )
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=DAY)
    pages = pdf_text(documents.invoice_pdf(invoice)).split("\f")
    [with_total] = [page for page in pages if "Att betala SEK" in page]
    assert "betalning" in with_total.lower() and "avtalets ställning" in with_total.lower()
    assert "30 dagar netto" in with_total


def test_the_invoice_list_exports_what_it_shows_with_the_open_amount(client, invoice, people):
    import io

    import openpyxl

    client.force_login(people["clerk"])
    response = client.get(reverse("invoicing:invoice_export"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Number", "Document", "Customer") and rows[0][-1] == "Open"
    assert rows[1][0] == "INV-1" and rows[1][-2] == 27500 and rows[1][-1] == 27500
    client.cookies["django_language"] = "da"
    text = client.get(reverse("invoicing:invoice_export")).content.decode("utf-8-sig")
    assert "INV-1;" in text and ";27500,00;" in text
