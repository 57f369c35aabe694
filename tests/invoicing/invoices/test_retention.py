"""Retention: what posted invoices withheld is released once on a later draft, through the
service and through the proposal page's button."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from invoicing.invoices import credits, documents, posting, retention
from invoicing.invoices.models import Invoice
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import InvoiceProposal, ProposalLineType
from invoicing.proposals.totals import RetentionLedger
from tests.factories import BillingRuleFactory, UserFactory, WorkerFactory
from tests.invoicing.builders import DAY, contract_with_customer, hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def withheld():
    """E1 posted with 10 % retention (2,200.00 withheld), and a later empty draft."""
    clerk = UserFactory(username="karin", role="finance_clerk")
    contract, project, _source = contract_with_customer(retention_percent=Decimal("10"))
    BillingRuleFactory(
        contract=contract, rule_type="time_material", projects=[project], applies_retention=True
    )
    BillingRuleFactory(
        contract=contract, rule_type="fee", fee_percent=Decimal("10"), projects=[project]
    )
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "200")
    [proposal] = generation.proposals_generate(contract=contract, up_to_date=DAY, actor=clerk)
    workflow.proposal_submit(proposal=proposal, actor=clerk)
    workflow.proposal_approve(proposal=proposal, actor=UserFactory(role="approver"))
    invoice = posting.invoice_post(proposal=proposal, actor=clerk)
    later = InvoiceProposal.objects.create(
        contract=contract, funding_source=proposal.funding_source, up_to_date=DAY, created_by=clerk
    )
    return invoice, later, clerk


def test_retention_release_releases_what_posted_invoices_withheld(withheld):
    invoice, later, clerk = withheld
    assert invoice.retention_total == Decimal("-2200.00")  # 10 % of 22,000.00 withheld
    line = retention.proposal_retention_release_add(proposal=later, actor=clerk)
    assert line.amount == Decimal("2200.00")
    with pytest.raises(Exception, match="Nothing is retained"):
        retention.proposal_retention_release_add(proposal=later, actor=clerk)


def test_the_release_button_adds_the_line_once(client, withheld):
    # Given a clerk on the later draft's page, which offers the release
    _invoice, later, clerk = withheld
    client.force_login(clerk)
    page = client.get(reverse("invoicing:proposal_detail", args=[later.pk]))
    assert "Release retained amounts" in page.content.decode()
    url = reverse("invoicing:proposal_retention_release", args=[later.pk])

    # When she releases twice
    first = client.post(url, follow=True)
    second = client.post(url, follow=True)

    # Then one release line of 2,200.00 was added, and the second click was explained
    assert "The retained amount was added for release." in first.content.decode()
    assert "Nothing is retained for this funder" in second.content.decode()
    [line] = later.lines.filter(line_type=ProposalLineType.RETENTION_RELEASE)
    assert line.amount == Decimal("2200.00")


def test_read_only_users_cannot_release(client, user_with_role, withheld):
    _invoice, later, _clerk = withheld
    client.force_login(user_with_role("read_only"))
    response = client.post(reverse("invoicing:proposal_retention_release", args=[later.pk]))
    assert response.status_code == 403
    assert not later.lines.exists()


# --------------------------------------------------------------------------------------------
# Issue 12, item 4: the ledger across credit notes; a release is never itself retained
# --------------------------------------------------------------------------------------------


def posted(proposal, clerk):
    workflow.proposal_submit(proposal=proposal, actor=clerk)
    workflow.proposal_approve(proposal=proposal, actor=UserFactory(role="approver"))
    return posting.invoice_post(proposal=proposal, actor=clerk)


def credit_the_fee(invoice, clerk):
    """A credit proposal for all of E1's fee line (2,000.00 of the 22,000.00 retained on)."""
    fee = invoice.lines.get(line_type="fee")
    return credits.credit_proposal_create(
        invoice=invoice, amounts={fee.pk: None}, reason="Fee waived", rebill=False, actor=clerk
    )


def given_back_lines(proposal):
    return proposal.lines.filter(credited_line__line_type="retention")


def test_a_release_on_an_invoice_with_work_is_not_retained_again(withheld):
    # Given E1 posted (2,200.00 withheld) and 50 more hours: 5,000.00 + 500.00 fee
    invoice, _later, clerk = withheld
    hours(invoice.contract.projects.get(), WorkerFactory(sales_rate=Decimal("100")), "50")
    [proposal] = generation.proposals_generate(
        contract=invoice.contract, up_to_date=DAY, actor=clerk
    )

    # When the 2,200.00 withheld is released on it and it is posted
    retention.proposal_retention_release_add(proposal=proposal, actor=clerk)
    second = posted(proposal, clerk)

    # Then 10 % is withheld on the 5,500.00 of work only, not on the release (770.00 before)
    assert second.net_total == Decimal("7700.00")
    assert second.retention_total == Decimal("-550.00")
    ledger = retention.retention_ledger(
        contract=invoice.contract, funding_source_id=invoice.funding_source_id
    )
    assert (ledger.withheld, ledger.released, ledger.outstanding) == (
        Decimal("2750.00"),
        Decimal("2200.00"),
        Decimal("550.00"),
    )


def test_retention_given_back_by_a_credit_note_is_not_released_again(withheld):
    # Given E1 (2,200.00 withheld) and a credit proposal for its 2,000.00 fee, not yet posted
    invoice, later, clerk = withheld
    credit = credit_the_fee(invoice, clerk)
    [given_back] = given_back_lines(credit)
    assert given_back.amount == Decimal("200.00")  # 10 % of the credited 2,000.00

    # When the retention is released on a later draft
    line = retention.proposal_retention_release_add(proposal=later, actor=clerk)

    # Then only what is outstanding is released: 2,200.00 - 200.00 given back (2,200.00 before)
    assert line.amount == Decimal("2000.00")
    note = posted(credit, clerk)
    assert note.net_total == Decimal("-1800.00")
    ledger = retention.retention_ledger(
        contract=invoice.contract, funding_source_id=invoice.funding_source_id
    )
    assert ledger == RetentionLedger(
        withheld=Decimal("2200.00"), released=Decimal("2000.00"), given_back=Decimal("200.00")
    )
    assert ledger.outstanding == 0
    with pytest.raises(ValidationError, match="Nothing is retained"):
        retention.proposal_retention_release_add(proposal=later, actor=clerk)


def test_a_credit_note_after_the_release_gives_no_retention_back(withheld):
    # Given E1's 2,200.00 withheld and then released on a posted invoice
    invoice, later, clerk = withheld
    retention.proposal_retention_release_add(proposal=later, actor=clerk)
    release = posted(later, clerk)
    assert release.retention_total == 0  # nothing withheld on a release alone (-220.00 before)

    # When the whole of E1 is credited
    lines = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    credit = credits.credit_proposal_create(
        invoice=invoice, amounts=lines, reason="Wrong customer", rebill=False, actor=clerk
    )

    # Then no retention is given back: the customer has had it already (2,200.00 before)
    assert not given_back_lines(credit).exists()
    note = posted(credit, clerk)
    assert note.gross_total == Decimal("-27500.00")
    ledger = retention.retention_ledger(
        contract=invoice.contract, funding_source_id=invoice.funding_source_id
    )
    assert (ledger.given_back, ledger.outstanding) == (Decimal("0"), Decimal("0"))


def test_releasing_on_a_second_draft_is_refused_while_the_first_holds_the_release(withheld):
    invoice, later, clerk = withheld
    retention.proposal_retention_release_add(proposal=later, actor=clerk)
    other = InvoiceProposal.objects.create(
        contract=invoice.contract,
        funding_source=invoice.funding_source,
        up_to_date=DAY,
        created_by=clerk,
    )
    with pytest.raises(ValidationError, match="Nothing is retained"):
        retention.proposal_retention_release_add(proposal=other, actor=clerk)


def test_a_credited_release_is_outstanding_again(withheld):
    # Given E1's 2,200.00 released on a posted invoice
    invoice, later, clerk = withheld
    retention.proposal_retention_release_add(proposal=later, actor=clerk)
    release = posted(later, clerk)

    # When the release is credited (the stage was not reached after all)
    [(release_line, _left)] = credits.open_to_credit(release)
    credit = credits.credit_proposal_create(
        invoice=release,
        amounts={release_line.pk: None},
        reason="Released too early",
        rebill=False,
        actor=clerk,
    )
    assert not given_back_lines(credit).exists()
    posted(credit, clerk)

    # Then the 2,200.00 is held again and can be released later
    ledger = retention.retention_ledger(
        contract=invoice.contract, funding_source_id=invoice.funding_source_id
    )
    assert (ledger.released, ledger.outstanding) == (Decimal("0"), Decimal("2200.00"))


def test_a_credit_notes_progress_statement_counts_billing_not_the_retention_given_back(
    withheld,
):
    # Given E1 (22,000.00 billed, 2,200.00 withheld) and its 2,000.00 fee credited
    invoice, _later, clerk = withheld
    note = posted(credit_the_fee(invoice, clerk), clerk)

    # When the credit note's progress statement is printed
    progress = documents.progress_statement(note)

    # Then billing is 22,000.00 - 2,000.00 (20,200.00 before: the 200.00 given back counted as
    # billing) and 2,200.00 - 200.00 is still retained (2,200.00 before)
    assert progress.billed_to_date == Decimal("20000.00")
    assert progress.retained == Decimal("2000.00")
    assert progress.remaining == invoice.contract.contract_value - Decimal("20000.00")
    assert documents.progress_statement(invoice).billed_to_date == Decimal("22000.00")


def test_a_release_invoices_progress_statement_does_not_count_the_release_as_billing(withheld):
    invoice, later, clerk = withheld
    retention.proposal_retention_release_add(proposal=later, actor=clerk)
    release = posted(later, clerk)
    progress = documents.progress_statement(release)
    assert progress.billed_to_date == Decimal("22000.00")  # 24,200.00 before
    assert progress.retained == Decimal("0")  # 2,420.00 before: withheld, never released


def test_release_and_credit_lock_the_funder_before_reading_the_ledger(withheld, monkeypatch):
    # Given E1 posted and a later draft, with the lock and the ledger read watched
    invoice, later, clerk = withheld
    calls = []
    lock, ledger = retention.retention_funder_lock, retention.retention_ledger
    monkeypatch.setattr(
        retention, "retention_funder_lock", lambda **kw: calls.append(("lock", kw)) or lock(**kw)
    )
    monkeypatch.setattr(
        retention, "retention_ledger", lambda **kw: calls.append(("ledger", {})) or ledger(**kw)
    )
    monkeypatch.setattr(credits, "retention_funder_lock", retention.retention_funder_lock)
    monkeypatch.setattr(credits, "retention_ledger", retention.retention_ledger)
    funder = {"funding_source_id": invoice.funding_source_id}

    # When the retention is released and the fee credited
    retention.proposal_retention_release_add(proposal=later, actor=clerk)
    credit_the_fee(invoice, clerk)

    # Then each locked the funder's row before it read the ledger
    assert calls == [("lock", funder), ("ledger", {}), ("lock", funder), ("ledger", {})]


def frozen_and_recomputed(document):
    """The progress statement posting froze (counting the document's lines in memory, before
    they were written) and the one computed now from the posted records."""
    from invoicing.invoices import snapshots

    recomputed = snapshots.progress_statement(Invoice.objects.get(pk=document.pk))
    as_frozen = {name: str(Decimal(value).quantize(Decimal("0.01"))) for name, value in
                 vars(recomputed).items()}  # fmt: skip
    return document.snapshot["progress"], as_frozen


def test_posting_freezes_the_progress_statement_the_posted_records_give(withheld):
    # Given E1 posted (retention withheld), a credit note giving retention back, a release,
    # a credit of the release, and a prepayment on account with its deduction
    from tests.invoicing.proposals.test_generation import prepayment

    invoice, later, clerk = withheld
    note = posted(credit_the_fee(invoice, clerk), clerk)
    retention.proposal_retention_release_add(proposal=later, actor=clerk)
    release = posted(later, clerk)
    [(release_line, _left)] = credits.open_to_credit(release)
    release_credit = posted(
        credits.credit_proposal_create(
            invoice=release, amounts={release_line.pk: None}, reason="Too early", rebill=False,
            actor=clerk,
        ),
        clerk,
    )  # fmt: skip
    project = invoice.contract.projects.get()
    prepayment(project, "5000")
    [on_account] = generation.proposals_generate(
        contract=invoice.contract, up_to_date=DAY, actor=clerk
    )
    prepaid = posted(on_account, clerk)
    hours(project, WorkerFactory(sales_rate=Decimal("100")), "30")
    [work] = generation.proposals_generate(contract=invoice.contract, up_to_date=DAY, actor=clerk)
    deducted = posted(work, clerk)

    # Then every document's frozen progress statement is the one its posted records give
    for document in (invoice, note, release, release_credit, prepaid, deducted):
        frozen, recomputed = frozen_and_recomputed(document)
        assert frozen == recomputed, document.number
    assert Decimal(prepaid.snapshot["progress"]["prepaid"]) == Decimal("5000.00")
    assert Decimal(release_credit.snapshot["progress"]["retained"]) == Decimal("2000.00")


def test_the_pdfs_retention_and_release_rows_are_frozen_at_posting(withheld, monkeypatch):
    """The retention withheld and the release are printed as posting wrote them in the
    invoice's language (issue 16): a catalogue changed since, or another active language, does
    not change a posted document (DESIGN.md, documents are frozen)."""
    # Given an invoice that withheld retention and a later one that released it
    invoice, later, clerk = withheld
    retention.proposal_retention_release_add(proposal=later, actor=clerk)
    release = posted(later, clerk)
    withheld_row = invoice.lines.get(line_type="retention").description
    released_row = release.lines.get(line_type="retention_release").description
    assert withheld_row.startswith("Innehållet belopp 10 % av 22") and released_row

    # When the catalogue says something else than it said at posting
    from django.utils.translation import trans_real

    monkeypatch.setattr(trans_real.DjangoTranslation, "gettext", lambda self, message: "CHANGED")

    # Then the documents print the rows as they were posted
    assert withheld_row in documents.invoice_html(invoice)
    assert released_row in documents.invoice_html(release)
    with translation.override("da"):
        assert withheld_row in documents.invoice_html(invoice)
