"""The Django admin is the admins' tool (DOMAIN.md section 1: "Admins: everything, through the
Django admin as well"). Staff status alone does not open it: a project manager or a clerk who
was made staff by mistake would otherwise edit in the admin what their role cannot in the UI."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


def is_admin(user) -> bool:
    """Superusers and members of the Admin role group."""
    from contracts.roles import ADMIN, ROLE_GROUP_NAMES

    if not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=ROLE_GROUP_NAMES[ADMIN]).exists()


class BackOfficeAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        return super().has_permission(request) and is_admin(request.user)


class BackOfficeAdminConfig(AdminConfig):
    default_site = "config.admin.BackOfficeAdminSite"
