"""Invoice control: where a contract (or one project) stands, by kind and category, and its
retention ledger (DOMAIN.md section 9). Reads only; a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Budget, Category, InvoicingScope, ProjectContract, TransactionKind
from funding.models import FundingSource
from invoicing.invoices.models import DocumentType, Invoice, InvoiceLine
from invoicing.invoices.retention import retention_ledgers
from invoicing.proposals.models import ProposalLine, ProposalLineType
from invoicing.proposals.shares import share_figures_by_category, share_figures_by_funder
from invoicing.proposals.totals import RetentionLedger
from invoicing.transactions.billing_state import ShareFigures

ZERO = Decimal("0")
KIND_LABELS = {
    **dict(TransactionKind.choices),
    ProposalLineType.DEDUCTION: ProposalLineType.DEDUCTION.label,
    "retention": _("Retention"),
    ProposalLineType.RETENTION_RELEASE: ProposalLineType.RETENTION_RELEASE.label,
}
# Lines that are not a transaction's share, counted by their line type (a fee line counts as fee).
DERIVED_LINE_TYPES = (ProposalLineType.DEDUCTION, "retention", ProposalLineType.RETENTION_RELEASE)
KIND_ORDER = {
    kind: position for position, kind in enumerate((*TransactionKind.values, *DERIVED_LINE_TYPES))
}
AGE_BUCKETS = ((30, "0–30"), (90, "31–90"), (180, "91–180"), (None, "> 180"))


@dataclass
class ControlRow:
    kind: str
    category_id: int | None
    category: str
    kind_label: str = ""
    budget: Decimal = ZERO
    invoiced: Decimal = ZERO
    credited: Decimal = ZERO
    in_proposal: Decimal = ZERO
    uninvoiced: Decimal = ZERO


@dataclass
class ControlSummary:
    rows: list[ControlRow]
    totals: ControlRow
    retained: Decimal
    released: Decimal
    ledger: list[dict] = field(default_factory=list)
    # What the invoices' own totals say against what their lines add up to (None for one project
    # of a contract billed all together: its invoices also bill the other projects).
    per_invoices: Decimal | None = None
    per_lines: Decimal = ZERO
    reconciles: bool = True
    # Per funder of the contract: its shares, uninvoiced, in proposal, invoiced and credited.
    funders: list[tuple[str, ShareFigures]] = field(default_factory=list)


def invoice_control(*, contract: ProjectContract, project=None) -> ControlSummary:
    """Budget, invoiced, credited, in proposal and uninvoiced per kind and category."""
    projects = contract.projects.all() if project is None else [project]
    rows: dict[tuple, ControlRow] = {}
    names = dict(Category.objects.values_list("pk", "name"))

    def row(kind, category_id) -> ControlRow:
        key = (kind, category_id)
        if key not in rows:
            rows[key] = ControlRow(
                kind, category_id, names.get(category_id, ""), str(KIND_LABELS.get(kind, kind))
            )
        return rows[key]

    for category_id, kind, revenue in (
        Budget.objects.filter(project__in=projects)
        .values_list("category_id", "category__kind")
        .annotate(total=Sum("revenue_amount"))
    ):
        row(kind, category_id).budget += revenue
    for document_type, kind, category_id, total in _invoice_lines(contract, project, projects):
        if document_type == DocumentType.CREDIT_NOTE:
            row(kind, category_id).credited += -total
        else:
            row(kind, category_id).invoiced += total
    for kind, category_id, total in _open_lines(contract, project, projects):
        row(kind, category_id).in_proposal += total
    # Funded shares not in a proposal and not invoiced net of credits (``shares``).
    for (kind, category_id), figures in share_figures_by_category(projects=projects).items():
        if figures.uninvoiced:
            row(kind, category_id).uninvoiced += figures.uninvoiced
    ordered = sorted(
        rows.values(), key=lambda item: (KIND_ORDER.get(item.kind, len(KIND_ORDER)), item.category)
    )
    totals = ControlRow("", None, "")
    for item in ordered:
        for name in ("budget", "invoiced", "credited", "in_proposal", "uninvoiced"):
            setattr(totals, name, getattr(totals, name) + getattr(item, name))
    ledger = retention_ledger_by_age(contract=contract)
    retained = sum((entry["withheld"] for entry in ledger), ZERO)
    released = sum((entry["released"] for entry in ledger), ZERO)
    per_invoices = _invoices_total(contract, project)
    per_lines = totals.invoiced - totals.credited
    return ControlSummary(
        ordered,
        totals,
        retained,
        released,
        ledger,
        per_invoices,
        per_lines,
        per_invoices == per_lines,
        funders_share_figures(contract=contract),
    )


def funders_share_figures(*, contract: ProjectContract) -> list[tuple[str, ShareFigures]]:
    """The contract's funders, by name, with ``shares.share_figures_by_funder`` (three
    queries)."""
    figures = share_figures_by_funder(contract=contract)
    names = dict(FundingSource.objects.filter(pk__in=figures).values_list("pk", "name"))
    return sorted(
        ((names[source_id], item) for source_id, item in figures.items()), key=lambda i: i[0]
    )


def _invoice_lines(contract, project, projects):
    """Every posted line of the contract's invoices and credit notes, by document type, kind and
    category: a transaction's share by its transaction's kind and category, a fee line as fee, a
    deduction, retention or release by its line type, and a credit line like the line it credits.
    For one project: its transactions' lines and the other lines of its own invoices."""
    lines = InvoiceLine.objects.filter(invoice__contract=contract)
    if project is not None:
        lines = lines.filter(
            Q(transaction__project__in=projects)
            | Q(transaction__isnull=True, invoice__proposal__project=project)
        )
    rows = lines.values_list(
        "invoice__document_type",
        "line_type",
        "kind",
        "transaction__kind",
        "transaction__category_id",
        "credited_line__line_type",
        "credited_line__kind",
    ).annotate(total=Sum("amount"))
    for document_type, line_type, kind, transaction_kind, category_id, credited_type, credited_kind, total in rows:  # fmt: skip
        key = _line_key(line_type, kind, transaction_kind, credited_type, credited_kind)
        yield document_type, key, category_id, total


def _line_key(line_type, kind, transaction_kind, credited_type, credited_kind) -> str:
    """The control row of a line: a transaction's share by its transaction's kind, a deduction,
    retention or release by its line type, a fee line as fee, a credit like the line it credits."""
    if line_type == ProposalLineType.CREDIT and credited_type:
        line_type, kind = credited_type, credited_kind
    if transaction_kind:
        return transaction_kind
    if line_type in DERIVED_LINE_TYPES:
        return line_type
    return kind or TransactionKind.FEE


def _open_lines(contract, project, projects):
    """Every line of the contract's open proposals (fees, deductions and releases too), by kind
    and category."""
    lines = ProposalLine.objects.filter(is_open=True, proposal__contract=contract)
    if project is not None:
        lines = lines.filter(
            Q(transaction__project__in=projects)
            | Q(transaction__isnull=True, proposal__project=project)
        )
    rows = lines.values_list(
        "line_type",
        "kind",
        "transaction__kind",
        "transaction__category_id",
        "credited_line__line_type",
        "credited_line__kind",
    ).annotate(total=Sum("amount"))
    for line_type, kind, transaction_kind, category_id, credited_type, credited_kind, total in rows:  # fmt: skip
        yield (
            _line_key(line_type, kind, transaction_kind, credited_type, credited_kind),
            category_id,
            total,
        )


def _invoices_total(contract, project) -> Decimal | None:
    """Net of the contract's posted invoices and credit notes, retention included: what their
    lines add up to (for one project, its own invoices when the contract bills per project)."""
    invoices = Invoice.objects.filter(contract=contract)
    if project is not None:
        if contract.invoicing_scope != InvoicingScope.PER_PROJECT:
            return None
        invoices = invoices.filter(proposal__project=project)
    total = invoices.aggregate(total=Sum(F("net_total") + F("retention_total")))["total"]
    return total or ZERO


def retention_ledger_by_age(
    *, contract: ProjectContract, today: datetime.date | None = None
) -> list[dict]:
    """Per funder: withheld, released, given back by credit notes and outstanding retention
    (the figures of ``retention_ledgers``, posted documents only), and what is outstanding by
    age of the invoice that withheld it: each invoice's withheld amount less what credit notes
    gave back on it, then releases take the oldest first. The buckets add up to outstanding."""
    today = today or timezone.localdate()
    ledgers = retention_ledgers(contract=contract, include_open=False)
    withheld_rows = (
        InvoiceLine.objects.filter(invoice__contract=contract, line_type="retention")
        .values_list(
            "pk",
            "invoice__funding_source_id",
            "invoice__funding_source__name",
            "invoice__invoice_date",
            "amount",
        )
        .order_by("invoice__invoice_date", "pk")
    )
    given_back = dict(
        InvoiceLine.objects.filter(
            invoice__contract=contract, line_type="credit", credited_line__line_type="retention"
        )
        .values_list("credited_line_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    funders: dict[int, dict] = {}
    for line_id, source_id, name, invoice_date, amount in withheld_rows:
        ledger = ledgers.get(source_id, RetentionLedger())
        entry = funders.setdefault(
            source_id,
            {
                "funder": name,
                "withheld": ledger.withheld,
                "released": ledger.released,
                "given_back": ledger.given_back,
                "outstanding": ledger.outstanding,
                "by_age": defaultdict(Decimal),
                "_left_to_release": ledger.released,
            },
        )
        held = -amount - given_back.get(line_id, ZERO)
        settled = max(ZERO, min(held, entry["_left_to_release"]))
        entry["_left_to_release"] -= settled
        if held - settled:
            entry["by_age"][_bucket((today - invoice_date).days)] += held - settled
    ledger_rows = []
    for entry in funders.values():
        del entry["_left_to_release"]
        entry["by_age"] = [
            (label, entry["by_age"].get(label, ZERO)) for _limit, label in AGE_BUCKETS
        ]
        ledger_rows.append(entry)
    return ledger_rows


def _bucket(days: int) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or days <= limit:
            return label
    return AGE_BUCKETS[-1][1]
