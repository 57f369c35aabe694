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
QUANTITY_POSITIVE = gettext_lazy("The quantity must be more than zero; remove the line instead.")
DESCRIPTION_NEEDED = gettext_lazy("The line needs a text: it is printed on the invoice.")
DESCRIPTION_GENERATED = gettext_lazy(
    "This line's text is made from its rule or invoice and follows it; it cannot be changed here."
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
    return _line_transaction_change(
        proposal=proposal, line=line, actor=actor, sales_price=sales_price
    )


@transaction.atomic
def proposal_line_quantity_change(
    *, proposal: InvoiceProposal, line: ProposalLine, quantity: Decimal, actor: AbstractBaseUser
) -> ProposalLine:
    """Change the quantity of a draft line's transaction (hours, units): the amount follows
    at its price, its funding is allocated again and every funder's draft follows."""
    if quantity <= 0:
        raise ValidationError(QUANTITY_POSITIVE)
    return _line_transaction_change(proposal=proposal, line=line, actor=actor, quantity=quantity)


@transaction.atomic
def proposal_line_description_change(
    *, proposal: InvoiceProposal, line: ProposalLine, description: str, actor: AbstractBaseUser
) -> ProposalLine:
    """Change the text of a draft's transaction line or hand-added fee line (what the invoice
    prints); the generated text is kept for the approver to compare."""
    locked = proposal_locked(proposal)
    draft_required(locked)
    line = locked.lines.get(pk=line.pk)
    description = " ".join(description.split())
    if not description:
        raise ValidationError(DESCRIPTION_NEEDED)
    editable = line.line_type == ProposalLineType.TRANSACTION or (
        line.line_type == ProposalLineType.FEE and line.fee_rule_id is None
    )
    if not editable:
        raise ValidationError(DESCRIPTION_GENERATED)
    # Sent back as the page showed it (in the reader's language, spaces normalised): unchanged.
    if description in (" ".join(line.description.split()), " ".join(line.text.split())):
        return line
    original = line.original_description or line.text
    line.original_description = "" if description == original else original
    # A text the clerk typed has no kind: shown and posted as typed (issue 16).
    line.description = description[:500]
    line.description_kind, line.description_params = "", {}
    line.save(
        update_fields=[
            "description",
            "description_kind",
            "description_params",
            "original_description",
        ]
    )
    revision_bump(locked, actor, text_stored(line_texts.TEXT_CHANGED, line=line.description))
    return line


def _line_transaction_change(
    *,
    proposal: InvoiceProposal,
    line: ProposalLine,
    actor: AbstractBaseUser,
    sales_price: Decimal | None = None,
    quantity: Decimal | None = None,
) -> ProposalLine:
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
    # What the approver compares with: the price and quantity before the first change on a
    # proposal, and a text the clerk wrote (kept per funder's line).
    original_price = next(
        (o.original_sales_price for o in open_lines if o.original_sales_price is not None),
        record.sales_price,
    )
    original_quantity = next(
        (o.original_quantity for o in open_lines if o.original_quantity is not None),
        record.quantity,
    )
    texts = {
        o.proposal.funding_source_id: (o.description, o.original_description)
        for o in open_lines
        if o.original_description
    }
    for other in open_lines:
        other.delete()
    transactions_billing_status_refresh(transaction_ids=[record.pk])  # nothing billed: editable
    record.refresh_from_db(fields=["billing_status"])
    if sales_price is not None:
        record.sales_price = sales_price
    if quantity is not None:
        record.quantity = quantity
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
        created.original_sales_price = (
            original_price if original_price != record.sales_price else None
        )
        created.original_quantity = (
            original_quantity if original_quantity != record.quantity else None
        )
        if allocation.source_id in texts:
            created.description, created.original_description = texts[allocation.source_id]
            created.description_kind, created.description_params = "", {}
        created.save()
        if allocation.source_id == locked.funding_source_id:
            new_line = created
    if quantity is not None:
        change = text_stored(
            line_texts.QUANTITY_CHANGED,
            quantity=quantity,
            line=record.description or str(record.pk),
        )
    else:
        change = text_stored(
            line_texts.PRICE_CHANGED,
            price=record.sales_price,
            line=record.description or str(record.pk),
        )
    targets = {proposal.pk: proposal for proposal in (*drafts.values(), locked)}
    for pk in sorted(targets):
        proposal_derived_lines_refresh(proposal=targets[pk])
        if pk in created_drafts:
            continue  # a new draft for a funder that had none: nothing to compare with
        revision_bump(proposal_locked(targets[pk]), actor, change)
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


def part_described(described: dict, billed: Decimal, share: Decimal) -> dict:
    """A line's description fields (``line_texts.transaction_line``), saying which part of its
    share it bills when not all of it (the part within a not-to-exceed cap, or what a credit
    note freed), in the reader's language when shown."""
    return line_texts.part_billed(
        described["description"],
        described["description_kind"],
        described["description_params"],
        billed,
        share,
    )


def _line_description(record: ProjectTransaction) -> dict:
    parts = [record.date.isoformat(), record.category.name if record.category_id else ""]
    if record.worker_id:
        parts.append(record.worker.name)
    elif record.item_id:
        parts.append(record.item.name)
    return line_texts.transaction_line(
        parts, record.description, record.description_kind, record.description_params
    )
