"""What every proposal service shares: the refusals it explains, the row lock, the draft check,
the revision bump that makes an approval see a change, and the billing status of transactions,
derived from their funders' shares."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext, gettext_lazy

from contracts.services import with_history_user
from contracts.texts import text_stored
from invoicing.proposals import line_texts, shares
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalStatus,
)
from invoicing.transactions.billing_state import ShareFigures, billing_status_derive
from invoicing.transactions.models import ProjectTransaction

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
PROPOSALS_NOT_ALLOWED = gettext_lazy("Your role cannot create invoice proposals.")
PROPOSAL_CHANGE_NOT_ALLOWED = gettext_lazy("Your role cannot submit or cancel invoice proposals.")


class NothingToBill(ValidationError):
    """The billing rules found nothing to bill (not an error in a billing run)."""


@dataclass(frozen=True)
class Automation:
    """The contract's own automation, set up by finance ("create the proposal when a
    milestone is completed", "create proposals at 25, 50, 75 and 100 %"), acting because
    ``triggered_by`` completed a milestone or recorded progress.

    It creates (and, when the contract says so, submits) proposals that the person who set it
    off may not create: the proposal records no person as its creator or submitter (so any
    approver may approve it), and its history says whose change set the automation off."""

    triggered_by: AbstractBaseUser | None
    #: What set it off: ``"milestone"`` (``milestone``: its description) or ``"threshold"``
    #: (``rule``, ``percent``), with its parameters; none when nothing is said.
    cause: str = ""
    cause_params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        if self.triggered_by is None:
            return gettext("the contract's automation")
        who = self.triggered_by.get_full_name() or self.triggered_by.get_username()
        return gettext("the contract's automation (set off by %(who)s)") % {"who": who}

    @property
    def history_reason(self) -> str:
        """The history's reason as a kind and parameters (``text_stored``): each reader of the
        proposal's history reads it in their language, whoever's language set it off."""
        who = ""
        if self.triggered_by is not None:
            who = self.triggered_by.get_full_name() or self.triggered_by.get_username()
        kind = line_texts.AUTOMATION_REASONS[(self.cause, bool(who))]
        params = {**({"who": who} if who else {}), **self.cause_params}
        return text_stored(kind, **params)


ProposalActor = AbstractBaseUser | Automation


def acting_user(actor: ProposalActor | None) -> AbstractBaseUser | None:
    """The user a proposal records as having done something: nobody for an automation."""
    return None if isinstance(actor, Automation) else actor


def history_reason(actor: ProposalActor | None) -> str | None:
    return actor.history_reason if isinstance(actor, Automation) else None


def proposal_create_allowed(actor: ProposalActor) -> None:
    """Raise PermissionDenied unless ``actor`` may create proposals: a user with
    add_invoiceproposal, or the contract's automation (finance set it up)."""
    if isinstance(actor, Automation):
        return
    if actor is None or not actor.has_perm("invoicing.add_invoiceproposal"):
        raise PermissionDenied(PROPOSALS_NOT_ALLOWED)


def proposal_change_allowed(actor: ProposalActor) -> None:
    """Raise PermissionDenied unless ``actor`` may submit or cancel proposals."""
    if isinstance(actor, Automation):
        return
    if actor is None or not actor.has_perm("invoicing.change_invoiceproposal"):
        raise PermissionDenied(PROPOSAL_CHANGE_NOT_ALLOWED)


def proposal_locked(proposal: InvoiceProposal) -> InvoiceProposal:
    return InvoiceProposal.objects.select_for_update().get(pk=proposal.pk)


def draft_required(proposal: InvoiceProposal) -> None:
    if proposal.status != ProposalStatus.DRAFT:
        raise ValidationError(NOT_A_DRAFT % {"status": proposal.get_status_display()})


def transactions_billing_status_refresh(*, transaction_ids: Iterable[int]) -> None:
    """Write the billing status of the transactions, derived from their funders' shares
    (``billing_state.billing_status_derive``). The one writer of the stored status: every
    service that changes a share (generation, editing a draft, cancelling, posting, crediting)
    calls it in the same database transaction. A fixed number of queries per 2,000."""
    transaction_ids = sorted(set(transaction_ids))
    for start in range(0, len(transaction_ids), REFRESH_CHUNK):
        _billing_status_refresh(transaction_ids[start : start + REFRESH_CHUNK])


REFRESH_CHUNK = 2000


def _billing_status_refresh(transaction_ids: list[int]) -> None:
    figures = shares.transactions_share_figures(transaction_ids)
    stored = ProjectTransaction.objects.filter(pk__in=transaction_ids).values_list(
        "pk", "billing_status"
    )
    changes: dict[str, list[int]] = defaultdict(list)
    for pk, status in stored:
        derived = billing_status_derive(figures.get(pk, ShareFigures()))
        if derived != status:
            changes[derived].append(pk)
    for status, pks in sorted(changes.items()):
        ProjectTransaction.objects.filter(pk__in=pks).update(billing_status=status)


def revision_bump(proposal: InvoiceProposal, actor, reason: str) -> None:
    """Count a change to the lines and say what it was in the proposal's history."""
    proposal.revision += 1
    proposal._change_reason = reason[:100]
    with_history_user(proposal, actor).save()
