"""Credit notes: correcting posted invoices through the proposal workflow (DOMAIN.md section 8).

A credit proposal names the invoice it corrects and the reason, and carries negative lines
that point at the invoice lines they credit (all of a line, or part of its amount). It is
submitted and approved like any proposal; posting it makes a credit note (a document whose total
is negative) in the same number series. Posting gives the funding back, marks fully credited
work credited, and, when asked, frees it to be billed again.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from contracts.models import MilestoneStatus
from contracts.money import round_money
from contracts.services import with_history_user
from contracts.templatetags.billing_format import money
from funding.models import FundingLimit
from invoicing.invoices.models import DocumentType, Invoice, InvoiceLine
from invoicing.invoices.retention import retention_funder_lock, retention_ledger
from invoicing.proposals import line_texts
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)
from invoicing.proposals.prepayments import is_prepayment_line, prepayment_unused
from invoicing.proposals.state import (
    proposal_create_allowed,
    transactions_billing_status_refresh,
)
from invoicing.proposals.totals import (
    NOT_RETAINED_LINE_TYPES,
    TaxableLine,
    retention_base,
    retention_given_back,
)
from invoicing.transactions.models import TransactionAllocation

REASON_REQUIRED = gettext_lazy(
    "Give the reason for the correction; it is printed on the credit note."
)
NOTHING_TO_CREDIT = gettext_lazy("Choose at least one line and an amount to credit.")
NOT_AN_INVOICE = gettext_lazy("Only an invoice can be credited, not a credit note.")
MORE_THAN_OPEN = gettext_lazy(
    "“%(line)s” has %(open)s left to credit; %(amount)s is more than that."
)
NOT_POSITIVE = gettext_lazy("The amount to credit on “%(line)s” must be more than zero.")
PREPAYMENT_USED = gettext_lazy(
    "Only %(unused)s of the prepayment is still unused: the rest was deducted from later "
    "invoices. Credit at most %(unused)s of it, or credit those deductions first."
)
NOT_CREDITABLE = gettext_lazy(
    "Retention and deduction lines are corrected with the lines they belong to."
)

CREDITABLE_TYPES = (
    ProposalLineType.TRANSACTION,
    ProposalLineType.FEE,
    ProposalLineType.RETENTION_RELEASE,
)


def credited_so_far(line_ids) -> dict[int, Decimal]:
    """What credit notes (posted) and open credit proposals already credit, per invoice line."""
    rows = (
        ProposalLine.objects.filter(
            credited_line_id__in=list(line_ids), line_type=ProposalLineType.CREDIT
        )
        .filter(Q(is_open=True) | Q(proposal__status=ProposalStatus.POSTED))
        .values_list("credited_line_id")
        .annotate(total=Sum("amount"))
    )
    return defaultdict(Decimal, {line_id: -total for line_id, total in rows})


def open_to_credit(invoice: Invoice) -> list[tuple[InvoiceLine, Decimal]]:
    """Each creditable line of the invoice with the amount still open to credit."""
    lines = [line for line in invoice.lines.order_by("pk") if line.line_type in CREDITABLE_TYPES]
    credited = credited_so_far(line.pk for line in lines)
    return [(line, line.amount - credited[line.pk]) for line in lines]


@transaction.atomic
def credit_proposal_create(
    *,
    invoice: Invoice,
    amounts: Mapping[int, Decimal | None],
    reason: str,
    rebill: bool,
    actor: AbstractBaseUser,
) -> InvoiceProposal:
    """A draft credit proposal for some lines of an invoice (``None``: all that is open on the
    line). Refuses crediting more than is still open on a line. Retention withheld on the
    invoice is given back in proportion to the credited retention base, never beyond what is
    still outstanding for the funder."""
    proposal_create_allowed(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [REASON_REQUIRED]})
    invoice = Invoice.objects.select_for_update().select_related("contract").get(pk=invoice.pk)
    if invoice.document_type != DocumentType.INVOICE:
        raise ValidationError(NOT_AN_INVOICE)
    # Before the ledger is read: a release on another draft waits, or this waits for it.
    retention_funder_lock(funding_source_id=invoice.funding_source_id)
    currency = invoice.currency
    open_lines = {line.pk: (line, left) for line, left in open_to_credit(invoice)}
    chosen = []
    for line_id, requested in amounts.items():
        if line_id not in open_lines:
            raise ValidationError(NOT_CREDITABLE)
        line, left = open_lines[line_id]
        amount = left if requested is None else round_money(Decimal(requested), currency)
        if amount <= 0:
            raise ValidationError(NOT_POSITIVE % {"line": line.text})
        if amount > left:
            raise ValidationError(
                MORE_THAN_OPEN
                % {
                    "line": line.text,
                    "open": money(left, currency),
                    "amount": money(amount, currency),
                }
            )
        chosen.append((line, amount))
    if not chosen:
        raise ValidationError(NOTHING_TO_CREDIT)
    prepayment = sum((amount for line, amount in chosen if is_prepayment_line(line)), Decimal("0"))
    if prepayment:
        # A prepayment already deducted from later invoices cannot be given back again.
        unused = prepayment_unused(
            contract=invoice.contract, funding_source_id=invoice.funding_source_id
        )
        if prepayment > unused:
            raise ValidationError(PREPAYMENT_USED % {"unused": money(unused, currency)})
    proposal = InvoiceProposal(
        contract=invoice.contract,
        funding_source=invoice.funding_source,
        up_to_date=timezone.localdate(),
        created_by=actor,
        credited_invoice=invoice,
        credit_reason=reason,
        rebill_credited=rebill,
    )
    with_history_user(proposal, actor).save()
    shares = invoice_line_shares(invoice)
    credit_lines = [
        ProposalLine(
            proposal=proposal,
            line_type=ProposalLineType.CREDIT,
            credited_line=line,
            allocation_id=shares.get(line.pk),
            transaction_id=line.transaction_id,
            kind=line.kind,
            **line_texts.generated(line_texts.CREDIT, line=line_texts.as_param(line)),
            quantity=line.quantity if amount == line.amount else Decimal("1"),
            unit_price=line.unit_price if amount == line.amount else None,
            amount=-amount,
        )
        for line, amount in chosen
    ]
    given_back = _retention_given_back(invoice, chosen)
    if given_back:
        credit_lines.append(
            ProposalLine(
                proposal=proposal,
                line_type=ProposalLineType.CREDIT,
                credited_line=given_back[0],
                **line_texts.generated(line_texts.RETENTION_GIVEN_BACK),
                amount=given_back[1],
            )
        )
    ProposalLine.objects.bulk_create(credit_lines)
    return proposal


def invoice_line_shares(invoice: Invoice) -> dict[int, int | None]:
    """Per transaction line of a posted invoice, the funder's share its proposal line billed.
    Posting writes the invoice lines in the order of the proposal's lines, so the n-th invoice
    line of a transaction is the n-th proposal line of that transaction (two queries)."""
    billed: dict[int, list[int | None]] = defaultdict(list)
    for transaction_id, allocation_id in (
        ProposalLine.objects.filter(
            proposal_id=invoice.proposal_id, line_type=ProposalLineType.TRANSACTION
        )
        .order_by("pk")
        .values_list("transaction_id", "allocation_id")
    ):
        billed[transaction_id].append(allocation_id)
    shares = {}
    for line_id, transaction_id in (
        invoice.lines.filter(line_type=ProposalLineType.TRANSACTION)
        .order_by("pk")
        .values_list("pk", "transaction_id")
    ):
        pending = billed.get(transaction_id)
        shares[line_id] = pending.pop(0) if pending else None
    return shares


def _retention_given_back(
    invoice: Invoice, chosen: list[tuple[InvoiceLine, Decimal]]
) -> tuple[InvoiceLine, Decimal] | None:
    """The invoice's retention line and the share of it this credit gives back: in proportion
    to the credited part of the retention base (release lines are not part of it), never more
    than the funder still has outstanding (``totals.retention_given_back``)."""
    lines = list(invoice.lines.order_by("pk"))
    retention = next((line for line in lines if line.line_type == "retention"), None)
    if retention is None:
        return None
    base_lines = [
        line
        for line in lines
        if line.line_type != "retention" and line.line_type not in NOT_RETAINED_LINE_TYPES
    ]
    base_ids = {line.pk for line in base_lines}
    credited = credited_so_far([*base_ids, retention.pk])
    ledger = retention_ledger(
        contract=invoice.contract, funding_source_id=invoice.funding_source_id
    )
    amount = retention_given_back(
        withheld_on_invoice=-retention.amount,
        invoice_base=retention_base(
            [
                TaxableLine(line.amount, line.tax_rate, line.tax_label, line.line_type)
                for line in base_lines
            ]
        ),
        credited_base_before=sum((credited[pk] for pk in base_ids), Decimal("0")),
        credited_base_now=sum(
            (amount for line, amount in chosen if line.pk in base_ids), Decimal("0")
        ),
        given_back_before=-credited[retention.pk],
        outstanding=ledger.outstanding,
        currency=invoice.currency,
    )
    return (retention, amount) if amount else None


def credit_note_settle(*, proposal: InvoiceProposal, actor: AbstractBaseUser | None) -> None:
    """After a credit note is posted: give the funding back for what was credited (unless the
    work is to be billed again), let the credited shares' transactions take their status from
    their shares (credited, or uninvoiced again when asked: exactly the credited shares are
    freed), and put milestones of fully credited lines back."""
    credit_lines = list(
        proposal.lines.filter(
            line_type=ProposalLineType.CREDIT, transaction__isnull=False
        ).select_related("credited_line", "transaction__milestone", "allocation")
    )
    source_id = proposal.funding_source_id
    released: dict[int, Decimal] = defaultdict(Decimal)
    for line in credit_lines:
        record = line.transaction
        credited_total = -sum(
            (other.amount for other in ProposalLine.objects.filter(
                credited_line=line.credited_line, line_type=ProposalLineType.CREDIT, proposal__status=ProposalStatus.POSTED
            ).exclude(proposal=proposal)),
            start=Decimal("0"),
        ) - line.amount  # fmt: skip
        fully_credited = credited_total >= line.credited_line.amount
        if not proposal.rebill_credited:
            if line.allocation is not None:
                credited_shares = [line.allocation]
            else:  # a credit line made before credit lines named their share
                credited_shares = TransactionAllocation.objects.filter(
                    transaction=record, source_id=source_id
                )
            for share in credited_shares:
                for limit_id in share.limit_ids:
                    released[limit_id] += -line.amount
        if fully_credited:
            milestone = record.milestone
            if milestone is not None and milestone.status == MilestoneStatus.INVOICED:
                milestone.mark_credited()
                with_history_user(milestone, actor).save()
    if released:
        limits = list(
            FundingLimit.objects.select_for_update().filter(pk__in=released).order_by("pk")
        )
        for limit in limits:
            limit.used_amount = max(Decimal("0"), limit.used_amount - released[limit.pk])
        FundingLimit.objects.bulk_update(limits, ["used_amount"])
    transactions_billing_status_refresh(
        transaction_ids=[line.transaction_id for line in credit_lines]
    )


def credit_due_date(invoice_date: datetime.date) -> datetime.date:
    """A credit note is settled at once: its due date is its date."""
    return invoice_date
