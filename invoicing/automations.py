"""A contract's automations: what happens by itself when something is done.

"Create the proposal when a milestone is completed" (and, if asked, submit it) runs in the
transaction that completes the milestone, inside a savepoint: when the proposal cannot be made
(no milestone billing rule, a funding limit reached) the milestone is still completed, and
finance is told why no proposal came.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collaboration.notifications import notifications_send
from contracts.models import BillingRuleType, Milestone
from contracts.roles import finance_team
from funding.allocation import AllocationError
from invoicing import notification_kinds
from invoicing.proposals import generation, rules, workflow
from invoicing.proposals.billing_checks import BillingError
from invoicing.proposals.models import InvoiceProposal

NO_MILESTONE_RULE = _("The contract has no active milestone billing rule.")


def milestone_completed_propose(
    *, milestone: Milestone, actor: AbstractBaseUser
) -> list[InvoiceProposal]:
    """When the contract asks for it, bill the completed milestone at once: create its draft
    proposals (one per funding source) and submit them when the contract says so. Returns the
    proposals made; a refusal is reported to finance and to the actor, never raised."""
    contract = milestone.contract
    if not contract.propose_on_milestone_completion:
        return []
    base = {"contract": contract.code, "milestone": milestone.description}
    recipients = [*finance_team(), actor]
    milestone_rules = [
        rule
        for rule in rules.active_billing_rules(contract)
        if rule.rule_type == BillingRuleType.MILESTONE
    ]
    try:
        if not milestone_rules:
            raise ValidationError(NO_MILESTONE_RULE)
        with transaction.atomic():
            created = generation.proposals_generate(
                contract=contract,
                up_to_date=timezone.localdate(),
                actor=actor,
                rules=milestone_rules,
            )
            if contract.submit_automatic_proposals:
                created = [
                    workflow.proposal_submit(proposal=proposal, actor=actor) for proposal in created
                ]
    except (ValidationError, AllocationError, BillingError) as refused:
        reason = " ".join(refused.messages) if hasattr(refused, "messages") else str(refused)
        notifications_send(
            recipients=recipients,
            kind=notification_kinds.AUTOMATION_FAILED,
            params={**base, "reason": reason},
            url=reverse("contracts:contract_billing", kwargs={"pk": contract.pk}),
        )
        return []
    for proposal in created:
        notifications_send(
            recipients=recipients,
            kind=notification_kinds.PROPOSAL_CREATED,
            params={**base, **workflow.proposal_notification_params(proposal)},
            url=proposal.get_absolute_url(),
        )
    return created
