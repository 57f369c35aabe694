"""Milestones: the planned -> completed -> invoiced lifecycle, acceptance, schedules, timeline."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from contracts import services
from contracts.models import BillingPlanTemplate, Milestone, MilestoneStatus
from contracts.money import split_by_percents
from contracts.roles import ROLE_GROUP_NAMES
from tests.factories import BillingRuleFactory, MilestoneFactory, ProjectContractFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_example_m1_schedule_and_completing_the_first_milestone(user_with_role):
    contract = ProjectContractFactory(contract_value=D("50000.00"))
    first, *_rest = [
        MilestoneFactory(contract=contract, sequence=n, amount=D(amount), due_date=due)
        for n, (amount, due) in enumerate(
            [
                ("10000", datetime.date(2026, 3, 31)),
                ("20000", datetime.date(2026, 4, 30)),
                ("20000", datetime.date(2026, 5, 31)),
            ],
            start=1,
        )
    ]
    manager = user_with_role("project_manager")
    services.milestone_complete(milestone=first, actor=manager)
    first.refresh_from_db()
    assert first.completed_by == manager
    assert first.completed_at is not None
    assert [(m.amount, m.status) for m in contract.milestones.order_by("sequence")] == [
        (D("10000.00"), MilestoneStatus.COMPLETED),
        (D("20000.00"), MilestoneStatus.PLANNED),
        (D("20000.00"), MilestoneStatus.PLANNED),
    ]


def test_milestone_cannot_be_invoiced_before_it_is_completed():
    milestone = MilestoneFactory()
    with pytest.raises(ValidationError, match="only be invoiced after it is completed"):
        services.milestone_invoice(milestone=milestone, actor=None)
    with pytest.raises(TransitionNotAllowed):
        milestone.mark_invoiced()
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_completed_milestone_is_invoiced_and_can_go_back_when_credited(user_with_role):
    milestone = services.milestone_complete(
        milestone=MilestoneFactory(), actor=user_with_role("project_manager")
    )
    invoiced = services.milestone_invoice(milestone=milestone, actor=None)
    assert invoiced.status == MilestoneStatus.INVOICED
    invoiced.mark_credited()
    assert invoiced.status == MilestoneStatus.COMPLETED


def test_no_form_exposes_the_status():
    from contracts.admin import MilestoneAdmin
    from contracts.forms import MilestoneForm

    assert "status" not in MilestoneForm.Meta.fields
    assert "status" in MilestoneAdmin.readonly_fields


def test_contract_that_asks_for_acceptance_needs_name_and_date(client, user_with_role):
    contract = ProjectContractFactory(requires_customer_acceptance=True)
    milestone = MilestoneFactory(contract=contract)
    manager = user_with_role("project_manager")
    with pytest.raises(ValidationError, match="acceptance"):
        services.milestone_complete(milestone=milestone, actor=manager)
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED
    services.milestone_complete(
        milestone=milestone,
        actor=manager,
        accepted_by_name="Kari Nordmann",
        accepted_on=datetime.date(2026, 3, 30),
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.COMPLETED
    client.force_login(manager)
    billing = client.get(reverse("contracts:contract_billing", args=[contract.pk]))
    assert "accepted by Kari Nordmann on 2026-03-30" in billing.content.decode()


def test_only_roles_with_the_permission_complete_milestones(user_with_role):
    milestone = MilestoneFactory()
    with pytest.raises(PermissionDenied):
        services.milestone_complete(milestone=milestone, actor=user_with_role("approver"))
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_completing_twice_is_refused(user_with_role):
    manager = user_with_role("project_manager")
    milestone = MilestoneFactory()
    services.milestone_complete(milestone=milestone, actor=manager)
    with pytest.raises(ValidationError, match="Only a planned milestone"):
        services.milestone_complete(milestone=milestone, actor=manager)


def test_amount_or_percent_exactly_one():
    for fields in ({"amount": None, "percent": None}, {"amount": D("1"), "percent": D("10")}):
        with pytest.raises(IntegrityError), transaction.atomic():
            MilestoneFactory(**fields)


def test_completed_milestone_cannot_be_edited_or_deleted(user_with_role):
    milestone = services.milestone_complete(
        milestone=MilestoneFactory(), actor=user_with_role("project_manager")
    )
    milestone.description = "Changed"
    with pytest.raises(ValidationError, match="Only planned milestones"):
        services.milestone_save(milestone=milestone, actor=None)
    with pytest.raises(ValidationError, match="Only planned milestones"):
        services.milestone_delete(milestone=milestone, actor=None)


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        ("25/25/50", "100000.01", ["25000.00", "25000.00", "50000.01"]),
        ("30/30/40", "100000.00", ["30000.00", "30000.00", "40000.00"]),
        ("20/30/30/20", "33333.33", ["6666.67", "10000.00", "10000.00", "6666.66"]),
        ("40/30/30", "1000.01", ["400.00", "300.00", "300.01"]),
    ],
)
def test_billing_plan_templates_fill_a_schedule_that_adds_back(template, value, expected):
    contract = ProjectContractFactory(contract_value=D(value))
    percents = BillingPlanTemplate.objects.get(name=template).percents
    milestones = services.milestone_schedule_fill(
        contract=contract,
        percents=percents,
        first_due_date=datetime.date(2026, 1, 31),
        months_between=1,
        actor=None,
    )
    assert [m.amount for m in milestones] == [D(amount) for amount in expected]
    assert sum(m.amount for m in milestones) == D(value)
    assert [m.due_date for m in milestones][:2] == [
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
    ]


def test_example_m2_user_defined_plan_20_30_15_35():
    contract = ProjectContractFactory(contract_value=D("400000.00"))
    milestones = services.milestone_schedule_fill(
        contract=contract,
        percents=[20, 30, 15, 35],
        first_due_date=datetime.date(2026, 2, 1),
        months_between=3,
        actor=None,
    )
    assert [m.amount for m in milestones] == [
        D("80000.00"),
        D("120000.00"),
        D("60000.00"),
        D("140000.00"),
    ]


def test_schedule_fill_refuses_a_contract_with_a_schedule_and_bad_percents():
    contract = ProjectContractFactory()
    with pytest.raises(ValidationError, match="not 100"):
        services.milestone_schedule_fill(
            contract=contract,
            percents=[50, 40],
            first_due_date=datetime.date(2026, 1, 1),
            months_between=1,
            actor=None,
        )
    MilestoneFactory(contract=contract)
    with pytest.raises(ValidationError, match="already has a billing schedule"):
        services.milestone_schedule_fill(
            contract=contract,
            percents=[50, 50],
            first_due_date=datetime.date(2026, 1, 1),
            months_between=1,
            actor=None,
        )
    assert contract.milestones.count() == 1


def test_split_by_percents_in_jpy_has_no_decimals():
    assert split_by_percents(D("1000"), [33.33, 33.33, 33.34], "JPY") == [
        D("333"),
        D("333"),
        D("334"),
    ]


def test_billing_rule_projects_must_belong_to_the_contract():
    rule = BillingRuleFactory()
    other = BillingRuleFactory()
    with pytest.raises(ValidationError, match="must belong to its contract"):
        services.billing_rule_save(rule=rule, projects=list(other.projects.all()), actor=None)


@pytest.mark.parametrize("role", list(ROLE_GROUP_NAMES))
def test_billing_page_and_milestone_actions_by_role(client, user_with_role, role):
    milestone = MilestoneFactory()
    contract = milestone.contract
    client.force_login(user_with_role(role))
    assert client.get(reverse("contracts:contract_billing", args=[contract.pk])).status_code == 200
    can_complete = role in {"finance_clerk", "project_manager", "admin"}
    can_edit = role in {"finance_clerk", "admin"}
    url = reverse("contracts:milestone_complete", args=[contract.pk, milestone.pk])
    assert client.get(url).status_code == (200 if can_complete else 403)
    edit = reverse("contracts:milestone_update", args=[contract.pk, milestone.pk])
    assert client.get(edit).status_code == (200 if can_edit else 403)


def test_manager_completes_a_milestone_with_acceptance_evidence(
    client, user_with_role, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    milestone = MilestoneFactory(contract=ProjectContractFactory(requires_customer_acceptance=True))
    client.force_login(user_with_role("project_manager"))
    url = reverse("contracts:milestone_complete", args=[milestone.contract_id, milestone.pk])
    response = client.post(url, {"accepted_by_name": "", "accepted_on": ""})
    assert "This field is required" in response.content.decode()
    response = client.post(
        url,
        {
            "accepted_by_name": "Kari Nordmann",
            "accepted_on": "2026-03-30",
            "evidence": SimpleUploadedFile("acceptance.pdf", b"%PDF-1.4 signed"),
        },
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.COMPLETED
    assert milestone.acceptance_evidence.name.endswith(".pdf")
    # Regression: the link pointed at MEDIA_URL, which production does not serve (and which
    # would serve it to anyone). It is served through a view that checks the permission.
    billing = client.get(reverse("contracts:contract_billing", args=[milestone.contract_id]))
    evidence = reverse("contracts:milestone_evidence", args=[milestone.contract_id, milestone.pk])
    assert evidence in billing.content.decode()
    download = client.get(evidence)
    assert b"".join(download.streaming_content) == b"%PDF-1.4 signed"
    client.logout()
    assert client.get(evidence).status_code == 302  # to the log-in page


def test_evidence_of_the_wrong_type_is_refused(client, user_with_role):
    milestone = MilestoneFactory()
    client.force_login(user_with_role("project_manager"))
    url = reverse("contracts:milestone_complete", args=[milestone.contract_id, milestone.pk])
    response = client.post(url, {"evidence": SimpleUploadedFile("virus.exe", b"MZ")})
    assert "Files of type .exe cannot be attached." in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_evidence_is_checked_by_content_not_by_name(client, user_with_role):
    """Issue 13: a program renamed acceptance.pdf was accepted by its extension."""
    milestone = MilestoneFactory()
    client.force_login(user_with_role("project_manager"))
    url = reverse("contracts:milestone_complete", args=[milestone.contract_id, milestone.pk])
    program = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode"
    response = client.post(url, {"evidence": SimpleUploadedFile("acceptance.pdf", program)})
    assert "The file is named .pdf but its content is not a PDF file." in response.content.decode()
    milestone.refresh_from_db()
    assert (milestone.status, milestone.acceptance_evidence.name) == (MilestoneStatus.PLANNED, "")


def test_the_completing_service_checks_the_evidence_too(user_with_role):
    milestone = MilestoneFactory()
    with pytest.raises(ValidationError) as refused:
        services.milestone_complete(
            milestone=milestone,
            actor=user_with_role("project_manager"),
            evidence=SimpleUploadedFile("signed.png", b"%PDF-1.4 not a picture"),
        )
    assert "content is not a PNG file" in refused.value.message_dict["evidence"][0]
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_timeline_marks_overdue_milestones(clerk_client):
    overdue = MilestoneFactory(due_date=datetime.date(2020, 1, 1), description="Late one")
    MilestoneFactory(
        contract=overdue.contract, due_date=datetime.date(2099, 1, 1), description="Future one"
    )
    html = clerk_client.get(
        reverse("contracts:contract_billing", args=[overdue.contract_id])
    ).content.decode()
    assert html.count("Overdue</span>") == 1
    assert "milestone-overdue" in html


def test_billing_page_runs_a_bounded_number_of_queries(clerk_client, django_assert_max_num_queries):
    contract = ProjectContractFactory()
    MilestoneFactory(contract=contract, description="Survey delivered")
    BillingRuleFactory(contract=contract, name="Monthly hours")
    url = reverse("contracts:contract_billing", args=[contract.pk])
    with django_assert_max_num_queries(25) as few:
        response = clerk_client.get(url)
    assert response.status_code == 200
    assert "Survey delivered" in response.content.decode()
    assert "Monthly hours" in response.content.decode()
    for number in range(10):
        MilestoneFactory(contract=contract, description=f"Stage {number} accepted")
    for number in range(5):
        BillingRuleFactory(contract=contract, name=f"Extra rule {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clerk_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Survey delivered" in html and "Stage 0 accepted" in html and "Stage 9 accepted" in html
    assert "Monthly hours" in html and "Extra rule 4" in html


def test_fill_schedule_from_the_page(clerk_client):
    contract = ProjectContractFactory(contract_value=D("90000"))
    template = BillingPlanTemplate.objects.get(name="30/30/40")
    response = clerk_client.post(
        reverse("contracts:schedule_fill", args=[contract.pk]),
        {"template": template.pk, "first_due_date": "2026-04-30", "months_between": "2"},
    )
    assert response.status_code == 302
    assert list(Milestone.objects.filter(contract=contract).values_list("amount", flat=True)) == [
        D("27000.00"), D("27000.00"), D("36000.00"),
    ]  # fmt: skip


def test_clerk_sets_not_to_exceed_caps_on_a_rule(clerk_client):
    from tests.factories import CategoryFactory, ProjectFactory

    contract = ProjectContractFactory()
    project = ProjectFactory(contract=contract)
    supplies = CategoryFactory(code="OFFICE", kind="expense")
    url = reverse("contracts:billing_rule_create", args=[contract.pk])
    assert "Not-to-exceed caps" in clerk_client.get(url).content.decode()
    data = {
        "name": "T&M",
        "rule_type": "time_material",
        "projects": [project.pk],
        "is_active": "on",
        "units_delivered": "0",
        "percent_complete": "0",
        "caps-TOTAL_FORMS": "2",
        "caps-INITIAL_FORMS": "0",
        "caps-MIN_NUM_FORMS": "0",
        "caps-MAX_NUM_FORMS": "1000",
        "caps-0-category": supplies.pk,
        "caps-0-amount": "10000",
        "caps-1-category": supplies.pk,
        "caps-1-amount": "5000",
    }
    response = clerk_client.post(url, data)
    assert "one cap only" in response.content.decode()
    data.update({"caps-1-category": "", "caps-1-amount": ""})
    response = clerk_client.post(url, data)
    assert response.status_code == 302
    rule = contract.billing_rules.get()
    assert [(cap.category, cap.amount) for cap in rule.caps.all()] == [(supplies, D("10000.00"))]
