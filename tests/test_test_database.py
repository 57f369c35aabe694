"""The suite's own database set-up (tests/db_template.py): what a transactional test leaves."""

import pytest
from django.contrib.auth.models import Group

from contracts.models import BillingPlanTemplate, ProjectContract
from tests import db_template
from tests.factories import ProjectContractFactory


@pytest.mark.django_db(transaction=True)
def test_emptying_after_a_transactional_test_keeps_every_row_migrating_wrote():
    """A database test that runs after a transactional one (in any order, on any worker) finds
    the billing-plan templates and role groups the migrations wrote, and nothing else."""
    templates = sorted(BillingPlanTemplate.objects.values_list("pk", "name"))
    groups = sorted(Group.objects.values_list("pk", "name"))
    assert templates and groups
    ProjectContractFactory()
    BillingPlanTemplate.objects.all().delete()

    db_template.database_empty()

    assert sorted(BillingPlanTemplate.objects.values_list("pk", "name")) == templates
    assert sorted(Group.objects.values_list("pk", "name")) == groups
    assert not ProjectContract.objects.exists()
