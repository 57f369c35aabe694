"""The demo data: one contract per worked example, and a second run changes nothing."""

import pytest
from django.core.management import call_command

from contracts.models import Budget, Project, ProjectContract
from contracts.roles import ROLE_GROUP_NAMES

pytestmark = pytest.mark.django_db

WORKED_EXAMPLES = {"F1", "U1", "P1", "P2", "M1", "M2", "E1", "T1"}


def snapshot():
    return {
        "contracts": list(ProjectContract.objects.values().order_by("pk")),
        "projects": list(Project.objects.values().order_by("pk")),
        "budgets": list(Budget.objects.values().order_by("pk")),
        "history": ProjectContract.history.count() + Project.history.count(),
    }


def test_demo_data_has_every_worked_example_and_is_idempotent(django_user_model, capsys):
    call_command("load_demo")
    first = snapshot()
    call_command("load_demo")
    assert snapshot() == first
    assert set(ProjectContract.objects.values_list("code", flat=True)) == WORKED_EXAMPLES
    assert django_user_model.objects.count() == len(ROLE_GROUP_NAMES)
    printed = capsys.readouterr().out
    assert "clerk" in printed and "clerk-demo-2026" in printed


def test_demo_p2_budgets_match_the_worked_example():
    call_command("load_demo")
    budgets = {
        b.category.name: (b.cost_amount, b.revenue_amount)
        for b in Budget.objects.filter(project__contract__code="P2").select_related("category")
    }
    assert budgets == {"Development": (15000, 20000), "Installation": (5000, 10000)}
