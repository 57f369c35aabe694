"""Writes through the services: validation, history with the acting user, type lock."""

import pytest
from django.core.exceptions import ValidationError

from contracts import services
from contracts.models import ProjectType
from tests.factories import ProjectContractFactory, ProjectFactory, unsaved_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_with_transactions():
    """Given a project that an app reports as having transactions."""
    project = ProjectFactory(project_type=ProjectType.TIME_AND_MATERIAL)

    def check(candidate):
        return candidate.pk == project.pk

    services._project_usage_checks.append(check)
    yield project
    services._project_usage_checks.remove(check)


def test_project_type_is_locked_once_the_project_has_transactions(project_with_transactions):
    project = project_with_transactions
    project.project_type = ProjectType.FIXED_PRICE
    with pytest.raises(ValidationError) as refused:
        services.project_save(project=project, actor=None)
    assert refused.value.message_dict["project_type"] == [
        "The project type cannot be changed because the project already has transactions."
    ]
    project.refresh_from_db()
    assert project.project_type == ProjectType.TIME_AND_MATERIAL


def test_project_without_transactions_can_change_type():
    project = ProjectFactory(project_type=ProjectType.TIME_AND_MATERIAL)
    project.project_type = ProjectType.FIXED_PRICE
    services.project_save(project=project, actor=None)
    project.refresh_from_db()
    assert project.project_type == ProjectType.FIXED_PRICE


def test_other_fields_of_a_locked_project_can_still_change(project_with_transactions):
    project = project_with_transactions
    project.name = "Renamed"
    services.project_save(project=project, actor=None)
    project.refresh_from_db()
    assert project.name == "Renamed"


def test_subproject_must_share_its_parents_contract():
    parent = ProjectFactory()
    child = ProjectFactory.build(parent=parent, contract=ProjectContractFactory(), code="SUB-1")
    with pytest.raises(ValidationError) as refused:
        services.project_save(project=child, actor=None)
    assert refused.value.message_dict["parent"] == [
        "A subproject must belong to the same contract as its parent."
    ]


def test_project_cannot_be_moved_under_its_own_subproject():
    root = ProjectFactory()
    child = ProjectFactory(parent=root, contract=root.contract)
    root.parent = child
    with pytest.raises(ValidationError) as refused:
        services.project_save(project=root, actor=None)
    assert refused.value.message_dict["parent"] == [
        "A project cannot be placed under itself or one of its own subprojects."
    ]
    root.refresh_from_db()
    assert root.parent is None


def test_contract_save_records_the_actor_in_history(user_with_role):
    clerk = user_with_role("finance_clerk")
    contract = unsaved_contract(code="K-NEW")
    services.contract_save(contract=contract, actor=clerk)
    assert contract.history.get().history_user == clerk


def test_refused_contract_leaves_nothing_behind():
    contract = unsaved_contract(code="", retention_percent=150)
    with pytest.raises(ValidationError):
        services.contract_save(contract=contract, actor=None)
    from contracts.models import ProjectContract

    assert ProjectContract.objects.count() == 0
    assert ProjectContract.history.count() == 0
