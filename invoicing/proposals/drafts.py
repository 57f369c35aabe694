"""Editing a draft proposal: remove a line (its transaction is freed), add a fee line, change a
line's sales price (the transaction is funded again and every funder's draft follows)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from contracts.models import (
    TransactionKind,
)
from contracts.money import round_money
from contracts.texts import text_stored
from invoicing.proposals import line_texts
from invoicing.proposals.derived import proposal_derived_lines_refresh
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)
from invoicing.proposals.state import (
    LINE_ELSEWHERE,
    draft_required,
    proposal_create_allowed,
    proposal_locked,
    revision_bump,
    transactions_billing_status_refresh,
)
from invoicing.transactions import services
from invoicing.transactions.models import BillingStatus, ProjectTransaction, TransactionAllocation

PART_INVOICED = gettext_lazy(
    "Part of this transaction is invoiced already, so its price cannot change now; correct "
    "the invoice with a credit note."
)
RULE_FEE_FOLLOWS = gettext_lazy(
    "This fee is made by its billing rule and follows the hours it is charged on: remove or "
    "reprice those lines, or change the rule, instead."
)


@transaction.atomic
def proposal_line_remove(
    *, proposal: InvoiceProposal, line: ProposalLine, actor: AbstractBaseUser
) -> None:
    """Remove a line from a draft; its transaction returns to uninvoiced (unless another open
    proposal still holds another funder's share of it) and the derived lines follow. A rule's
    fee line is not removed by hand: it follows its base."""
    locked = proposal_locked(proposal)
    draft_required(locked)
    line = locked.lines.get(pk=line.pk)
    if line.fee_rule_id is not None:
        raise ValidationError(RULE_FEE_FOLLOWS)
    transaction_id = line.transaction_id
    line.delete()
    proposal_derived_lines_refresh(proposal=locked)
    revision_bump(locked, actor, text_stored(line_texts.LINE_REMOVED, line=line.text))
    if transaction_id:
        transactions_billing_status_refresh(transaction_ids=[transaction_id])


@transaction.atomic
def proposal_fee_add(
    *, proposal: InvoiceProposal, description: str, amount: Decimal, actor: AbstractBaseUser
) -> ProposalLine:
    """Add a fee line to a draft."""
    locked = proposal_locked(proposal)
    draft_required(locked)
    line = ProposalLine(
        proposal=locked,
        line_type=ProposalLineType.FEE,
        kind=TransactionKind.FEE,
        description=description,
        amount=round_money(amount, locked.contract.currency),
    )
    line.full_clean()
    line.save()
    proposal_derived_lines_refresh(proposal=locked)  # the prepayment deduction follows the total
    revision_bump(locked, actor, text_stored(line_texts.FEE_ADDED, line=description))
    return line


@transaction.atomic
def proposal_line_price_change(
    *, proposal: InvoiceProposal, line: ProposalLine, sales_price: Decimal, actor: AbstractBaseUser
) -> ProposalLine:
    """Change the sales price of a draft line's transaction; its funding is allocated again and
    every funder's share is updated on its own draft proposal."""
    locked = proposal_locked(proposal)
    draft_required(locked)
    line = locked.lines.select_related("transaction").get(pk=line.pk)
    record = ProjectTransaction.objects.select_for_update().get(pk=line.transaction_id)
    if record.billing_status in (BillingStatus.PARTLY_INVOICED, BillingStatus.INVOICED):
        raise ValidationError(PART_INVOICED)
    open_lines = list(
        ProposalLine.objects.select_for_update(of=("self",))
        .filter(transaction=record, is_open=True, line_type=ProposalLineType.TRANSACTION)
        .select_related("proposal")
    )
    # Another funder's share already invoiced (or credited) is billed at the old price: funding
    # the transaction again at a new one would leave that invoice behind.
    if record.billing_status not in (BillingStatus.UNINVOICED, BillingStatus.IN_PROPOSAL):
        raise ValidationError(LINE_ELSEWHERE)
    if any(other.proposal.status != ProposalStatus.DRAFT for other in open_lines):
        raise ValidationError(LINE_ELSEWHERE)
    drafts = {other.proposal.funding_source_id: other.proposal for other in open_lines}
    # What the approver compares with: the price before the first change on a proposal.
    original = next(
        (
            other.original_sales_price
            for other in open_lines
            if other.original_sales_price is not None
        ),
        record.sales_price,
    )
    for other in open_lines:
        other.delete()
    transactions_billing_status_refresh(transaction_ids=[record.pk])  # nothing billed: editable
    record.refresh_from_db(fields=["billing_status"])
    record.sales_price = sales_price
    services.transaction_update(record=record, actor=actor)
    new_line = None
    created_drafts = set()
    for allocation in record.allocations.select_related("source"):
        if allocation.source_id is None or allocation.is_on_hold:
            continue
        target = drafts.get(allocation.source_id)
        if target is None:
            target = drafts[allocation.source_id] = _draft_for(locked, allocation.source, actor)
            created_drafts.add(target.pk)
        created = transaction_line_build(target, allocation, record, save=False)
        created.original_sales_price = original if original != sales_price else None
        created.save()
        if allocation.source_id == locked.funding_source_id:
            new_line = created
    targets = {proposal.pk: proposal for proposal in (*drafts.values(), locked)}
    for pk in sorted(targets):
        proposal_derived_lines_refresh(proposal=targets[pk])
        if pk in created_drafts:
            continue  # a new draft for a funder that had none: nothing to compare with
        target = targets[pk]
        revision_bump(
            proposal_locked(target),
            actor,
            text_stored(
                line_texts.PRICE_CHANGED,
                price=sales_price,
                line=record.description or str(record.pk),
            ),
        )
    transactions_billing_status_refresh(transaction_ids=[record.pk])
    return new_line


def _draft_for(proposal: InvoiceProposal, source, actor) -> InvoiceProposal:
    proposal_create_allowed(actor)
    return InvoiceProposal.objects.create(
        contract=proposal.contract,
        funding_source=source,
        project=proposal.project,
        kind=proposal.kind,
        up_to_date=proposal.up_to_date,
        created_by=actor,
    )


def transaction_line_build(
    proposal: InvoiceProposal,
    allocation: TransactionAllocation,
    record,
    *,
    amount: Decimal | None = None,
    save: bool = True,
) -> ProposalLine:
    """The line billing one funder's share of a transaction, or ``amount`` of it (what is left
    of it to bill); saved unless ``save=False``, for callers that insert many lines at once."""
    share = allocation.amount if amount is None else amount
    unit_price = record.sales_price if share == record.sales_amount else None
    line = ProposalLine(
        proposal=proposal,
        line_type=ProposalLineType.TRANSACTION,
        allocation=allocation,
        transaction=record,
        kind=record.kind,
        **part_described(_line_description(record), share, allocation.amount),
        quantity=record.quantity,
        unit_price=unit_price,
        amount=share,
    )
    if save:
        line.save()
    return line


def part_described(description: str, billed: Decimal, share: Decimal) -> dict:
    """A line's description fields, saying which part of its share it bills when not all of it
    (the part within a not-to-exceed cap, or what a credit note freed), in the reader's
    language when shown."""
    return line_texts.part_billed(description, "", {}, billed, share)


def _line_description(record: ProjectTransaction) -> str:
    parts = [record.date.isoformat(), record.category.name if record.category_id else ""]
    if record.worker_id:
        parts.append(record.worker.name)
    elif record.item_id:
        parts.append(record.item.name)
    if record.description:
        parts.append(record.description)
    return " · ".join(part for part in parts if part)[:500]
