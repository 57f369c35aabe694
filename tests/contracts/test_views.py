"""Pages: a permission test for every view and role, read-only users, forms, query counts."""

import pytest
from django.urls import reverse

from contracts.models import Budget, Project, ProjectContract
from contracts.roles import ROLE_GROUP_NAMES
from tests.factories import (
    BudgetFactory,
    CategoryFactory,
    CustomerFactory,
    LegalEntityFactory,
    PaymentTermsFactory,
    ProjectContractFactory,
    ProjectFactory,
    TaxGroupFactory,
)

pytestmark = pytest.mark.django_db

ROLES = list(ROLE_GROUP_NAMES)
EVERYONE = set(ROLES)


@pytest.fixture
def budget():
    return BudgetFactory()


def view_urls(budget):
    project = budget.project
    contract = project.contract
    return {
        "contract_list": (reverse("contracts:contract_list"), EVERYONE),
        "contract_detail": (reverse("contracts:contract_detail", args=[contract.pk]), EVERYONE),
        "contract_create": (reverse("contracts:contract_create"), {"finance_clerk", "admin"}),
        "contract_update": (
            reverse("contracts:contract_update", args=[contract.pk]),
            {"finance_clerk", "admin"},
        ),
        "project_detail": (reverse("contracts:project_detail", args=[project.pk]), EVERYONE),
        "project_create": (reverse("contracts:project_create"), {"finance_clerk", "admin"}),
        "project_update": (
            reverse("contracts:project_update", args=[project.pk]),
            {"finance_clerk", "admin"},
        ),
        "budget_create": (
            reverse("contracts:budget_create", args=[project.pk]),
            {"finance_clerk", "admin"},
        ),
        "budget_update": (
            reverse("contracts:budget_update", args=[project.pk, budget.pk]),
            {"finance_clerk", "admin"},
        ),
        "budget_delete": (
            reverse("contracts:budget_delete", args=[project.pk, budget.pk]),
            {"finance_clerk", "admin"},
        ),
    }


VIEW_NAMES = [
    "contract_list",
    "contract_detail",
    "contract_create",
    "contract_update",
    "project_detail",
    "project_create",
    "project_update",
    "budget_create",
    "budget_update",
    "budget_delete",
]


@pytest.mark.parametrize("view_name", VIEW_NAMES)
@pytest.mark.parametrize("role", ROLES)
def test_every_view_checks_the_role_permission(client, user_with_role, budget, view_name, role):
    url, allowed_roles = view_urls(budget)[view_name]
    client.force_login(user_with_role(role))
    response = client.get(url)
    assert response.status_code == (200 if role in allowed_roles else 403)


@pytest.mark.parametrize("view_name", VIEW_NAMES)
def test_every_view_requires_login(client, budget, view_name):
    url, _roles = view_urls(budget)[view_name]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_a_role_sees_nothing(client, budget):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("contracts:contract_list")).status_code == 403


def test_read_only_user_gets_no_edit_controls(client, user_with_role, budget):
    client.force_login(user_with_role("read_only"))
    contract = budget.project.contract
    pages = [
        reverse("contracts:contract_list"),
        reverse("contracts:contract_detail", args=[contract.pk]),
        reverse("contracts:project_detail", args=[budget.project.pk]),
    ]
    edit_urls = [
        reverse("contracts:contract_create"),
        reverse("contracts:contract_update", args=[contract.pk]),
        reverse("contracts:project_create"),
        reverse("contracts:project_update", args=[budget.project.pk]),
        reverse("contracts:budget_create", args=[budget.project.pk]),
        reverse("contracts:budget_update", args=[budget.project.pk, budget.pk]),
        reverse("contracts:budget_delete", args=[budget.project.pk, budget.pk]),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        assert contract.code in html
        for edit_url in edit_urls:
            assert f'href="{edit_url}' not in html, f"{page} links to {edit_url}"
    for edit_url in edit_urls:
        assert client.get(edit_url).status_code == 403
        assert client.post(edit_url, {"name": "x"}).status_code == 403
    assert Budget.objects.filter(pk=budget.pk).exists()


def test_finance_clerk_sees_edit_controls(clerk_client, budget):
    contract = budget.project.contract
    html = clerk_client.get(
        reverse("contracts:contract_detail", args=[contract.pk])
    ).content.decode()
    assert reverse("contracts:contract_update", args=[contract.pk]) in html


def test_contract_list_runs_a_bounded_number_of_queries(
    clerk_client, django_assert_max_num_queries
):
    ProjectContractFactory(code="A-FEW", name="Harbour crane")
    ProjectContractFactory.create_batch(2)
    with django_assert_max_num_queries(12) as few:
        response = clerk_client.get(reverse("contracts:contract_list"))
    assert response.status_code == 200
    assert "A-FEW" in response.content.decode() and "Harbour crane" in response.content.decode()
    ProjectContractFactory(code="A-MANY", name="Bridge deck")
    ProjectContractFactory.create_batch(39)
    ProjectFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clerk_client.get(reverse("contracts:contract_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A-MANY" in html and "Bridge deck" in html
    assert response.context["page"].paginator.count == 63  # 3 + 40 + 20 made by the projects


def test_contract_detail_runs_a_bounded_number_of_queries(
    clerk_client, django_assert_max_num_queries
):
    contract = ProjectContractFactory()
    ProjectFactory(contract=contract, code="PRJ-FIRST")
    url = reverse("contracts:contract_detail", args=[contract.pk])
    with django_assert_max_num_queries(20) as few:
        response = clerk_client.get(url)
    assert response.status_code == 200
    assert "PRJ-FIRST" in response.content.decode()
    for number in range(10):
        project = ProjectFactory(contract=contract, code=f"PRJ-MORE-{number}")
        BudgetFactory.create_batch(2, project=project)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clerk_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "PRJ-FIRST" in html and "PRJ-MORE-0" in html and "PRJ-MORE-9" in html


def test_contract_list_search_filter_and_sort(clerk_client):
    ProjectContractFactory(code="ALPHA", name="Bridge works", customer=CustomerFactory(name="Acme"))
    ProjectContractFactory(code="BETA", name="Tunnel", status="draft")
    url = reverse("contracts:contract_list")

    html = clerk_client.get(url, {"q": "acme"}).content.decode()
    assert "ALPHA" in html and "BETA" not in html

    html = clerk_client.get(url, {"status": "draft"}).content.decode()
    assert "BETA" in html and "ALPHA" not in html

    html = clerk_client.get(url, {"ordering": "-code"}).content.decode()
    assert html.index("BETA") < html.index("ALPHA")


def test_contract_list_paginates(clerk_client, settings):
    settings.PAGE_SIZE = 5
    ProjectContractFactory.create_batch(12)
    response = clerk_client.get(reverse("contracts:contract_list"), {"page": 3})
    assert len(response.context["page"].object_list) == 2


def test_htmx_request_returns_only_the_table(clerk_client):
    ProjectContractFactory(code="ALPHA")
    response = clerk_client.get(reverse("contracts:contract_list"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "ALPHA" in html and "<nav" not in html.split("pagination")[0]
    assert "<html" not in html


def contract_form_data(**overrides):
    data = {
        "code": "K-100",
        "name": "Bridge inspection",
        "legal_entity": LegalEntityFactory().pk,
        "customer": CustomerFactory().pk,
        "status": "active",
        "currency": "SEK",
        "contract_value": "100000.00",
        "retention_percent": "5",
        "default_tax_group": TaxGroupFactory().pk,
        "payment_terms": PaymentTermsFactory().pk,
        "invoicing_scope": "contract",
        "start_date": "2026-01-01",
        "end_date": "",
        "customer_reference": "",
        "description": "",
    }
    return {**data, **overrides}


def test_clerk_creates_a_contract(clerk_client):
    response = clerk_client.post(reverse("contracts:contract_create"), contract_form_data())
    contract = ProjectContract.objects.get(code="K-100")
    assert response.status_code == 302
    assert response["Location"] == contract.get_absolute_url()
    assert contract.history.get().history_user.groups.get().name == "Finance clerk"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"retention_percent": "120"}, "Ensure this value is less than or equal to 100"),
        ({"contract_value": "-5"}, "Ensure this value is greater than or equal to 0"),
        ({"contract_value": "abc"}, "Enter a number"),
        ({"end_date": "2025-12-31"}, "The end date cannot be before the start date."),
        ({"currency": "XYZ"}, "Select a valid choice"),
        ({"code": ""}, "This field is required"),
    ],
)
def test_contract_form_explains_bad_input_and_saves_nothing(clerk_client, overrides, message):
    response = clerk_client.post(
        reverse("contracts:contract_create"), contract_form_data(**overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProjectContract.objects.exists()


def test_duplicate_contract_code_is_a_form_error(clerk_client):
    ProjectContractFactory(code="K-100")
    response = clerk_client.post(reverse("contracts:contract_create"), contract_form_data())
    assert "This code is already in use" in response.content.decode()
    assert ProjectContract.objects.count() == 1


def test_clerk_edits_a_contract_and_history_shows_the_change(clerk_client):
    contract = ProjectContractFactory(name="Old name")
    data = contract_form_data(code=contract.code, name="New name")
    clerk_client.post(reverse("contracts:contract_update", args=[contract.pk]), data)
    contract.refresh_from_db()
    assert contract.name == "New name"
    html = clerk_client.get(contract.get_absolute_url()).content.decode()
    assert "Old name" in html and "New name" in html


def test_clerk_creates_a_project_under_a_contract(clerk_client):
    contract = ProjectContractFactory()
    url = reverse("contracts:project_create") + f"?contract={contract.pk}"
    assert clerk_client.get(url).context["form"]["contract"].initial == contract.pk
    response = clerk_client.post(
        url,
        {
            "code": "PRJ-NEW",
            "name": "Installation",
            "contract": contract.pk,
            "project_type": "fixed_price",
            "status": "open",
        },
    )
    assert response.status_code == 302
    assert Project.objects.get(code="PRJ-NEW").contract == contract


def test_invoiceable_project_without_contract_is_a_form_error(clerk_client):
    response = clerk_client.post(
        reverse("contracts:project_create"),
        {"code": "PRJ-X", "name": "X", "project_type": "time_material", "status": "open"},
    )
    assert "must belong to a contract" in response.content.decode()
    assert not Project.objects.exists()


def test_budget_form_refuses_a_second_budget_for_the_same_category(clerk_client):
    budget = BudgetFactory()
    response = clerk_client.post(
        reverse("contracts:budget_create", args=[budget.project.pk]),
        {"category": budget.category.pk, "cost_amount": "1", "revenue_amount": "2"},
    )
    assert "already has a budget for this category" in response.content.decode()
    assert Budget.objects.count() == 1


def test_project_manager_does_not_set_budgets(client, user_with_role):
    """Budgets are billing terms (automatic progress bills their revenue): finance sets them."""
    project = ProjectFactory()
    category = CategoryFactory()
    client.force_login(user_with_role("project_manager"))
    response = client.post(
        reverse("contracts:budget_create", args=[project.pk]),
        {"category": category.pk, "cost_amount": "15000", "revenue_amount": "20000"},
    )
    assert response.status_code == 403
    assert not project.budgets.exists()


def test_milestone_list_filters_what_the_dashboard_counts(client, user_with_role):
    import datetime

    from tests.factories import MilestoneFactory

    today = datetime.date.today()
    contract = ProjectContractFactory(code="MS-1")
    MilestoneFactory(
        contract=contract, description="Long overdue", due_date=datetime.date(2020, 1, 1)
    )
    MilestoneFactory(
        contract=contract, description="Next year", due_date=today.replace(year=today.year + 1)
    )
    this_month = MilestoneFactory(
        contract=contract,
        description="This month",
        due_date=today.replace(day=28 if today.day > 28 else today.day),
    )
    client.force_login(user_with_role("read_only"))
    url = reverse("contracts:milestone_list")
    overdue = client.get(url + "?due=overdue").content.decode()
    assert "Long overdue" in overdue and "Next year" not in overdue
    month = client.get(url + "?due=this_month").content.decode()
    assert "This month" in month and "Long overdue" not in month and "Next year" not in month
    assert "/complete/" not in month  # read-only users get no actions
    everything = client.get(url).content.decode()
    assert all(name in everything for name in ("Long overdue", "Next year", this_month.description))
    home = client.get(reverse("home")).content.decode()
    assert "?due=this_month" in home and "?due=overdue" in home


def test_milestone_list_runs_the_same_queries_for_few_or_many(
    client, user_with_role, django_assert_max_num_queries
):
    from tests.factories import MilestoneFactory

    client.force_login(user_with_role("finance_clerk"))
    MilestoneFactory(contract=ProjectContractFactory(), description="Foundation poured")
    with django_assert_max_num_queries(12) as few:
        response = client.get(reverse("contracts:milestone_list"))
    assert response.status_code == 200
    assert "Foundation poured" in response.content.decode()
    for number in range(10):
        MilestoneFactory(contract=ProjectContractFactory(), description=f"Floor {number} done")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("contracts:milestone_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Foundation poured" in html and "Floor 0 done" in html and "Floor 9 done" in html


def test_milestone_list_s_contract_filter_is_typed_not_a_list_of_every_contract(
    client, user_with_role
):
    """The filter rendered an option per contract: ~200 ms of a 300 ms budget at 1,000
    contracts (issue 17, bench_pages)."""
    from tests.factories import MilestoneFactory

    chosen = ProjectContractFactory(code="MS-CHOSEN", name="Harbour works")
    others = [ProjectContractFactory(code=f"MS-{n}") for n in range(5)]
    MilestoneFactory(contract=chosen, description="Quay done")
    MilestoneFactory(contract=others[0], description="Other done")
    client.force_login(user_with_role("finance_clerk"))
    url = reverse("contracts:milestone_list")
    html = client.get(url).content.decode()
    assert not any(contract.code in html.split("<table")[0] for contract in others)
    # an id link keeps working, and the box shows the chosen contract
    filtered = client.get(url, {"contract": chosen.pk}).content.decode()
    assert "Quay done" in filtered and "Other done" not in filtered
    assert "MS-CHOSEN" in filtered.split("<table")[0]
    # typing asks for the matching contracts only
    choices = client.get(reverse("contracts:milestone_contract_choices"), {"q": "harbour"})
    assert choices.status_code == 200
    options = choices.content.decode()
    assert "MS-CHOSEN" in options and "MS-0" not in options
