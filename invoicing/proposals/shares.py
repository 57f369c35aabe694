"""Funders' shares and what happened to them: on open proposals, invoiced, credited, freed to be
billed again. One definition of each figure (``LINE_FIGURES``), read per share (generation and
"billable now"), per transaction (its billing status) and per contract and funder (invoice
control): ``recorded = uninvoiced + in proposal + invoiced - credited`` to the cent.

A share is billed by transaction lines that name it (a line may bill part of it, at a
not-to-exceed cap) and credited by credit lines that name it."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from contracts.models import MONEY, ProjectContract
from invoicing.proposals.models import ProposalLine, ProposalLineType, ProposalStatus
from invoicing.transactions.billing_state import ShareFigures
from invoicing.transactions.models import TransactionAllocation

ZERO = Decimal("0")
_POSTED = Q(proposal__status=ProposalStatus.POSTED)
_CREDIT = Q(line_type=ProposalLineType.CREDIT, transaction__isnull=False) & _POSTED
# Each figure as (filter on proposal lines, sign): a credit line's amount is negative.
LINE_FIGURES = {
    "in_proposal": (Q(line_type=ProposalLineType.TRANSACTION, is_open=True), 1),
    "invoiced": (Q(line_type=ProposalLineType.TRANSACTION) & _POSTED, 1),
    "credited": (_CREDIT, -1),
    "freed": (_CREDIT & Q(proposal__rebill_credited=True), -1),
}


def _money(expression):
    return Coalesce(expression, Value(ZERO), output_field=DecimalField(**MONEY))


def shares_with_figures(allocations: QuerySet[TransactionAllocation]) -> QuerySet:
    """The shares annotated with ``in_proposal``, ``invoiced``, ``credited`` and ``freed`` (one
    correlated subquery each, on the indexed allocation column)."""
    annotations = {}
    for name, (condition, _sign) in LINE_FIGURES.items():
        lines = (
            ProposalLine.objects.filter(condition, allocation=OuterRef("pk"))
            .order_by()
            .values("allocation")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        annotations[f"line_{name}"] = _money(Subquery(lines))
    return allocations.annotate(**annotations)


FIGURE_FIELDS = tuple(f"line_{name}" for name in LINE_FIGURES)


def share_figures(amount: Decimal, in_proposal, invoiced, credited, freed) -> ShareFigures:
    """``ShareFigures`` of one share from its amount and its ``FIGURE_FIELDS`` values."""
    return ShareFigures(amount, in_proposal, invoiced, -credited, -freed)


def transactions_share_figures(transaction_ids) -> dict[int, ShareFigures]:
    """Per transaction, the figures of its billable shares (funded, not on hold): two grouped
    queries, whatever the number of transactions. Lines whose share is gone (the transaction
    was funded again after it was credited) no longer count."""
    figures: dict[int, ShareFigures] = defaultdict(ShareFigures)
    amounts = (
        TransactionAllocation.objects.filter(
            transaction_id__in=transaction_ids, source__isnull=False, is_on_hold=False
        )
        .order_by()
        .values_list("transaction_id")
        .annotate(total=Sum("amount"))
    )
    for transaction_id, total in amounts:
        figures[transaction_id] += ShareFigures(amount=total)
    sums = {name: Sum("amount", filter=condition) for name, (condition, _s) in LINE_FIGURES.items()}
    rows = (
        ProposalLine.objects.filter(transaction_id__in=transaction_ids, allocation__isnull=False)
        .filter(Q(line_type=ProposalLineType.TRANSACTION) | _CREDIT)
        .order_by()
        .values("transaction_id")
        .annotate(**sums)
    )
    for row in rows:
        in_proposal, invoiced, credited, freed = (
            row[name] or ZERO for name in LINE_FIGURES
        )  # fmt: skip
        figures[row["transaction_id"]] += ShareFigures(
            ZERO, in_proposal, invoiced, -credited, -freed
        )
    return figures


def _grouped_figures(allocations, lines, keys: tuple[str, ...]) -> dict:
    """Sum shares (``allocations``) and what lines (``lines``) did to them by the shares'
    fields ``keys`` (a key is one value, or a tuple of them for several): two grouped
    queries."""
    line_keys = tuple(f"allocation__{key}" for key in keys)

    def key_of(values):
        return values[0] if len(values) == 1 else tuple(values)

    figures: dict = defaultdict(ShareFigures)
    for *values, total in (
        allocations.filter(transaction__is_chargeable=True, source__isnull=False)
        .order_by()
        .values_list(*keys)
        .annotate(total=Sum("amount"))
    ):
        figures[key_of(values)] += ShareFigures(amount=total)
    sums = {name: Sum("amount", filter=condition) for name, (condition, _s) in LINE_FIGURES.items()}
    rows = (
        lines.filter(transaction__isnull=False, allocation__isnull=False)
        .filter(Q(line_type=ProposalLineType.TRANSACTION) | _CREDIT)
        .order_by()
        .values(*line_keys)
        .annotate(**sums)
    )
    for row in rows:
        in_proposal, invoiced, credited, freed = (row[name] or ZERO for name in LINE_FIGURES)
        key = key_of([row[line_key] for line_key in line_keys])
        figures[key] += ShareFigures(ZERO, in_proposal, invoiced, -credited, -freed)
    return dict(figures)


def share_figures_by_funder(*, contract: ProjectContract) -> dict[int, ShareFigures]:
    """Per funding source of the contract: its recorded shares of chargeable transactions
    (``amount``, on hold included), and what of them is in proposal, invoiced, credited and
    freed; ``uninvoiced`` follows, so ``amount == uninvoiced + in_proposal + invoiced -
    credited`` to the cent (``billable`` is uninvoiced less what was credited not to be billed
    again). Invoice control shows these; two queries."""
    return _grouped_figures(
        TransactionAllocation.objects.filter(transaction__project__contract=contract),
        ProposalLine.objects.filter(allocation__transaction__project__contract=contract),
        ("source_id",),
    )


WORK_IN_PROGRESS_KEYS = ("source_id", "source__name", "is_on_hold", "transaction__currency")


def work_in_progress_by_funder(transactions: QuerySet) -> list[dict]:
    """What of the transactions' shares is still to bill, per funder, on hold apart, and
    currency (``ShareFigures.billable``: not on a proposal, not invoiced, not credited for
    good), the rest of a partly invoiced transaction included; then what no funder funds (over
    every limit). The transaction list shows it; three grouped queries."""
    ids = transactions.order_by().values("pk")
    figures = _grouped_figures(
        TransactionAllocation.objects.filter(transaction__in=ids),
        ProposalLine.objects.filter(allocation__transaction__in=ids),
        WORK_IN_PROGRESS_KEYS,
    )
    funded = [
        {**dict(zip(WORK_IN_PROGRESS_KEYS, key, strict=True)), "amount": share.billable}
        for key, share in figures.items()
        if share.billable
    ]
    funded.sort(key=lambda row: (row["source__name"], row["is_on_hold"], row["source_id"]))
    unfunded = (
        TransactionAllocation.objects.filter(
            transaction__in=ids, transaction__is_chargeable=True, source__isnull=True
        )
        .order_by()
        .values("transaction__currency")
        .annotate(amount=Sum("amount"))
        .order_by("transaction__currency")
    )
    return funded + [
        {"source_id": None, "source__name": "", "is_on_hold": False, **row}
        for row in unfunded
        if row["amount"]
    ]


def share_figures_by_category(*, projects) -> dict[tuple[str, int], ShareFigures]:
    """The same figures for the funded shares of the projects' transactions, per (transaction
    kind, category): invoice control's rows. Two queries."""
    return _grouped_figures(
        TransactionAllocation.objects.filter(transaction__project__in=projects),
        ProposalLine.objects.filter(allocation__transaction__project__in=projects),
        ("transaction__kind", "transaction__category_id"),
    )
