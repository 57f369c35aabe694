"""The role groups exist from the first migrate, with exactly their permissions."""

import pytest
from django.contrib.auth.models import Group

from contracts.roles import ROLE_GROUP_NAMES

pytestmark = pytest.mark.django_db


def permissions_of(role):
    group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_all_five_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_GROUP_NAMES.values())


def test_read_only_can_view_everything_and_change_nothing():
    permissions = permissions_of("read_only")
    assert "contracts.view_projectcontract" in permissions
    assert "contracts.view_budget" in permissions
    assert all(p.split(".")[1].startswith(("view_", "export_")) for p in permissions)


def test_finance_clerk_sets_up_contracts_but_does_not_delete_them():
    permissions = permissions_of("finance_clerk")
    assert {"contracts.add_projectcontract", "contracts.change_project"} <= permissions
    assert "contracts.delete_projectcontract" not in permissions


def test_project_manager_completes_milestones_and_records_progress_only():
    """DOMAIN.md section 1: no rule terms, no proposals, no contract set-up."""
    changes = {
        p for p in permissions_of("project_manager") if not p.split(".")[1].startswith("view_")
    }
    assert changes == {
        "contracts.complete_milestone",
        "contracts.record_progress",
        "collaboration.add_comment",
    }


def test_read_only_may_export_what_it_sees_and_nothing_else():
    changes = {p for p in permissions_of("read_only") if not p.split(".")[1].startswith("view_")}
    assert changes == {"invoicing.export_projecttransaction"}


def test_admin_has_every_domain_permission():
    permissions = permissions_of("admin")
    assert "contracts.delete_projectcontract" in permissions
    assert "auth.change_user" in permissions


COLLABORATION_MODELS = ("comment", "notification", "notificationsettings")


@pytest.mark.parametrize(
    ("role", "granted"),
    [
        ("finance_clerk", {"add_comment"}),
        ("approver", {"add_comment"}),
        ("project_manager", {"add_comment"}),
        ("read_only", set()),
    ],
)
def test_roles_keep_their_comment_and_notification_permissions(role, granted):
    """They moved from contracts to collaboration with their models; no role gained or lost."""
    views = {f"view_{model}" for model in COLLABORATION_MODELS}
    of_collaboration = {
        permission.split(".")[1]
        for permission in permissions_of(role)
        if permission.startswith("collaboration.")
    }
    assert of_collaboration == views | granted
    assert not {f"contracts.{name}" for name in views | {"add_comment"}} & permissions_of(role)


def test_admin_has_every_collaboration_permission():
    every = {
        f"collaboration.{action}_{model}"
        for model in COLLABORATION_MODELS
        for action in ("add", "change", "delete", "view")
    }
    assert every <= permissions_of("admin")
