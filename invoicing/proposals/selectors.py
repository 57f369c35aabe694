"""Reads of proposals that pages, posting and the API share: the list, a proposal's lines grouped
with their explanations and the totals its invoice will have, what is billable now, and what
waits for whom."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from contracts.models import TransactionKind, VatCategory
from invoicing.proposals import billable
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)
from invoicing.proposals.totals import InvoiceTotals, TaxableLine, VatTreatment, invoice_totals
from invoicing.transactions.explanations import allocation_explain


def proposal_list() -> QuerySet:
    """Proposals with their contract, funder, net total (``total``) and number of lines
    (``line_count``), in one query. The two figures are correlated subqueries, not a join: a
    count (the paginator's) leaves them out, and PostgreSQL computes them after the sort and
    limit, for the rows of the page only, whatever the number of proposals and lines."""
    lines = ProposalLine.objects.filter(proposal=OuterRef("pk")).order_by().values("proposal")
    return (
        InvoiceProposal.objects.select_related(
            "contract", "funding_source", "submitted_by", "project"
        )
        .annotate(
            total=Subquery(
                lines.annotate(total=Sum("amount")).values("total"),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            line_count=Coalesce(
                Subquery(lines.annotate(count=Count("pk")).values("count")), Value(0)
            ),
        )
        .order_by("-created_at", "-pk")
    )


def proposals_ready_to_post(*, limit: int = 10) -> dict:
    """Approved proposals waiting to be posted, the longest waiting first: at most ``limit``
    of them and how many there are (two queries, the count only when the list is full)."""
    approved = proposal_list().filter(status=ProposalStatus.APPROVED).order_by("approved_at", "pk")
    rows = list(approved[:limit])
    return {"proposals": rows, "count": len(rows) if len(rows) < limit else approved.count()}


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
    # Lines without a kind (credits of retention, releases) are labelled by their type.
    labels = {**dict(ProposalLineType.choices), **dict(TransactionKind.choices)}
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


def tax_group_treatment(tax_group) -> VatTreatment:
    """How a tax group taxes a line: rate, label, VAT category and exemption reason (the text
    on invoice is the reason only for the categories that charge no VAT; BR-S-10 and BR-Z-10
    refuse a reason on S and Z)."""
    category = tax_group.vat_category
    gives_reason = category not in (VatCategory.STANDARD, VatCategory.ZERO)
    return VatTreatment(
        tax_group.rate,
        str(tax_group),
        category,
        tax_group.exemption_reason_code if gives_reason else "",
        tax_group.note if gives_reason else "",
    )


def line_tax(line, contract) -> VatTreatment:
    """VAT treatment of a proposal line: a credit takes its invoice line's; otherwise the
    project's tax group, else the contract's."""
    if line.credited_line_id:
        credited = line.credited_line
        return VatTreatment(
            credited.tax_rate,
            credited.tax_label,
            credited.vat_category,
            credited.exemption_reason_code,
            credited.exemption_reason,
        )
    project = line.transaction.project if line.transaction_id else None
    tax_group = (
        project.tax_group if project and project.tax_group_id else None
    ) or contract.default_tax_group
    return tax_group_treatment(tax_group)


def taxable_line(line, contract) -> TaxableLine:
    """A proposal line as the totals read it: its amount, type and VAT treatment."""
    treatment = line_tax(line, contract)
    return TaxableLine(
        line.amount,
        treatment.rate,
        treatment.label,
        line_type=line.line_type,
        vat_category=treatment.category,
        exemption_reason_code=treatment.exemption_reason_code,
        exemption_reason=treatment.exemption_reason,
    )


def proposal_totals(*, proposal, lines) -> InvoiceTotals:
    """The totals the invoice of this proposal will have (the preview and posting share it)."""
    contract = proposal.contract
    withholds = (
        bool(contract.retention_percent)
        and contract.billing_rules.filter(applies_retention=True).exists()
    )
    return invoice_totals(
        lines=[taxable_line(line, contract) for line in lines],
        retention_percent=contract.retention_percent if withholds else Decimal("0"),
        retention_tax=tax_group_treatment(contract.default_tax_group),
        currency=contract.currency,
    )


def billable_now(*, contracts, up_to_date=None) -> list[dict]:
    """Per contract: what a billing run up to today would bill (``total``: work, fees and what
    milestones, units and progress make, chosen by generation's own code), what waits on hold or
    over a cap, and the completed milestones waiting. A fixed number of queries."""
    previews = billable.billable_preview(
        contracts=contracts, up_to_date=up_to_date or timezone.localdate()
    )
    return [preview.as_dict() for preview in previews]


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
