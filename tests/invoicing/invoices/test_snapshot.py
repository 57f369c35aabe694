"""Documents frozen at posting (issue 12, item 6): the parties, the contract's terms and the
progress statement are copied onto the invoice when it is posted, and the document (HTML and
PDF) is rendered from that copy, its columns, lines and VAT only."""

import datetime
import importlib
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from contracts.models import Category, PaymentTerms, Project, ProjectContract, Worker
from funding.models import FundingSource
from invoicing.invoices import credits, documents, posting, snapshots
from invoicing.invoices.models import Invoice
from tests.factories import PaymentTermsFactory
from tests.invoicing.invoices.test_credits import approve_and_post
from tests.invoicing.invoices.test_documents import pdf_text
from tests.invoicing.invoices.test_posting import approved_e1
from tests.markers import landed_migration_round_trip

pytestmark = pytest.mark.django_db
D = Decimal
backfill = importlib.import_module("invoicing.migrations.0009_invoice_snapshot")
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the guard is a PostgreSQL trigger"
)


def post_e1(people, **contract_fields):
    """E1 with 10 % retention and the seller's bank details, so that every part prints."""
    proposal = approved_e1(people, retention_percent=D("10"), **contract_fields)
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = "INV-"
    entity.street, entity.postal_code, entity.city = "Storgatan 1", "111 22", "Stockholm"
    entity.organization_number, entity.email = "556677-8899", "billing@nordic.example"
    entity.iban, entity.bic, entity.bankgiro = "SE4550000000058398257466", "ESSESESS", "5050-1055"
    entity.bank_name = "SEB"
    entity.save()
    customer = proposal.funding_source.customer
    customer.street, customer.postal_code, customer.city = "Kundvägen 2", "222 33", "Malmö"
    customer.vat_number = "SE559988776601"
    customer.save()
    return posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )


def edit_everything(invoice: Invoice) -> None:
    """Change every field the document printed, through the ORM (the contract-term lock is a
    service and would refuse the retention percent and currency: the document must not depend
    on that refusal)."""
    customer = invoice.customer
    customer.name, customer.street, customer.postal_code = "Renamed AB", "Ny väg 9", "999 99"
    customer.city, customer.country, customer.vat_number = "Oslo", "NO", "NO999999999"
    customer.language, customer.email = "da", "new@example.com"
    customer.save()
    entity = invoice.legal_entity
    entity.name, entity.street, entity.postal_code = "New Seller GmbH", "Hauptstr. 1", "10115"
    entity.city, entity.country, entity.vat_number = "Berlin", "DE", "DE123456789"
    entity.organization_number, entity.email = "HRB 1", "new@seller.example"
    entity.iban, entity.bic, entity.bankgiro, entity.bank_name = "DE89", "COBADEFF", "", "Bank"
    entity.save()
    ProjectContract.objects.filter(pk=invoice.contract_id).update(
        name="Renamed contract", code="K-NEW", retention_percent=D("5"), currency="EUR",
        contract_value=D("1"), customer_reference="New ref",
        payment_terms=PaymentTermsFactory(net_days=10),
    )  # fmt: skip
    PaymentTerms.objects.filter(pk=invoice.contract.payment_terms_id).update(net_days=60)
    FundingSource.objects.filter(pk=invoice.funding_source_id).update(name="Renamed funder")
    Project.objects.filter(contract=invoice.contract_id).update(name="Renamed project")
    Category.objects.update(name="Renamed category")
    Worker.objects.update(name="Renamed worker")


def test_rerendering_after_every_editable_field_changed_gives_the_same_document(
    people, clerk_client
):
    invoice = post_e1(people)
    pdf_before = pdf_text(documents.invoice_pdf(invoice))
    html_before = documents.invoice_html(invoice)
    page = reverse("invoicing:invoice_detail", args=[invoice.pk])
    customer_name = invoice.customer.name
    assert customer_name in clerk_client.get(page).content.decode()
    for printed in (customer_name, "Storgatan 1", "Malmö", "SE559988776601", "ESSESESS", "SEB"):
        assert printed in pdf_before, printed
    assert "Innehållet belopp" in pdf_before or "(10 %)" in pdf_before  # the retention line

    edit_everything(invoice)

    again = Invoice.objects.get(pk=invoice.pk)
    pdf_after = pdf_text(documents.invoice_pdf(again))
    assert pdf_after == pdf_before
    assert documents.invoice_html(again) == html_before
    detail = clerk_client.get(page).content.decode()
    assert customer_name in detail
    assert "Renamed" not in detail
    assert "K-NEW" not in detail


def test_a_credit_notes_title_and_corrected_invoice_are_frozen_too(people):
    invoice = post_e1(people)
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason="Wrong customer", rebill=False, actor=people["clerk"]
    )
    note = approve_and_post(proposal, people)
    before = pdf_text(documents.invoice_pdf(note))
    assert "RÄTTELSEFAKTURA" in before and "INV-1 (2026-04-01)" in before
    edit_everything(note)  # the entity moves to Germany: its credit notes would be "Kreditnota"
    after = Invoice.objects.get(pk=note.pk)
    assert documents.document_title(after) == "Corrective invoice"
    assert pdf_text(documents.invoice_pdf(after)) == before


def test_the_snapshot_is_plain_json_taken_at_posting(people):
    invoice = post_e1(people)
    stored = Invoice.objects.get(pk=invoice.pk).snapshot
    assert json.loads(json.dumps(stored)) == stored == invoice.snapshot
    assert stored["seller"]["bankgiro"] == "50501055"  # stored as digits, printed 5050-1055
    assert stored["seller"]["country_name"] == "Sverige"  # in the document's language
    assert stored["buyer"]["vat_number"] == "SE559988776601"
    assert stored["buyer"]["language"] == invoice.language == "sv"
    assert stored["contract"]["retention_percent"] == "10.00"
    assert stored["contract"]["payment_terms"]["net_days"] == 30
    assert stored["progress"] == {
        "contract_value": "100000.00",
        "billed_to_date": "22000.00",
        "retained": "2200.00",
        "prepaid": "0.00",
        "remaining": "78000.00",
    }


def test_the_migrations_backfill_builds_what_posting_builds(people):
    """For invoices posted before 0009 the snapshot is taken from the records as they are then:
    with nothing edited since posting, it is what posting froze, less what version 2 added."""
    invoice = post_e1(people)
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason="Wrong customer", rebill=False, actor=people["clerk"]
    )
    note = approve_and_post(proposal, people)
    for posted in (invoice, note):
        version_1 = backfill.snapshot_of(apps, Invoice.objects.get(pk=posted.pk))
        assert version_1 == version_1_of(posted.snapshot)


def version_1_of(snapshot: dict) -> dict:
    """A version 2 snapshot without the keys version 2 added."""
    added = {
        "seller": snapshots.SELLER_EINVOICE_DETAILS,
        "buyer": ("peppol_scheme", "peppol_identifier", "buyer_reference", "wants_facturx"),
        "contract": ("buyer_reference", "order_reference"),
    }
    # tax_currency came later in version 2 (issue 14, item 3): no backfill writes it.
    older = {
        key: value
        for key, value in snapshot.items()
        if key not in ("payment_reference", "supply_period", "tax_currency")
    }
    older["version"] = 1
    for part, keys in added.items():
        older[part] = {key: value for key, value in snapshot[part].items() if key not in keys}
    return older


def test_a_version_1_snapshot_is_never_rewritten_and_still_renders(people):
    """An invoice posted before version 2 keeps its snapshot as posted; its document renders
    from it, the e-invoice details simply not known."""
    invoice = post_e1(people)
    older = version_1_of(invoice.snapshot)
    with transaction.atomic(), connection.cursor() as cursor:  # as posted before version 2
        if connection.vendor == "postgresql":  # past the guard, which allows no UPDATE
            cursor.execute("SET LOCAL session_replication_role = replica")
        Invoice.objects.filter(pk=invoice.pk).update(snapshot=older)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
    again = Invoice.objects.get(pk=invoice.pk)
    html = documents.invoice_html(again)
    assert again.snapshot == older
    assert older["seller"]["name"] in html and older["buyer"]["name"] in html


@landed_migration_round_trip
@pytest.mark.django_db(transaction=True)
def test_migrating_fills_the_snapshot_of_invoices_posted_before(people):
    invoice = post_e1(people)
    frozen = invoice.snapshot
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("invoicing", "0008_posted_invoices_final_on_insert_and_truncate")])
    MigrationExecutor(connection).migrate(leaves)  # 0009 again: the backfill, version 1
    assert Invoice.objects.get(pk=invoice.pk).snapshot == version_1_of(frozen)
    if connection.vendor == "postgresql":  # the guard is back on
        with pytest.raises(DatabaseError, match="final"), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(snapshot={})


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_snapshot_is_final_once_posted(people):
    invoice = post_e1(people)
    for snapshot in ({}, {**invoice.snapshot, "buyer": {"name": "Renamed AB"}}):
        with pytest.raises(DatabaseError, match="final"), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(snapshot=snapshot)
    assert Invoice.objects.get(pk=invoice.pk).snapshot == invoice.snapshot


@postgres_only
def test_the_posting_writes_the_snapshot_only_once(people):
    """Inside the posting's own transaction the snapshot is written once, while still empty:
    a second write, even in that transaction, is refused."""
    with transaction.atomic():
        invoice = post_e1(people)
        with pytest.raises(DatabaseError, match="final"), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(snapshot={"forged": True})
        with pytest.raises(DatabaseError, match="final"), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(customer_reference="changed")


def test_the_ocr_reference_is_frozen_at_posting_and_printed_instead_of_the_number(people):
    """A Swedish seller paid to a bankgiro: the customer pays with an OCR reference made of the
    invoice's sequence number, its length digit and its Luhn digit; a credit note has none."""
    invoice = post_e1(people)
    assert invoice.sequence_number == 1
    assert invoice.snapshot["payment_reference"] == {"scheme": "ocr", "reference": "133"}
    text = pdf_text(documents.invoice_pdf(invoice))
    assert "OCR-nummer 133" in text  # the customer's language is Swedish
    assert "Bankgiro 5050-1055" in text

    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    note = approve_and_post(
        credits.credit_proposal_create(
            invoice=invoice, amounts=lines, reason="Wrong", rebill=False, actor=people["clerk"]
        ),
        people,
    )
    assert note.snapshot["payment_reference"] is None
    assert "OCR" not in pdf_text(documents.invoice_pdf(note))
