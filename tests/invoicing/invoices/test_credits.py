"""Credit notes: all of an invoice, some lines, part of a line; never more than is open."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from funding.models import FundingLimit
from invoicing.invoices import credits, documents, posting
from invoicing.invoices.models import DocumentType
from invoicing.proposals import generation, workflow
from invoicing.transactions.models import BillingStatus, ProjectTransaction
from tests.factories import FundingLimitFactory
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def invoice(people):
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    entity.invoice_number_prefix = "INV-"
    entity.save()
    return posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 1)
    )


def approve_and_post(proposal, people):
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    return posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 4, 15)
    )


def test_credit_the_whole_invoice(invoice, people):
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason="Wrong customer", rebill=False, actor=people["clerk"]
    )
    note = approve_and_post(proposal, people)
    assert note.document_type == DocumentType.CREDIT_NOTE
    assert (note.net_total, note.vat_total, note.gross_total) == (
        D("-22000.00"),
        D("-5500.00"),
        D("-27500.00"),
    )
    assert (note.credited_invoice, note.credit_reason) == (invoice, "Wrong customer")
    assert note.sequence_number == invoice.sequence_number + 1
    assert note.due_date == note.invoice_date
    assert set(ProjectTransaction.objects.values_list("billing_status", flat=True)) == {
        BillingStatus.CREDITED
    }
    assert documents.document_title(note) == "Corrective invoice"
    assert "Wrong customer" in documents.invoice_html(note)


def test_cannot_credit_more_than_is_open(invoice, people):
    fee_line = invoice.lines.get(line_type="fee")
    credits.credit_proposal_create(
        invoice=invoice,
        amounts={fee_line.pk: D("1500")},
        reason="Fee too high",
        rebill=False,
        actor=people["clerk"],
    )
    with pytest.raises(ValidationError, match="has 500.00 left to credit"):
        credits.credit_proposal_create(
            invoice=invoice,
            amounts={fee_line.pk: D("600")},
            reason="Again",
            rebill=False,
            actor=people["clerk"],
        )
    with pytest.raises(ValidationError, match="must be more than zero"):
        credits.credit_proposal_create(
            invoice=invoice,
            amounts={fee_line.pk: D("0")},
            reason="Zero",
            rebill=False,
            actor=people["clerk"],
        )


def test_credit_note_needs_a_reason(invoice, people):
    with pytest.raises(ValidationError, match="reason"):
        credits.credit_proposal_create(
            invoice=invoice, amounts={}, reason=" ", rebill=False, actor=people["clerk"]
        )


def test_part_of_a_line_keeps_the_work_invoiced(invoice, people):
    hour_line = invoice.lines.filter(line_type="transaction").first()
    proposal = credits.credit_proposal_create(
        invoice=invoice,
        amounts={hour_line.pk: D("2000")},
        reason="Discount agreed",
        rebill=False,
        actor=people["clerk"],
    )
    note = approve_and_post(proposal, people)
    assert note.gross_total == D("-2500.00")
    hour_line.transaction.refresh_from_db()
    assert hour_line.transaction.billing_status == BillingStatus.INVOICED


def test_rebilling_frees_the_credited_work(invoice, people):
    hour_line = invoice.lines.filter(line_type="transaction").first()
    proposal = credits.credit_proposal_create(
        invoice=invoice,
        amounts={hour_line.pk: None},
        reason="Billed to the wrong project",
        rebill=True,
        actor=people["clerk"],
    )
    approve_and_post(proposal, people)
    hour_line.transaction.refresh_from_db()
    assert hour_line.transaction.billing_status == BillingStatus.UNINVOICED
    [again] = generation.proposals_generate(
        contract=invoice.contract, up_to_date=datetime.date(2026, 12, 31), actor=people["clerk"]
    )
    assert again.lines.filter(line_type="transaction").count() == 1


def test_credit_gives_the_funding_headroom_back(people):
    proposal = approved_e1(people)
    source = proposal.funding_source
    limit = FundingLimitFactory(source=source, amount=D("100000"))
    # The limit was added after recording: charge it as the allocations did.
    share = proposal.lines.filter(line_type="transaction").first().allocation
    share.limit_ids = [limit.pk]
    share.save()
    FundingLimit.objects.filter(pk=limit.pk).update(used_amount=share.amount)
    invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    line = invoice.lines.get(transaction=share.transaction)
    credit = credits.credit_proposal_create(
        invoice=invoice,
        amounts={line.pk: None},
        reason="Not delivered",
        rebill=False,
        actor=people["clerk"],
    )
    approve_and_post(credit, people)
    limit.refresh_from_db()
    assert limit.used_amount == D("0")


def test_german_entity_keeps_the_credit_note_title(invoice, people):
    entity = invoice.legal_entity
    entity.country = "DE"
    entity.save()
    proposal = credits.credit_proposal_create(
        invoice=invoice,
        amounts={invoice.lines.get(line_type="fee").pk: None},
        reason="Fee waived",
        rebill=False,
        actor=people["clerk"],
    )
    note = approve_and_post(proposal, people)
    note.refresh_from_db()
    assert documents.document_title(note) == "Credit note"


def test_a_credit_note_cannot_be_credited(invoice, people):
    proposal = credits.credit_proposal_create(
        invoice=invoice,
        amounts={invoice.lines.get(line_type="fee").pk: None},
        reason="Fee waived",
        rebill=False,
        actor=people["clerk"],
    )
    note = approve_and_post(proposal, people)
    with pytest.raises(ValidationError, match="Only an invoice can be credited"):
        credits.credit_proposal_create(
            invoice=note, amounts={}, reason="x", rebill=False, actor=people["clerk"]
        )


def test_credit_from_the_invoice_page(client, invoice, people):
    from django.urls import reverse

    client.force_login(people["clerk"])
    url = reverse("invoicing:invoice_credit", args=[invoice.pk])
    assert "Open to credit" in client.get(url).content.decode()
    fee = invoice.lines.get(line_type="fee")
    response = client.post(url, {f"line-{fee.pk}": "on", f"amount-{fee.pk}": "", "reason": ""})
    assert "Give the reason" in response.content.decode()
    response = client.post(
        url, {f"line-{fee.pk}": "on", f"amount-{fee.pk}": "500", "reason": "Fee reduced"}
    )
    proposal = invoice.credit_proposals.get()
    assert response["Location"] == proposal.get_absolute_url()
    assert proposal.lines.get().amount == D("-500.00")
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert "Credit proposal" in html
    assert "INV-1" in html


def test_the_credit_form_keeps_ticks_and_amounts_after_a_refusal(client, invoice, people):
    """Issue 16: a refused credit form came back empty, so the clerk ticked and typed again."""
    from django.urls import reverse

    client.force_login(people["clerk"])
    url = reverse("invoicing:invoice_credit", args=[invoice.pk])
    fee = invoice.lines.get(line_type="fee")
    entered = {f"line-{fee.pk}": "on", f"amount-{fee.pk}": "1,5", "rebill": "on", "reason": "x"}
    html = client.post(url, entered).content.decode()
    # the amount is named with its line (in the reader's language, not the document's), and
    # refused rather than read as 15
    assert f"{fee.text}: Enter a number, for example 1,234.50." in html
    assert f'name="line-{fee.pk}" id="line-{fee.pk}" checked' in html
    assert f'name="amount-{fee.pk}" value="1,5"' in html
    assert 'id="rebill" checked' in html
    assert not invoice.credit_proposals.exists()


def test_a_prepayment_already_deducted_cannot_be_credited_again(people):
    """Prepayment 5,000.00 invoiced; a later invoice deducts 3,000.00 of it. Crediting the whole
    prepayment would give the customer those 3,000.00 a second time (found by the billing-cycle
    state machine): only the 2,000.00 still unused can be credited."""
    from tests.factories import BillingRuleFactory, WorkerFactory
    from tests.invoicing.builders import DAY, contract_with_customer, hours
    from tests.invoicing.proposals.test_generation import prepayment

    contract, project, _source = contract_with_customer()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    prepayment(project, "5000")
    [prepaid] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    prepayment_invoice = approve_and_post(prepaid, people)
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "30")
    [later] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    assert later.lines.get(line_type="deduction").amount == Decimal("-3000.00")
    approve_and_post(later, people)
    [line] = prepayment_invoice.lines.all()

    with pytest.raises(ValidationError) as refused:
        credits.credit_proposal_create(
            invoice=prepayment_invoice, amounts={line.pk: None}, reason="Wrong amount",
            rebill=False, actor=people["clerk"],
        )  # fmt: skip
    assert "Only 2,000.00 of the prepayment is still unused" in refused.value.messages[0]

    credit = credits.credit_proposal_create(
        invoice=prepayment_invoice, amounts={line.pk: Decimal("2000.00")}, reason="Wrong amount",
        rebill=False, actor=people["clerk"],
    )  # fmt: skip
    assert [credited.amount for credited in credit.lines.all()] == [Decimal("-2000.00")]
