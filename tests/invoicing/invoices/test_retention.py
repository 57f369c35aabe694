"""Retention: what posted invoices withheld is released once on a later draft, through the
service and through the proposal page's button."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.invoices import posting, retention
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import InvoiceProposal, ProposalLineType
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
