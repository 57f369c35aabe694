"""Reads of transactions and imports shared by the pages (and later the API)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from contracts.models import Milestone, MilestoneStatus, TransactionKind
from invoicing import billing
from invoicing.explanations import allocation_explain
from invoicing.models import (
    BillingStatus,
    ImportBatch,
    InvoiceProposal,
    ProjectTransaction,
    ProposalStatus,
    TransactionAllocation,
)


def transaction_list() -> QuerySet[ProjectTransaction]:
    """Transactions with everything a row shows, in one query."""
    return ProjectTransaction.objects.select_related(
        "project", "project__contract", "category", "worker", "item"
    ).order_by("-date", "-pk")


def transaction_totals(transactions: QuerySet[ProjectTransaction]) -> list[dict]:
    """Count, quantity, cost and sales per currency of the filtered transactions (one query)."""
    return list(
        transactions.order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            quantity=Sum("quantity"),
            cost=Sum("cost_amount"),
            sales=Sum("sales_amount"),
        )
        .order_by("currency")
    )


def work_in_progress_by_funder(transactions: QuerySet[ProjectTransaction]) -> list[dict]:
    """Uninvoiced chargeable amounts of the transactions per funding source (one query)."""
    return list(
        TransactionAllocation.objects.filter(
            transaction__in=transactions.order_by().values("pk"),
            transaction__billing_status=BillingStatus.UNINVOICED,
        )
        .values("source_id", "source__name", "is_on_hold", "transaction__currency")
        .annotate(amount=Sum("amount"), lines=Count("pk"))
        .order_by("source__name")
    )


def transaction_allocations(*, transaction: ProjectTransaction) -> QuerySet[TransactionAllocation]:
    return transaction.allocations.select_related("source", "rule", "binding_limit").order_by("pk")


def import_batch_list() -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by").defer("errors", "preview")


def proposal_list() -> QuerySet:
    """Proposals with their contract, funder and total, in one query."""
    return (
        InvoiceProposal.objects.select_related(
            "contract", "funding_source", "submitted_by", "project"
        )
        .annotate(total=Sum("lines__amount"), line_count=Count("lines"))
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class LineGroup:
    kind: str
    label: str
    lines: list
    total: Decimal


def proposal_summary(*, proposal) -> dict:
    """Lines grouped by kind with each line's funding explanation, net total, the retention the
    contract withholds, and VAT per tax rate (a preview: posting computes the invoice)."""
    contract = proposal.contract
    currency = contract.currency
    lines = list(
        proposal.lines.select_related(
            "allocation__rule",
            "allocation__binding_limit",
            "transaction__project__tax_group",
            "transaction__category",
            "credited_line",
        ).order_by("kind", "pk")
    )
    labels = dict(TransactionKind.choices)
    groups: dict[str, list] = {}
    for line in lines:
        line.explanation = (
            allocation_explain(line.allocation, currency) if line.allocation_id else ""
        )
        groups.setdefault(line.kind or line.line_type, []).append(line)
    order = {kind: position for position, kind in enumerate(TransactionKind.values)}
    grouped = [
        LineGroup(
            kind,
            str(labels.get(kind, kind)),
            group,
            sum((line.amount for line in group), Decimal("0")),
        )
        for kind, group in sorted(groups.items(), key=lambda item: order.get(item[0], len(order)))
    ]
    totals = proposal_totals(proposal=proposal, lines=lines)
    return {
        "groups": grouped,
        "net": totals.net,
        "retention": totals.retention,
        "after_retention": totals.net
        + (totals.retention.amount if totals.retention else Decimal("0")),
        "taxes": totals.taxes,
        "gross": totals.gross,
    }


def line_tax(line, contract) -> tuple[Decimal, str]:
    """VAT rate and label of a proposal line: a credit takes its invoice line's; otherwise the
    project's tax group, else the contract's."""
    if line.credited_line_id:
        return line.credited_line.tax_rate, line.credited_line.tax_label
    project = line.transaction.project if line.transaction_id else None
    tax_group = (
        project.tax_group if project and project.tax_group_id else None
    ) or contract.default_tax_group
    return tax_group.rate, str(tax_group)


def proposal_totals(*, proposal, lines) -> billing.InvoiceTotals:
    """The totals the invoice of this proposal will have (the preview and posting share it)."""
    contract = proposal.contract
    withholds = (
        bool(contract.retention_percent)
        and contract.billing_rules.filter(applies_retention=True).exists()
    )
    default = contract.default_tax_group
    return billing.invoice_totals(
        lines=[billing.TaxableLine(line.amount, *line_tax(line, contract)) for line in lines],
        retention_percent=contract.retention_percent if withholds else Decimal("0"),
        retention_tax=(default.rate, str(default)),
        currency=contract.currency,
    )


def billable_now(*, contracts) -> list[dict]:
    """Per contract: uninvoiced chargeable amount and completed milestones waiting (2 queries)."""
    contract_ids = [contract.pk for contract in contracts]
    work = dict(
        TransactionAllocation.objects.filter(
            transaction__project__contract_id__in=contract_ids,
            transaction__billing_status=BillingStatus.UNINVOICED,
            transaction__is_chargeable=True,
            source__isnull=False,
            is_on_hold=False,
        )
        .values_list("transaction__project__contract_id")
        .annotate(total=Sum("amount"))
    )
    milestones = dict(
        Milestone.objects.filter(
            contract_id__in=contract_ids,
            status=MilestoneStatus.COMPLETED,
            transactions__isnull=True,
        )
        .values_list("contract_id")
        .annotate(count=Count("pk"))
    )
    return [
        {
            "contract": contract,
            "work": work.get(contract.pk, Decimal("0")),
            "milestones": milestones.get(contract.pk, 0),
        }
        for contract in contracts
    ]


def proposals_waiting_for(proposals: QuerySet, *, user) -> QuerySet:
    """Submitted proposals this user may approve: none for non-approvers, never their own."""
    if not user.has_perm("invoicing.approve_invoiceproposal"):
        return proposals.none()
    return proposals.filter(status=ProposalStatus.SUBMITTED).exclude(submitted_by=user)


def proposals_rejected_for(proposals: QuerySet, *, user) -> QuerySet:
    """Drafts sent back with a reason that this user submitted or created."""
    return (
        proposals.filter(status=ProposalStatus.DRAFT)
        .exclude(rejection_reason="")
        .filter(Q(submitted_by=user) | Q(created_by=user))
    )
