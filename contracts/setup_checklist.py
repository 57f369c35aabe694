"""The contract set-up checklist: what a contract still needs before its work can be billed.

``contracts`` knows projects and billing rules; funders and funding rules belong to
``funding``, which registers its steps here (``FundingConfig.ready``), so this module never
imports the rooms above it. Each provider runs a bounded number of queries (one or two)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.models import INVOICEABLE_PROJECT_TYPES, BillingRule, ContractStatus, ProjectContract


@dataclass(frozen=True)
class SetupStep:
    """One step: what it asks (``title``), whether it is done, and where to do it."""

    order: int
    title: str
    is_done: bool
    missing: str  # what is missing, in the clerk's words (shown when not done)
    fix_url: str
    fix_label: str
    permission: str  # who may follow the link; others see the step without it


StepProvider = Callable[[ProjectContract], list[SetupStep]]
_providers: list[StepProvider] = []


def setup_step_provider_register(provider: StepProvider) -> None:
    """Register ``provider(contract) -> steps``, called for every contract page."""
    if provider not in _providers:
        _providers.append(provider)


def contract_setup_checklist(*, contract: ProjectContract) -> list[SetupStep]:
    """Every step of every registered provider, in order. ``contract.projects`` is read from
    its prefetch when the page made one."""
    steps = [step for provider in _providers for step in provider(contract)]
    return sorted(steps, key=lambda step: step.order)


def contract_steps(contract: ProjectContract) -> list[SetupStep]:
    """The contract's own steps: an invoiceable project, a billing rule, active status."""
    has_project = any(
        project.project_type in INVOICEABLE_PROJECT_TYPES for project in contract.projects.all()
    )
    has_rule = BillingRule.objects.filter(contract=contract).exists()
    return [
        SetupStep(
            order=10,
            title=_("An invoiceable project"),
            is_done=has_project,
            missing=_("No time-and-material or fixed-price project: nothing can be billed."),
            fix_url=reverse("contracts:project_create") + f"?contract={contract.pk}",
            fix_label=_("Add a project"),
            permission="contracts.add_project",
        ),
        SetupStep(
            order=40,
            title=_("A billing rule"),
            is_done=has_rule,
            missing=_("No billing rule says how much to invoice."),
            fix_url=reverse("contracts:billing_rule_create", kwargs={"contract_pk": contract.pk}),
            fix_label=_("Add a billing rule"),
            permission="contracts.add_billingrule",
        ),
        SetupStep(
            order=50,
            title=_("The contract is active"),
            is_done=contract.status == ContractStatus.ACTIVE,
            missing=_("Billing runs skip contracts that are not active."),
            fix_url=reverse("contracts:contract_update", kwargs={"pk": contract.pk}),
            fix_label=_("Edit contract"),
            permission="contracts.change_projectcontract",
        ),
    ]
