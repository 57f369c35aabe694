"""'Invoice' and 'Credit' are nouns on a document and its pages, verbs on buttons (issue 16).

Danish translates the verbs "Invoice" and "Credit" as "Fakturér" and "Kreditér". Where the
word names a thing (the invoice a payment or a dispatch belongs to, the contract's invoicing
label, the admin's model names, the heading of a credit note's credit lines) it carries a
context and reads "faktura" and "Kredit"."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from invoicing.invoices import credits, documents, posting
from invoicing.invoices.models import Invoice, InvoiceLine
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import ProposalLineType
from tests.factories import BillingRuleFactory, CustomerFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.test_language_leaks import html_text, pdf_text

pytestmark = pytest.mark.django_db

#: The Danish verbs, as words of their own.
VERBS = re.compile(r"(?i)(?<!\w)(fakturér|kreditér)(?!\w)")


@pytest.fixture
def danish_credit_note(media_root):
    """A Danish customer's invoice with 5 % retention, and its credit note for one line, which
    gives back the retention withheld on it (a credit line of no transaction kind)."""
    clerk = UserFactory(role="finance_clerk")
    approver = UserFactory(role="approver")
    contract, project, _source = contract_with_customer(
        customer=CustomerFactory(language="da"), retention_percent=Decimal("5")
    )
    BillingRuleFactory(
        contract=contract, rule_type="time_material", projects=[project], applies_retention=True
    )
    hours(project, WorkerFactory(sales_rate=Decimal("1000")), "10")

    def posted(proposal, day):
        workflow.proposal_submit(proposal=proposal, actor=clerk)
        workflow.proposal_approve(proposal=proposal, actor=approver)
        return posting.invoice_post(proposal=proposal, actor=clerk, invoice_date=day)

    [proposal] = generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
    invoice = posted(proposal, datetime.date(2026, 4, 1))
    line = invoice.lines.get(line_type="transaction")
    credit = credits.credit_proposal_create(
        invoice=invoice, amounts={line.pk: None}, reason="Wrong hours", rebill=False, actor=clerk
    )
    note = posted(credit, datetime.date(2026, 4, 2))
    return {"clerk": clerk, "invoice": invoice, "note": note, "credit": credit}


def test_the_line_type_and_the_model_are_nouns_in_danish():
    with translation.override("da"):
        assert str(ProposalLineType.CREDIT.label) == "Kredit"
        assert str(Invoice._meta.verbose_name) == "faktura"
        assert str(InvoiceLine._meta.get_field("invoice").verbose_name) == "faktura"
    with translation.override("sv"):
        assert str(ProposalLineType.CREDIT.label) == "Kredit"
        assert str(Invoice._meta.verbose_name) == "faktura"


def test_danish_pages_of_an_invoice_and_its_credit_note_never_say_fakturer_for_invoice(
    client, danish_credit_note
):
    # Given a Danish reader
    data = danish_credit_note
    client.force_login(data["clerk"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    invoice, note = data["invoice"], data["note"]

    # When she opens the invoice, the credit note, the credit proposal (with the link to the
    # posted credit note) and the contract
    urls = [
        reverse("invoicing:invoice_detail", args=[invoice.pk]),
        reverse("invoicing:invoice_detail", args=[note.pk]),
        reverse("invoicing:proposal_detail", args=[data["credit"].pk]),
        reverse("contracts:contract_detail", args=[invoice.contract_id]),
    ]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = html_text(response.content)

    # Then the credit lines' heading is the noun, and 'Fakturér' names nothing
    note_page = pages[urls[1]]
    assert re.search(r"(?<!\w)Kredit(?!\w)", note_page)
    for url, text in pages.items():
        found = [
            match.group(0)
            for match in VERBS.finditer(text)
            # The one verb a page may show: the button that credits an invoice.
            if not (match.group(0) == "Kreditér" and url == urls[0])
        ]
        assert not found, f"{url}: {found}"
    assert "Kreditnota " + note.number in pages[urls[2]]


def test_the_danish_credit_note_pdf_heads_its_credit_lines_with_the_noun(danish_credit_note):
    text = pdf_text(documents.invoice_pdf(danish_credit_note["note"]))
    assert "Kredit" in text
    assert not VERBS.search(text), VERBS.findall(text)


def test_the_danish_admin_names_invoices_as_documents(client, user_with_role, danish_credit_note):
    client.force_login(user_with_role("admin", is_staff=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    response = client.get("/admin/invoicing/invoice/")
    assert response.status_code == 200
    text = html_text(response.content)
    assert "faktura" in text.lower()
    assert not VERBS.search(text), VERBS.findall(text)
