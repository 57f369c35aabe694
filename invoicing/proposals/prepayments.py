"""Time-and-material prepayments: later proposals of the funder who prepaid carry negative
deduction lines until the prepayment is used up."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from contracts.models import (
    ProjectContract,
    TransactionKind,
)
from invoicing.proposals import billing
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)


def prepayment_deductions(
    *, contract: ProjectContract, proposals: Sequence[InvoiceProposal]
) -> None:
    """Offset time-and-material prepayments: each new proposal of a funder who prepaid gets a
    negative deduction line, never more than what is left of the prepayment and never more
    than the proposal's own positive total (so no invoice turns negative by accident)."""
    for proposal in proposals:
        lines = list(proposal.lines.all())
        if any(_is_prepayment_line(line) for line in lines):
            continue  # the proposal that bills the prepayment itself
        invoice_total = sum((line.amount for line in lines), Decimal("0"))
        source_lines = ProposalLine.objects.filter(
            proposal__contract=contract, proposal__funding_source_id=proposal.funding_source_id
        )
        prepaid = source_lines.filter(
            proposal__status=ProposalStatus.POSTED,
            transaction__kind=TransactionKind.ON_ACCOUNT,
            transaction__billing_rule__isnull=True,
            transaction__milestone__isnull=True,
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        deducted = -(
            source_lines.filter(line_type=ProposalLineType.DEDUCTION)
            .filter(Q(is_open=True) | Q(proposal__status=ProposalStatus.POSTED))
            .aggregate(total=Sum("amount"))["total"]
            or Decimal("0")
        )
        line = billing.on_account_deduction(
            invoice_total=invoice_total,
            prepaid=prepaid,
            deducted_to_date=deducted,
            currency=contract.currency,
        )
        if line is not None:
            ProposalLine.objects.create(
                proposal=proposal,
                line_type=ProposalLineType.DEDUCTION,
                kind=TransactionKind.ON_ACCOUNT,
                description=_("Deduction of the on-account prepayment"),
                amount=line.amount,
            )


def _is_prepayment_line(line: ProposalLine) -> bool:
    record = line.transaction
    return (
        record is not None
        and record.kind == TransactionKind.ON_ACCOUNT
        and record.billing_rule_id is None
        and record.milestone_id is None
    )
