"""Lines derived from a draft's other lines: the fee of each fee rule and the prepayment
deduction. Whenever a line is added, removed or repriced (and when a proposal is generated or
picked by hand), ``proposal_derived_lines_refresh`` computes them again from the current lines
with the pure billing functions, so the preview, the approver's page, the posted invoice and the
PDF all show a fee that matches its base (issue 12, item 1). Retention is derived at read time
(``totals.invoice_totals``) and a retention release is what the ledger says when it is added."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from contracts.models import BillingRule, BillingRuleType, TransactionKind
from invoicing.proposals import billing, line_texts
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)
from invoicing.proposals.prepayments import contract_has_prepayments, prepayment_deduction_refresh
from invoicing.proposals.rules import active_billing_rules


def covers(project_ids: set, project_id: int, parent_id: int | None) -> bool:
    """A rule covering a project covers its subprojects too."""
    return project_id in project_ids or (parent_id is not None and parent_id in project_ids)


def hour_base(rule: BillingRule, hours: Iterable[tuple[int, int | None, Decimal]]) -> Decimal:
    """What a fee rule charges its percentage on, from hour work given as (project id, parent
    project id, amount): the amounts on the rule's projects and their subprojects. Both a
    draft's lines and the shares generation is about to bill are measured by it."""
    project_ids = {project.pk for project in rule.projects.all()}
    return sum(
        (amount for project_id, parent_id, amount in hours if covers(project_ids, project_id, parent_id)),
        Decimal("0"),
    )  # fmt: skip


def fee_base(rule: BillingRule, lines: Sequence[ProposalLine]) -> Decimal:
    """The fee base of a proposal's current lines: its hour lines on the rule's projects
    (E1: 200 h x 100.00 = 20,000.00)."""
    return hour_base(
        rule,
        (
            (line.transaction.project_id, line.transaction.project.parent_id, line.amount)
            for line in lines
            if line.line_type == ProposalLineType.TRANSACTION and line.kind == TransactionKind.HOUR
        ),
    )


def fee_description(rule: BillingRule, base: Decimal, currency: str) -> dict:
    """The fee line's description fields: the rule, its percentage and the base, written in
    the reader's language when shown and in the customer's when posted."""
    return line_texts.generated(
        line_texts.FEE, rule=rule.name, percent=rule.fee_percent, base=base, currency=currency
    )


def proposal_derived_lines_refresh(
    *,
    proposal: InvoiceProposal,
    rules: list[BillingRule] | None = None,
    prepayments: bool | None = None,
) -> None:
    """Compute the draft's derived lines again from its current lines, under its row lock.

    Each active fee rule's line (``fee_rule`` set) becomes ``billing.fee_line`` of the rule's
    current base, with a text that names that base; it is added when the base appears and
    removed when the base is zero. A fee added by hand (no ``fee_rule``) is left alone. Then the
    prepayment deduction follows the new total. Credit proposals and proposals that are no
    longer drafts are not touched. ``rules`` and ``prepayments`` spare a billing run the
    queries it has already made for the contract."""
    locked = (
        InvoiceProposal.objects.select_for_update(of=("self",))
        .select_related("contract")
        .get(pk=proposal.pk)
    )
    if locked.status != ProposalStatus.DRAFT or locked.credited_invoice_id:
        return
    rules = active_billing_rules(locked.contract) if rules is None else rules
    lines = list(locked.lines.select_related("transaction__project").order_by("pk"))
    _derived_lines_write(locked, lines, rules=rules, prepayments=prepayments)


def generated_proposals_derived_lines(
    proposals: Sequence[InvoiceProposal], *, rules: list[BillingRule], prepayments: bool
) -> None:
    """The derived lines of drafts a billing run has just made for one contract (inside the
    transaction that made them, so no one else can see them yet, and under the contract's lock):
    the same computation as ``proposal_derived_lines_refresh``, with the lines of all of them
    read in one query instead of a lock and a read per proposal. New drafts hold transaction
    lines only, so without a fee rule or a prepayment there is nothing to derive or remove, and
    nothing is read."""
    if not prepayments and not any(rule.rule_type == BillingRuleType.FEE for rule in rules):
        return
    by_proposal: dict[int, list[ProposalLine]] = {proposal.pk: [] for proposal in proposals}
    for line in (
        ProposalLine.objects.filter(proposal__in=list(by_proposal))
        .select_related("transaction__project")
        .order_by("pk")
    ):
        by_proposal[line.proposal_id].append(line)
    for proposal in proposals:
        _derived_lines_write(
            proposal, by_proposal[proposal.pk], rules=rules, prepayments=prepayments
        )


def _derived_lines_write(
    locked: InvoiceProposal,
    lines: list[ProposalLine],
    *,
    rules: list[BillingRule],
    prepayments: bool | None,
) -> None:
    """Bring a draft's fee lines and prepayment deduction in line with its other lines."""
    contract = locked.contract
    fee_rules = [rule for rule in rules if rule.rule_type == BillingRuleType.FEE]
    by_rule: dict[int, list[ProposalLine]] = {}
    for line in lines:
        if line.line_type == ProposalLineType.FEE and line.fee_rule_id is not None:
            by_rule.setdefault(line.fee_rule_id, []).append(line)
    gone = []
    for rule in fee_rules:
        base = fee_base(rule, lines)
        existing = by_rule.pop(rule.pk, [])
        if not base:
            gone += existing
            continue
        fee = billing.fee_line(
            base_amount=base, fee_percent=rule.fee_percent, currency=contract.currency
        )
        described = fee_description(rule, base, contract.currency)
        if existing:
            line, *extra = existing
            gone += extra
            wanted = {"amount": fee.amount, **described}
            if any(getattr(line, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(line, name, value)
                line.save(update_fields=list(wanted))
        else:
            ProposalLine.objects.create(
                proposal=locked,
                line_type=ProposalLineType.FEE,
                kind=TransactionKind.FEE,
                fee_rule=rule,
                amount=fee.amount,
                **described,
            )
    for stale in by_rule.values():  # a rule no longer active (or no longer a fee rule)
        gone += stale
    if gone:
        ProposalLine.objects.filter(pk__in=[line.pk for line in gone]).delete()
    if prepayments is None:
        prepayments = contract_has_prepayments(contract)
    if prepayments:
        lines = list(locked.lines.select_related("transaction").order_by("pk"))
        prepayment_deduction_refresh(proposal=locked, lines=lines)
