"""Every write to contracts data. Views call these; nothing else saves these models."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from contracts.models import Budget, Project, ProjectContract

PROJECT_TYPE_LOCKED = _(
    "The project type cannot be changed because the project already has transactions."
)
PARENT_IN_OTHER_CONTRACT = _("A subproject must belong to the same contract as its parent.")
PARENT_CYCLE = _("A project cannot be placed under itself or one of its own subprojects.")


class ProjectTypeLocked(ValidationError):
    def __init__(self) -> None:
        super().__init__({"project_type": [PROJECT_TYPE_LOCKED]}, code="project_type_locked")


# Apps that record work on projects register here; contracts never imports them.
_project_usage_checks: list[Callable[[Project], bool]] = []


def project_usage_check_register(check: Callable[[Project], bool]) -> None:
    """Register ``check(project) -> bool``: True when the project has recorded transactions."""
    if check not in _project_usage_checks:
        _project_usage_checks.append(check)


def project_has_transactions(project: Project) -> bool:
    return project.pk is not None and any(check(project) for check in _project_usage_checks)


def with_history_user(instance, actor: AbstractBaseUser | None):
    """Mark ``instance`` so that its next history record names ``actor`` (outside requests too)."""
    instance._history_user = actor
    return instance


@transaction.atomic
def contract_save(*, contract: ProjectContract, actor: AbstractBaseUser | None) -> ProjectContract:
    """Validate and save a contract (new or changed); the history records ``actor``."""
    contract.full_clean()
    with_history_user(contract, actor).save()
    return contract


def project_validate(*, project: Project) -> None:
    """Raise ``ValidationError`` for what constraints alone cannot say about a project."""
    errors: dict[str, list] = {}
    if project.parent_id is not None:
        parent = project.parent
        if parent.contract_id != project.contract_id:
            errors.setdefault("parent", []).append(PARENT_IN_OTHER_CONTRACT)
        ancestor, seen = parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if project.pk is not None and ancestor.pk == project.pk:
                errors.setdefault("parent", []).append(PARENT_CYCLE)
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
    if project.pk is not None:
        stored_type = (
            Project.objects.filter(pk=project.pk).values_list("project_type", flat=True).first()
        )
        if (
            stored_type
            and stored_type != project.project_type
            and project_has_transactions(project)
        ):
            errors.setdefault("project_type", []).append(PROJECT_TYPE_LOCKED)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def project_save(*, project: Project, actor: AbstractBaseUser | None) -> Project:
    """Validate and save a project. Refuses a type change once the project has transactions."""
    if project.pk is not None:
        # Lock the row so a transaction recorded meanwhile cannot slip past the type check.
        Project.objects.select_for_update().filter(pk=project.pk).first()
    project.full_clean()
    project_validate(project=project)
    with_history_user(project, actor).save()
    return project


@transaction.atomic
def budget_save(*, budget: Budget, actor: AbstractBaseUser | None) -> Budget:
    """Validate and save one project/category budget line."""
    budget.full_clean()
    with_history_user(budget, actor).save()
    return budget


@transaction.atomic
def budget_delete(*, budget: Budget, actor: AbstractBaseUser | None) -> None:
    with_history_user(budget, actor).delete()
