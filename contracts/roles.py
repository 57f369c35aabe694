"""The five roles and what each may do.

Each app declares, on its AppConfig, a ``role_permissions`` mapping from role to permission
codenames of its own models ("add_budget"), or of an app below it that knows nothing of roles
("collaboration.add_comment"). ``roles_sync`` collects them from every installed app, so that
``contracts`` never imports ``funding`` or ``invoicing``. It runs in a data migration (the
groups exist from the first migrate) and after every migrate (new models' permissions are added).
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

FINANCE_CLERK = "finance_clerk"
APPROVER = "approver"
PROJECT_MANAGER = "project_manager"
READ_ONLY = "read_only"
ADMIN = "admin"

#: The roles' names in the reader's language (the groups keep their English names: they are
#: records, looked up by name).
ROLE_LABELS = {
    "Finance clerk": gettext_lazy("Finance clerk"),
    "Approver": gettext_lazy("Approver"),
    "Project manager": gettext_lazy("Project manager"),
    "Read-only": gettext_lazy("Read-only"),
    "Admin": gettext_lazy("Admin"),
}

ROLE_GROUP_NAMES = {
    FINANCE_CLERK: "Finance clerk",
    APPROVER: "Approver",
    PROJECT_MANAGER: "Project manager",
    READ_ONLY: "Read-only",
    ADMIN: "Admin",
}

# Apps whose every "view_" permission every role gets and whose every permission admins get.
DOMAIN_APPS = ("collaboration", "contracts", "funding", "invoicing")
ADMIN_EXTRA_APPS = ("auth", "axes", "django_tasks_db")


def role_permission_codenames(apps=global_apps) -> dict[str, set[tuple[str, str]]]:
    """(app_label, codename) pairs per role, from every app's ``role_permissions``; a codename
    without an app label is of the declaring app."""
    grants: dict[str, set[tuple[str, str]]] = {role: set() for role in ROLE_GROUP_NAMES}
    for app_config in global_apps.get_app_configs():
        for role, codenames in getattr(app_config, "role_permissions", {}).items():
            for codename in codenames:
                app_label, _dot, name = codename.rpartition(".")
                grants[role].add((app_label or app_config.label, name))
    return grants


def roles_sync(*, apps=global_apps) -> None:
    """Create the role groups and give each exactly its permissions. Idempotent."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    all_permissions = Permission.objects.select_related("content_type")
    by_key = {(p.content_type.app_label, p.codename): p for p in all_permissions}
    view_all = {key for key in by_key if key[0] in DOMAIN_APPS and key[1].startswith("view_")}
    grants = role_permission_codenames(apps)
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        if role == ADMIN:
            keys = {key for key in by_key if key[0] in DOMAIN_APPS + ADMIN_EXTRA_APPS}
        else:
            keys = view_all | grants[role]
        group.permissions.set([by_key[key] for key in sorted(keys) if key in by_key])


def finance_team() -> QuerySet:
    """Active finance clerks: they turn completed work into invoices."""
    return get_user_model().objects.filter(
        is_active=True, groups__name=ROLE_GROUP_NAMES[FINANCE_CLERK]
    )
