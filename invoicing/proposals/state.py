"""What every proposal service shares: the refusals it explains, the row lock, the draft check,
the revision bump that makes an approval see a change, and the billing status of transactions,
which follows their open proposal lines."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy

from contracts.services import with_history_user
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalStatus,
)
from invoicing.transactions.models import BillingStatus, ProjectTransaction

NOT_A_DRAFT = gettext_lazy("Only a draft proposal can be changed; this one is %(status)s.")
OWN_SUBMISSION = gettext_lazy("You submitted this proposal, so someone else must approve it.")
NOT_AN_APPROVER = gettext_lazy("Only approvers can approve or reject invoice proposals.")
CHANGED_AFTER_SUBMISSION = gettext_lazy(
    "The lines changed after the proposal was submitted; it must be submitted again."
)
REASON_REQUIRED = gettext_lazy("Give the reason for the rejection, so the submitter can fix it.")
EMPTY_PROPOSAL = gettext_lazy("A proposal needs at least one line before it can be submitted.")
WRONG_STATE = gettext_lazy("This proposal is %(status)s, so it cannot be %(action)s.")
LINE_ELSEWHERE = gettext_lazy(
    "This transaction's funding is also in a proposal that is no longer a draft; its price "
    "cannot change now."
)
NOTHING_TO_BILL = gettext_lazy("There is nothing to bill for this contract up to %(date)s.")


RUN_CHUNK = 50


class NothingToBill(ValidationError):
    """The billing rules found nothing to bill (not an error in a billing run)."""


def proposal_locked(proposal: InvoiceProposal) -> InvoiceProposal:
    return InvoiceProposal.objects.select_for_update().get(pk=proposal.pk)


def draft_required(proposal: InvoiceProposal) -> None:
    if proposal.status != ProposalStatus.DRAFT:
        raise ValidationError(NOT_A_DRAFT % {"status": proposal.get_status_display()})


def transactions_billing_status_refresh(*, transaction_ids: Iterable[int]) -> None:
    """In proposal while any share of the transaction is on an open proposal line; otherwise
    back to uninvoiced. Invoiced and credited transactions are left alone."""
    transaction_ids = list(set(transaction_ids))
    open_lines = ProposalLine.objects.filter(transaction_id=OuterRef("pk"), is_open=True)
    candidates = ProjectTransaction.objects.filter(
        pk__in=transaction_ids,
        billing_status__in=[BillingStatus.UNINVOICED, BillingStatus.IN_PROPOSAL],
    )
    candidates.filter(Exists(open_lines)).update(billing_status=BillingStatus.IN_PROPOSAL)
    candidates.filter(~Exists(open_lines)).update(billing_status=BillingStatus.UNINVOICED)


def revision_bump(proposal: InvoiceProposal, actor, reason: str) -> None:
    """Count a change to the lines and say what it was in the proposal's history."""
    proposal.revision += 1
    proposal._change_reason = reason[:100]
    with_history_user(proposal, actor).save()
