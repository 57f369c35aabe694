"""What a billing rule writes on its on-account transaction ("Progress: 12.5 %") is a kind and
parameters (issue 16): the transaction, its proposal line and the invoice read it in their
reader's language, with the number written that language's way."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from contracts.models import ProjectType
from invoicing.invoices import posting
from invoicing.proposals import generation, workflow
from invoicing.transactions import services
from invoicing.transactions.models import ProjectTransaction
from tests.factories import BillingRuleFactory, CustomerFactory
from tests.invoicing.builders import contract_with_customer

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 31)


@pytest.fixture
def progress_billed(people):
    """A Danish customer's 100,000.00 contract at 12.5 % manual progress, billed by a clerk
    who reads English."""
    contract, project, _source = contract_with_customer(
        contract_value=D("100000.00"),
        project_type=ProjectType.FIXED_PRICE,
        customer=CustomerFactory(language="da"),
    )
    BillingRuleFactory(
        contract=contract,
        rule_type="progress_manual",
        name="Progress",
        percent_complete=D("12.5"),
        projects=[project],
    )
    with translation.override("en"):
        [proposal] = generation.proposals_generate(
            contract=contract, up_to_date=DAY, actor=people["clerk"]
        )
    return proposal


def test_the_rules_transaction_reads_in_each_readers_language(progress_billed):
    record = ProjectTransaction.objects.get(billing_rule__isnull=False)
    assert record.description == "Progress: 12.5 %"
    with translation.override("sv"):
        assert record.text == "Progress: 12,5 %"
    with translation.override("da"):
        assert record.text == "Progress: 12,5 %"
    [line] = progress_billed.lines.all()
    with translation.override("sv"):
        assert line.text.endswith(" · Progress: 12,5 %")


def test_the_invoice_prints_it_in_the_customers_language(progress_billed, people):
    proposal = progress_billed
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    with translation.override("en"):
        invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    assert invoice.lines.get(line_type="transaction").description.endswith("Progress: 12,5 %")


def test_the_transaction_list_shows_it_in_the_readers_language(client, people, progress_billed):
    client.force_login(people["clerk"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    page = client.get(reverse("invoicing:transaction_list")).content.decode()
    assert "Progress: 12,5 %" in page
    assert "12.5 %" not in page


def test_a_text_typed_over_the_rules_is_the_clerks(people, progress_billed):
    workflow.proposal_cancel(proposal=progress_billed, actor=people["clerk"])
    record = ProjectTransaction.objects.get(billing_rule__isnull=False)
    record.description = "Progress at the end of March"
    services.transaction_update(record=record, actor=people["clerk"])
    record.refresh_from_db()
    with translation.override("sv"):
        assert (record.text, record.description_kind) == ("Progress at the end of March", "")
