"""Contracts and milestones carry comment threads; registered in ContractsConfig.ready."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from collaboration.registry import CommentTarget
from contracts.models import Milestone, ProjectContract

COMMENT_TARGETS = (
    CommentTarget(
        key="contract",
        model=ProjectContract,
        permission="contracts.view_projectcontract",
        url=lambda contract: contract.get_absolute_url() + "#comments",
        name=lambda contract: contract.code,
        label=_("contract %(name)s"),
        page=lambda contract: contract.get_absolute_url(),
    ),
    CommentTarget(
        key="milestone",
        model=Milestone,
        permission="contracts.view_milestone",
        url=lambda milestone: reverse(
            "collaboration:comments", kwargs={"target": "milestone", "pk": milestone.pk}
        ),
        name=str,
        label=_("milestone %(name)s"),
        page=lambda milestone: reverse(
            "contracts:contract_billing", kwargs={"pk": milestone.contract_id}
        ),
    ),
)
