"""Invoice control and the retention ledger."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing import control, posting
from tests.factories import BudgetFactory, CategoryFactory
from tests.invoicing.test_posting import approved_e1
from tests.invoicing.test_proposals import hours

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
    assert dict(entry["by_age"])["> 180"] + dict(entry["by_age"])["91–180"] + dict(entry["by_age"])[
        "31–90"
    ] + dict(entry["by_age"])["0–30"] == D("2200.00")

    client.force_login(people["clerk"])
    html = client.get(reverse("invoicing:invoice_control", args=[contract.pk])).content.decode()
    assert "20,000.00" in html and "2,200.00" in html
    assert f"category={category.pk}&billing_status=invoiced" in html
    filtered = client.get(
        reverse("invoicing:transaction_list"),
        {"contract": contract.pk, "category": category.pk, "billing_status": "invoiced"},
    )
    assert filtered.context["page"].paginator.count == 1


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
        client.get(url)
    project = proposal.contract.projects.get()
    for code in ("A", "B", "C"):
        hours(
            project,
            None or __import__("tests.factories", fromlist=["WorkerFactory"]).WorkerFactory(),
            "1",
            category=CategoryFactory(code=code, kind="hour"),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
