"""Time-and-material prepayments: later proposals of the funder who prepaid carry negative
deduction lines until the prepayment is used up."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Q, Sum

from contracts.models import (
    ProjectContract,
    TransactionKind,
)
from contracts.money import round_money
from invoicing.proposals import billing, line_texts
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)
from invoicing.transactions.models import ProjectTransaction

#: Lines that are not part of what a prepayment is deducted from: the deduction itself, and a
#: retention release (it pays out what an earlier invoice withheld, not work).
NOT_DEDUCTED_FROM = (ProposalLineType.DEDUCTION, ProposalLineType.RETENTION_RELEASE)


def contract_has_prepayments(contract: ProjectContract) -> bool:
    return ProjectTransaction.objects.filter(
        project__contract=contract,
        kind=TransactionKind.ON_ACCOUNT,
        billing_rule__isnull=True,
        milestone__isnull=True,
    ).exists()


def prepayment_deduction_refresh(
    *, proposal: InvoiceProposal, lines: Sequence[ProposalLine]
) -> None:
    """Make the draft's deduction line what ``billing.on_account_deduction`` says for its current
    lines: never more than what is left of the funder's prepayment (after the deductions of its
    other open or posted proposals) and never more than the proposal's own positive total (so
    no invoice turns negative by accident); no line when nothing is to be deducted. The
    proposal that bills the prepayment itself deducts nothing."""
    contract = proposal.contract
    own = [line for line in lines if line.line_type == ProposalLineType.DEDUCTION]
    wanted = None
    if not any(is_prepayment_line(line) for line in lines):
        invoice_total = sum(
            (line.amount for line in lines if line.line_type not in NOT_DEDUCTED_FROM),
            Decimal("0"),
        )
        prepaid, deducted = prepayment_prepaid_and_deducted(
            contract=contract, funding_source_id=proposal.funding_source_id, besides=proposal
        )
        wanted = billing.on_account_deduction(
            invoice_total=invoice_total,
            prepaid=prepaid,
            deducted_to_date=deducted,
            currency=contract.currency,
        )
    keep = own[0] if own and wanted is not None else None
    stale = [line.pk for line in own if line is not keep]
    if stale:
        ProposalLine.objects.filter(pk__in=stale).delete()
    if wanted is None:
        return
    if keep is None:
        ProposalLine.objects.create(
            proposal=proposal,
            line_type=ProposalLineType.DEDUCTION,
            kind=TransactionKind.ON_ACCOUNT,
            amount=wanted.amount,
            **line_texts.generated(line_texts.PREPAYMENT_DEDUCTION),
        )
    elif keep.amount != wanted.amount:
        keep.amount = wanted.amount
        keep.save(update_fields=["amount"])


def prepayment_prepaid_and_deducted(
    *, contract: ProjectContract, funding_source_id: int, besides: InvoiceProposal | None = None
) -> tuple[Decimal, Decimal]:
    """What the funder prepaid on posted documents (net of credit notes) and what open or
    posted proposals (other than ``besides``) have deducted from it so far."""
    source_lines = ProposalLine.objects.filter(
        proposal__contract=contract, proposal__funding_source_id=funding_source_id
    )
    prepaid = source_lines.filter(
        proposal__status=ProposalStatus.POSTED,
        transaction__kind=TransactionKind.ON_ACCOUNT,
        transaction__billing_rule__isnull=True,
        transaction__milestone__isnull=True,
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    deductions = source_lines.filter(line_type=ProposalLineType.DEDUCTION).filter(
        Q(is_open=True) | Q(proposal__status=ProposalStatus.POSTED)
    )
    if besides is not None:
        deductions = deductions.exclude(proposal=besides)
    deducted = -(deductions.aggregate(total=Sum("amount"))["total"] or Decimal("0"))
    return round_money(prepaid, contract.currency), round_money(deducted, contract.currency)


def prepayment_unused(*, contract: ProjectContract, funding_source_id: int) -> Decimal:
    """What is left of the funder's prepayment: prepaid less what proposals deducted."""
    prepaid, deducted = prepayment_prepaid_and_deducted(
        contract=contract, funding_source_id=funding_source_id
    )
    return max(prepaid - deducted, Decimal("0"))


def is_prepayment_line(line) -> bool:
    """A proposal or invoice line of an on-account transaction of its own (not a rule's or a
    milestone's): a prepayment."""
    record = line.transaction
    return (
        record is not None
        and record.kind == TransactionKind.ON_ACCOUNT
        and record.billing_rule_id is None
        and record.milestone_id is None
    )
