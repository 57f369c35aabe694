"""Invoice control and the retention ledger."""

import datetime
import re
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.urls import reverse

from invoicing import control
from invoicing.invoices import credits, posting, retention
from invoicing.proposals import generation, workflow
from invoicing.proposals.totals import RetentionLedger
from tests.factories import BudgetFactory, CategoryFactory, WorkerFactory
from tests.invoicing.builders import DAY, hours
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal


def test_invoice_control_by_kind_and_category_with_links(client, people):
    proposal = approved_e1(people, retention_percent=D("10"))
    invoice = posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 1, 10)
    )
    contract = proposal.contract
    project = contract.projects.get()
    category = invoice.lines.exclude(transaction=None).first().transaction.category
    BudgetFactory(project=project, category=category, revenue_amount=D("50000"))
    hours(
        project,
        invoice.lines.exclude(transaction=None).first().transaction.worker,
        "5",
        category=category,
    )
    with patch("invoicing.control.timezone.localdate", return_value=datetime.date(2026, 3, 1)):
        summary = control.invoice_control(contract=contract)
    row = next(r for r in summary.rows if r.category_id == category.pk)
    assert (row.budget, row.invoiced, row.uninvoiced, row.in_proposal) == (
        D("50000.00"),
        D("20000.00"),
        D("500.00"),
        D("0"),
    )
    assert summary.retained == D("2200.00")
    [entry] = summary.ledger
    assert entry["outstanding"] == D("2200.00")
    # Withheld on 2026-01-10, looked at on 2026-03-01: 50 days old.
    assert entry["by_age"] == [
        ("0–30", D("0")),
        ("31–90", D("2200.00")),
        ("91–180", D("0")),
        ("> 180", D("0")),
    ]

    client.force_login(people["clerk"])
    html = client.get(reverse("invoicing:invoice_control", args=[contract.pk])).content.decode()
    assert "20,000.00" in html and "2,200.00" in html
    assert f"category={category.pk}&billing_status=invoiced" in html
    filtered = client.get(
        reverse("invoicing:transaction_list"),
        {"contract": contract.pk, "category": category.pk, "billing_status": "invoiced"},
    )
    assert len(filtered.context["page"].object_list) == 1


@pytest.mark.parametrize(
    ("days_old", "bucket"),
    [
        (0, "0–30"),
        (30, "0–30"),
        (31, "31–90"),
        (90, "31–90"),
        (91, "91–180"),
        (180, "91–180"),
        (181, "> 180"),
        (400, "> 180"),
    ],
)
def test_retention_lands_in_the_bucket_of_its_invoices_age(people, days_old, bucket):
    invoice_date = datetime.date(2026, 1, 10)
    proposal = approved_e1(people, retention_percent=D("10"))
    posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=invoice_date)
    [entry] = control.retention_ledger_by_age(
        contract=proposal.contract, today=invoice_date + datetime.timedelta(days=days_old)
    )
    expected = {"0–30": D("0"), "31–90": D("0"), "91–180": D("0"), "> 180": D("0")}
    expected[bucket] = D("2200.00")
    assert entry["by_age"] == list(expected.items())


def test_each_invoices_retention_stays_in_its_own_bucket_and_the_page_shows_them(client, people):
    # Given 2,200.00 withheld on 2026-01-10 and 550.00 withheld on 2026-05-20
    proposal = approved_e1(people, retention_percent=D("10"))
    posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 1, 10)
    )
    contract = proposal.contract
    hours(contract.projects.get(), WorkerFactory(sales_rate=D("100")), "50")
    [later] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=later, actor=people["clerk"])
    workflow.proposal_approve(proposal=later, actor=people["approver"])
    posting.invoice_post(
        proposal=later, actor=people["clerk"], invoice_date=datetime.date(2026, 5, 20)
    )

    # When looked at on 2026-07-01 (172 and 42 days later)
    with patch("invoicing.control.timezone.localdate", return_value=datetime.date(2026, 7, 1)):
        [entry] = control.retention_ledger_by_age(contract=contract)
        client.force_login(people["clerk"])
        response = client.get(reverse("invoicing:invoice_control", args=[contract.pk]))

    # Then each amount is in the bucket of its own invoice's age
    assert entry["by_age"] == [
        ("0–30", D("0")),
        ("31–90", D("550.00")),
        ("91–180", D("2200.00")),
        ("> 180", D("0")),
    ]
    assert response.status_code == 200
    html = response.content.decode()
    retention = html[html.index('id="retention"') :]
    cells = re.findall(r'<td class="amount[^"]*">([^<]*)</td>', retention)
    # withheld, released, credited, outstanding, then 0–30, 31–90, 91–180, > 180 days
    assert cells == [
        "2,750.00",
        "0.00",
        "0.00",
        "2,750.00",
        "0.00",
        "550.00",
        "2,200.00",
        "0.00",
    ]


def test_retention_given_back_by_a_credit_note_is_no_longer_outstanding(client, people):
    # Given E1 posted on 2026-01-10 with 2,200.00 withheld, and its 2,000.00 fee credited
    proposal = approved_e1(people, retention_percent=D("10"))
    invoice = posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 1, 10)
    )
    fee = invoice.lines.get(line_type="fee")
    credit = credits.credit_proposal_create(
        invoice=invoice,
        amounts={fee.pk: None},
        reason="Fee waived",
        rebill=False,
        actor=people["clerk"],
    )
    workflow.proposal_submit(proposal=credit, actor=people["clerk"])
    workflow.proposal_approve(proposal=credit, actor=people["approver"])
    posting.invoice_post(
        proposal=credit, actor=people["clerk"], invoice_date=datetime.date(2026, 2, 1)
    )
    contract = proposal.contract

    # When the ledger is looked at on 2026-03-01
    with patch("invoicing.control.timezone.localdate", return_value=datetime.date(2026, 3, 1)):
        [entry] = control.retention_ledger_by_age(contract=contract)
        summary = control.invoice_control(contract=contract)
        client.force_login(people["clerk"])
        html = client.get(reverse("invoicing:invoice_control", args=[contract.pk])).content

    # Then the 200.00 given back is not outstanding (2,200.00 before), in total and by age,
    # and the figures are those of the ledger the release uses
    assert (entry["withheld"], entry["released"], entry["given_back"], entry["outstanding"]) == (
        D("2200.00"),
        D("0"),
        D("200.00"),
        D("2000.00"),
    )
    assert entry["by_age"] == [
        ("0–30", D("0")),
        ("31–90", D("2000.00")),
        ("91–180", D("0")),
        ("> 180", D("0")),
    ]
    assert summary.ledger == [entry]
    assert retention.retention_ledger(
        contract=contract, funding_source_id=invoice.funding_source_id
    ) == RetentionLedger(withheld=D("2200.00"), given_back=D("200.00"))
    page = html.decode()
    cells = re.findall(
        r'<td class="amount[^"]*">([^<]*)</td>', page[page.index('id="retention"') :]
    )
    assert cells == ["2,200.00", "0.00", "200.00", "2,000.00", "0.00", "2,000.00", "0.00", "0.00"]


def test_control_page_for_one_project_and_read_only(client, user_with_role, people):
    proposal = approved_e1(people)
    contract = proposal.contract
    client.force_login(user_with_role("read_only"))
    project = contract.projects.get()
    response = client.get(
        reverse("invoicing:invoice_control", args=[contract.pk]), {"project": project.pk}
    )
    assert response.status_code == 200
    assert response.context["project"] == project


def test_control_page_runs_a_bounded_number_of_queries(
    client, people, django_assert_max_num_queries
):
    proposal = approved_e1(people)
    posting.invoice_post(proposal=proposal, actor=people["clerk"])
    client.force_login(people["clerk"])
    url = reverse("invoicing:invoice_control", args=[proposal.contract_id])
    with django_assert_max_num_queries(25) as few:
        response = client.get(url)
    assert response.status_code == 200
    assert "20,000.00" in response.content.decode()  # E1's hours, invoiced
    project = proposal.contract.projects.get()
    for code, name in (("A", "Welding"), ("B", "Painting"), ("C", "Scaffolding")):
        hours(
            project,
            WorkerFactory(sales_rate=D("300")),
            "1",
            category=CategoryFactory(code=code, name=name, kind="hour"),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    rows = {row.category: row.uninvoiced for row in response.context["control"].rows}
    assert (rows["Welding"], rows["Painting"], rows["Scaffolding"]) == (D("300.00"),) * 3
    html = response.content.decode()
    assert "Welding" in html and "Painting" in html and "Scaffolding" in html
    assert "900.00" in html  # uninvoiced in total


def test_invoice_control_counts_every_line_and_reconciles_with_the_invoices(client, people):
    """Issue 12, item 5: fee lines (and retention) were left out of the invoiced figure."""
    proposal = approved_e1(people, retention_percent=D("10"))
    invoice = posting.invoice_post(
        proposal=proposal, actor=people["clerk"], invoice_date=datetime.date(2026, 1, 10)
    )
    summary = control.invoice_control(contract=proposal.contract)
    per_invoices = invoice.net_total + invoice.retention_total  # 22,000.00 - 2,200.00
    assert summary.totals.invoiced == per_invoices == D("19800.00")
    by_kind = {row.kind: row.invoiced for row in summary.rows}
    assert (by_kind["hour"], by_kind["fee"], by_kind["retention"]) == (
        D("20000.00"),
        D("2000.00"),
        D("-2200.00"),
    )
    assert summary.per_invoices == summary.per_lines == D("19800.00")
    client.force_login(people["clerk"])
    html = client.get(
        reverse("invoicing:invoice_control", args=[proposal.contract.pk])
    ).content.decode()
    assert "Invoiced per invoices" in html and "19,800.00" in html


def test_invoice_control_counts_the_fee_lines_of_open_proposals(people):
    proposal = approved_e1(people)  # 20,000.00 of hours and a 2,000.00 fee, not posted yet
    summary = control.invoice_control(contract=proposal.contract)
    by_kind = {row.kind: row.in_proposal for row in summary.rows}
    assert (by_kind["hour"], by_kind["fee"]) == (D("20000.00"), D("2000.00"))
    assert summary.totals.in_proposal == D("22000.00")
