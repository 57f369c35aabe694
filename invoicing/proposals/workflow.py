"""The approval workflow of a proposal: draft -> submitted -> approved, rejected back to draft
with a reason, or cancelled (its lines freed). Each step locks the proposal, checks who may take
it, records history and tells the people concerned."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from collaboration.notifications import notifications_send, users_with_permission
from contracts.roles import finance_team
from contracts.services import with_history_user
from invoicing.proposals import notification_kinds, selectors
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalStatus,
)
from invoicing.proposals.state import (
    CHANGED_AFTER_SUBMISSION,
    EMPTY_PROPOSAL,
    NOT_AN_APPROVER,
    OWN_SUBMISSION,
    REASON_REQUIRED,
    WRONG_STATE,
    Automation,
    ProposalActor,
    acting_user,
    history_reason,
    proposal_change_allowed,
    proposal_locked,
    transactions_billing_status_refresh,
)

# ------------------------------------------------------------------------------------------
# Workflow
# ------------------------------------------------------------------------------------------


def _who(user: ProposalActor) -> str:
    if isinstance(user, Automation):
        return str(user)
    return user.get_full_name() or user.get_username()


def proposal_notification_params(proposal: InvoiceProposal) -> dict[str, str]:
    """What a notification about a proposal says: its name and what it will invoice."""
    lines = proposal.lines.select_related(
        "transaction__project__tax_group", "credited_line"
    ).order_by("pk")
    totals = selectors.proposal_totals(proposal=proposal, lines=lines)
    return {
        "proposal": str(proposal),
        "contract": proposal.contract.code,
        "amount": str(totals.gross),
        "currency": proposal.contract.currency,
    }


def _submitters(submitter: AbstractBaseUser | None):
    """Who hears of an approval or a rejection: the submitter, or finance when the contract's
    automation submitted the proposal."""
    return [submitter] if submitter is not None else finance_team()


def _notify(proposal: InvoiceProposal, *, kind: str, recipients, actor, **extra) -> None:
    params = {**proposal_notification_params(proposal), "actor": _who(actor), **extra}
    notifications_send(
        recipients=recipients,
        kind=kind,
        params=params,
        url=proposal.get_absolute_url(),
        actor=acting_user(actor),
    )


@transaction.atomic
def proposal_submit(*, proposal: InvoiceProposal, actor: ProposalActor) -> InvoiceProposal:
    """Draft -> submitted, by a user who may change proposals or by the contract's automation
    (then no person is its submitter). Records who submitted and the revision of the lines."""
    proposal_change_allowed(actor)
    locked = proposal_locked(proposal)
    if locked.status != ProposalStatus.DRAFT:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("submitted")}
        )
    if not locked.has_lines():
        raise ValidationError(EMPTY_PROPOSAL)
    locked.submit(by=acting_user(actor))
    locked._change_reason = history_reason(actor)
    with_history_user(locked, acting_user(actor)).save()
    _notify(
        locked,
        kind=notification_kinds.PROPOSAL_SUBMITTED,
        recipients=users_with_permission("invoicing.approve_invoiceproposal"),
        actor=actor,
    )
    return locked


@transaction.atomic
def proposal_approve(*, proposal: InvoiceProposal, actor: AbstractBaseUser) -> InvoiceProposal:
    """Submitted -> approved, by an approver who did not submit it, and only when the lines
    did not change after submission. The row lock makes two approvals at once impossible."""
    locked = proposal_locked(proposal)
    if locked.status != ProposalStatus.SUBMITTED:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("approved")}
        )
    if locked.submitted_by_id == actor.pk:
        raise PermissionDenied(OWN_SUBMISSION)
    if not locked.unchanged_since_submission():
        raise ValidationError(CHANGED_AFTER_SUBMISSION)
    if not has_transition_perm(locked.approve, actor):
        raise PermissionDenied(NOT_AN_APPROVER)
    locked.approve(by=actor)
    with_history_user(locked, actor).save()
    _notify(
        locked,
        kind=notification_kinds.PROPOSAL_APPROVED,
        recipients=_submitters(locked.submitted_by),
        actor=actor,
    )
    return locked


@transaction.atomic
def proposal_reject(
    *, proposal: InvoiceProposal, actor: AbstractBaseUser, reason: str
) -> InvoiceProposal:
    """Submitted -> draft, with a reason the submitter sees."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [REASON_REQUIRED]})
    locked = proposal_locked(proposal)
    if locked.status != ProposalStatus.SUBMITTED:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("rejected")}
        )
    if not has_transition_perm(locked.reject, actor):
        raise PermissionDenied(NOT_AN_APPROVER)
    submitter = locked.submitted_by
    locked.reject(reason=reason)
    with_history_user(locked, actor).save()
    _notify(
        locked,
        kind=notification_kinds.PROPOSAL_REJECTED,
        recipients=_submitters(submitter),
        actor=actor,
        reason=reason,
    )
    return locked


@transaction.atomic
def proposal_cancel(*, proposal: InvoiceProposal, actor: AbstractBaseUser) -> InvoiceProposal:
    """Draft -> cancelled: every line is freed and its transactions return to uninvoiced."""
    proposal_change_allowed(actor)
    locked = proposal_locked(proposal)
    if locked.status != ProposalStatus.DRAFT:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("cancelled")}
        )
    transaction_ids = list(
        locked.lines.exclude(transaction=None).values_list("transaction_id", flat=True)
    )
    locked.lines.update(is_open=False)
    locked.cancel()
    with_history_user(locked, actor).save()
    transactions_billing_status_refresh(transaction_ids=transaction_ids)
    return locked


# ------------------------------------------------------------------------------------------
# Editing a draft
# ------------------------------------------------------------------------------------------
