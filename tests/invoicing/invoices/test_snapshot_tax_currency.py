"""VAT in the legal entity's currency (issue 14, item 3): an invoice in another currency than
its legal entity's freezes the exchange rate used at posting and its VAT in the entity's
currency (EN 16931 BT-6, BT-111); without a rate the posting is refused and takes no number."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contracts.models import ExchangeRate
from invoicing.invoices import credits, posting
from invoicing.invoices.documents import invoice_html
from invoicing.invoices.models import Invoice
from invoicing.proposals import workflow
from invoicing.proposals.models import ProposalStatus
from tests.factories import ExchangeRateFactory, LegalEntityFactory
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
DECEMBER_3 = datetime.date(2026, 12, 3)


def eur_proposal(people, entity=None):
    """E1 (22,000.00 net, 5,500.00 VAT at 25 %) billed in EUR by a Swedish entity."""
    return approved_e1(people, currency="EUR", legal_entity=entity or LegalEntityFactory())


def test_a_eur_invoice_of_a_swedish_entity_freezes_its_vat_in_sek(people):
    # Given the Riksbank's EUR rate of the day before, and an older one
    ExchangeRateFactory(currency="EUR", rate_date=datetime.date(2026, 11, 30), rate=D("11.10"))
    ExchangeRateFactory(
        currency="EUR", rate_date=datetime.date(2026, 12, 2), rate=D("11.2345"), source="Riksbanken"
    )
    # When a EUR invoice is posted on 3 December
    invoice = posting.invoice_post(
        proposal=eur_proposal(people), actor=people["clerk"], invoice_date=DECEMBER_3
    )
    # Then the newest rate is frozen with the VAT in SEK, per row and in total
    assert invoice.currency == "EUR"
    assert invoice.vat_total == D("5500.00")
    assert Invoice.objects.get(pk=invoice.pk).snapshot["tax_currency"] == {
        "currency": "SEK",
        "rate": "11.234500",
        "rate_date": "2026-12-02",
        "source": "Riksbanken",
        "vat_total": "61789.75",  # 5,500.00 x 11.2345
        "taxes": [{"category": "S", "rate": "25.00", "amount": "61789.75"}],
    }


def test_changing_or_deleting_the_rate_afterwards_changes_nothing_printed(people):
    rate = ExchangeRateFactory(currency="EUR", rate_date=DECEMBER_3, rate=D("11.2345"))
    invoice = posting.invoice_post(
        proposal=eur_proposal(people), actor=people["clerk"], invoice_date=DECEMBER_3
    )
    html = invoice_html(invoice)
    snapshot = Invoice.objects.get(pk=invoice.pk).snapshot

    ExchangeRate.objects.filter(pk=rate.pk).update(rate=D("12.00"))
    assert invoice_html(Invoice.objects.get(pk=invoice.pk)) == html
    ExchangeRate.objects.all().delete()
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.snapshot == snapshot
    assert invoice_html(stored) == html


def test_the_pdf_prints_the_vat_in_sek_with_the_rate_and_its_date(people):
    ExchangeRateFactory(
        currency="EUR", rate_date=DECEMBER_3, rate=D("11.2345"), source="Riksbanken"
    )
    invoice = posting.invoice_post(
        proposal=eur_proposal(people), actor=people["clerk"], invoice_date=DECEMBER_3
    )
    invoice.language = "en"
    html = invoice_html(invoice)
    assert "VAT in SEK" in html
    assert "61,789.75" in html
    assert "1 EUR = 11.2345 SEK, Riksbanken 2026-12-03" in html
    invoice.language = "sv"
    html = invoice_html(invoice)
    assert "Moms i SEK" in html
    assert "61\xa0789,75" in html or "61 789,75" in html
    assert "1 EUR = 11,2345 SEK, Riksbanken 2026-12-03" in html


def test_an_invoice_in_the_entitys_own_currency_has_no_tax_currency(people):
    invoice = posting.invoice_post(
        proposal=approved_e1(people), actor=people["clerk"], invoice_date=DECEMBER_3
    )
    assert invoice.snapshot["tax_currency"] is None
    assert "VAT in" not in invoice_html(invoice)


def test_without_a_rate_the_posting_is_refused_and_the_numbers_stay_gapless(people):
    # Given an entity whose first invoice is number 1, and a EUR rate too old to use
    entity = LegalEntityFactory()
    first = posting.invoice_post(
        proposal=approved_e1(people, legal_entity=entity),
        actor=people["clerk"],
        invoice_date=DECEMBER_3,
    )
    ExchangeRateFactory(currency="EUR", rate_date=datetime.date(2026, 11, 25), rate=D("11"))
    proposal = eur_proposal(people, entity)
    # When the EUR invoice is posted
    with pytest.raises(ValidationError) as refusal:
        posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=DECEMBER_3)
    # Then the clerk is told which rate to enter, and nothing was written
    assert refusal.value.messages == [
        "There is no exchange rate from EUR to SEK on or before 2026-12-03 (nor in the 7 days "
        "before): enter one under Exchange rates."
    ]
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert list(Invoice.objects.values_list("number", flat=True)) == [first.number]
    # And once the rate is entered, the invoice takes the next number: no gap
    ExchangeRateFactory(currency="EUR", rate_date=datetime.date(2026, 11, 26), rate=D("11.3"))
    second = posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=DECEMBER_3)
    assert (first.sequence_number, second.sequence_number) == (1, 2)
    assert second.snapshot["tax_currency"]["rate_date"] == "2026-11-26"


def test_a_rate_into_another_currency_is_not_used(people):
    ExchangeRateFactory(currency="EUR", quote_currency="DKK", rate_date=DECEMBER_3, rate=D("7.46"))
    with pytest.raises(ValidationError, match="from EUR to SEK"):
        posting.invoice_post(
            proposal=eur_proposal(people), actor=people["clerk"], invoice_date=DECEMBER_3
        )


def test_a_credit_note_uses_the_rate_of_its_own_date(people):
    ExchangeRateFactory(currency="EUR", rate_date=datetime.date(2026, 11, 2), rate=D("11.00"))
    ExchangeRateFactory(currency="EUR", rate_date=DECEMBER_3, rate=D("11.50"))
    invoice = posting.invoice_post(
        proposal=eur_proposal(people),
        actor=people["clerk"],
        invoice_date=datetime.date(2026, 11, 2),
    )
    assert invoice.snapshot["tax_currency"]["vat_total"] == "60500.00"
    line = invoice.lines.order_by("pk").first()
    credit = credits.credit_proposal_create(
        invoice=invoice,
        amounts={line.pk: None},
        reason="Billed twice",
        rebill=False,
        actor=people["clerk"],
    )
    workflow.proposal_submit(proposal=credit, actor=people["clerk"])
    workflow.proposal_approve(proposal=credit, actor=people["approver"])
    note = posting.invoice_post(proposal=credit, actor=people["clerk"], invoice_date=DECEMBER_3)
    frozen = note.snapshot["tax_currency"]
    assert (frozen["rate"], frozen["rate_date"]) == ("11.500000", "2026-12-03")
    assert D(frozen["vat_total"]) == (note.vat_total * D("11.50")).quantize(D("0.01"))
    assert D(frozen["vat_total"]) < 0
