"""A contract's automations: what happens by itself when something is done.

"Create the proposal when a milestone is completed" (and, if asked, submit it) runs in the
transaction that completes the milestone, inside a savepoint: when the proposal cannot be made
(no milestone billing rule, a funding limit reached) the milestone is still completed, and
finance is told why no proposal came. "Create proposals at 25, 50, 75 and 100 %" runs after
the progress that crossed the threshold is committed, and tells finance the same way.

The person whose change sets an automation off is usually a project manager, who may not create
proposals (DOMAIN.md section 1). The automation acts as itself (``Automation``), on the
authority of the finance staff who set it up: the proposals record no person as creator or
submitter, and their history names the person who set it off.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collaboration.notifications import notifications_send
from contracts.models import BillingRule, BillingRuleType, Milestone
from contracts.money import plain_number
from contracts.roles import finance_team
from funding.allocation import AllocationError
from invoicing import notification_kinds
from invoicing.proposals import billing, generation, rules, workflow
from invoicing.proposals.billing_checks import BillingError
from invoicing.proposals.models import InvoiceProposal
from invoicing.proposals.state import Automation, NothingToBill

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
    automation = Automation(
        triggered_by=actor,
        cause="milestone",
        cause_params={"milestone": milestone.description},
    )
    try:
        if not milestone_rules:
            raise ValidationError(NO_MILESTONE_RULE)
        with transaction.atomic():
            created = generation.proposals_generate(
                contract=contract,
                up_to_date=timezone.localdate(),
                actor=automation,
                rules=milestone_rules,
            )
            if contract.submit_automatic_proposals:
                created = [
                    workflow.proposal_submit(proposal=proposal, actor=automation)
                    for proposal in created
                ]
    except (ValidationError, AllocationError, BillingError) as refused:
        return _refusal_report(
            refused, kind=notification_kinds.AUTOMATION_FAILED, contract=contract,
            recipients=recipients, params=base,
        )  # fmt: skip
    return _proposals_report(
        created, kind=notification_kinds.PROPOSAL_CREATED, recipients=recipients, params=base
    )


def rule_thresholds_propose(
    *, rule_id: int, previous_percent, current_percent, actor: AbstractBaseUser | None
) -> list[InvoiceProposal]:
    """A rule that asks for it creates the contract's proposals by itself when its completion
    crosses 25, 50, 75 or 100 % (called after the progress is committed). Finance and the
    person who recorded the progress are told what was created, or why nothing could be;
    nothing to bill is not an error. Returns the proposals made."""
    rule = BillingRule.objects.select_related("contract").get(pk=rule_id)
    if not rule.propose_at_thresholds or actor is None:
        return []
    crossed = billing.thresholds_crossed(
        previous_percent=previous_percent, current_percent=current_percent
    )
    if not crossed:
        return []
    contract = rule.contract
    base = {"contract": contract.code, "rule": rule.name, "percent": plain_number(crossed[-1])}
    recipients = [*finance_team(), actor]
    automation = Automation(
        triggered_by=actor,
        cause="threshold",
        cause_params={"rule": rule.name, "percent": crossed[-1]},
    )
    try:
        created = generation.proposals_generate(
            contract=contract, up_to_date=timezone.localdate(), actor=automation
        )
    except NothingToBill:
        return []
    except (ValidationError, AllocationError, BillingError) as refused:
        return _refusal_report(
            refused, kind=notification_kinds.THRESHOLD_AUTOMATION_FAILED, contract=contract,
            recipients=recipients, params=base,
        )  # fmt: skip
    return _proposals_report(
        created,
        kind=notification_kinds.THRESHOLD_PROPOSAL_CREATED,
        recipients=recipients,
        params=base,
    )


def _refusal_report(refused, *, kind: str, contract, recipients, params: dict) -> list:
    """Tell finance (and who set the automation off) why it made nothing."""
    reason = " ".join(refused.messages) if hasattr(refused, "messages") else str(refused)
    notifications_send(
        recipients=recipients,
        kind=kind,
        params={**params, "reason": reason},
        url=reverse("contracts:contract_billing", kwargs={"pk": contract.pk}),
    )
    return []


def _proposals_report(created, *, kind: str, recipients, params: dict) -> list:
    """Tell finance (and who set the automation off) of each proposal it made."""
    for proposal in created:
        notifications_send(
            recipients=recipients,
            kind=kind,
            params={**params, **workflow.proposal_notification_params(proposal)},
            url=proposal.get_absolute_url(),
        )
    return created
