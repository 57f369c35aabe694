"""What is billable now, per contract: exactly what a billing run up to the date would put on
proposals (the shares generation chooses, with coverage and caps, the fee lines it adds, and
what milestones, units and progress would record, funded as they would be), and apart from it
what waits on hold or over a not-to-exceed cap. Reads only."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from contracts.models import (
    MONEY,
    BillingRule,
    BillingRuleType,
    Category,
    Milestone,
    MilestoneStatus,
    TransactionKind,
)
from funding.services import SimulationInput, funding_simulate_batch
from invoicing.proposals import billing, generation
from invoicing.proposals.models import ProposalLine, ProposalLineType, ProposalStatus
from invoicing.proposals.rules import DueAmount, billing_rules_due
from invoicing.proposals.shares import FIGURE_FIELDS, shares_with_figures
from invoicing.transactions.models import ProjectTransaction, TransactionAllocation

ZERO = Decimal("0")
MONEY_EXPONENT = Decimal(1).scaleb(-MONEY["decimal_places"])
NO_NAMES = generation.LineNames({}, {}, {})  # a preview needs no line descriptions


@dataclass
class BillablePreview:
    """One contract's billable figures up to a date. ``total`` is what generation would bill."""

    contract: object
    work: Decimal = ZERO  # funded shares generation would choose (work and recorded on-account)
    fees: Decimal = ZERO  # the fee lines it would add
    deductions: Decimal = ZERO  # prepayment deductions it would add (negative)
    on_account: Decimal = ZERO  # funded shares of what milestones, units and progress make now
    on_hold: Decimal = ZERO  # uninvoiced shares on hold or unfunded (never billed as they are)
    over_cap: Decimal = ZERO  # parts of shares over a not-to-exceed cap (billable when raised)
    milestones: int = 0  # completed milestones not yet billed

    @property
    def total(self) -> Decimal:
        return self.work + self.fees + self.on_account + self.deductions

    def as_dict(self) -> dict:
        return {
            "contract": self.contract,
            "total": self.total,
            "work": self.work,
            "fees": self.fees,
            "deductions": self.deductions,
            "on_account": self.on_account,
            "on_hold": self.on_hold,
            "over_cap": self.over_cap,
            "milestones": self.milestones,
        }


def billable_preview(*, contracts, up_to_date: datetime.date) -> list[BillablePreview]:
    """Per contract, what a billing run up to the date would bill and what it would leave on hold
    or over a cap. A fixed number of queries for any number of contracts and transactions, plus
    a few for each contract whose milestone, unit or progress rules have something due; the
    shares are summed in the database (``_summed_shares``), so the memory it takes does not grow
    with the backlog, except for the shares under a not-to-exceed cap, which are read one by one
    because where a cap cuts depends on their order."""
    contract_ids = [contract.pk for contract in contracts]
    rules_by_contract: dict[int, list[BillingRule]] = defaultdict(list)
    for rule in (
        BillingRule.objects.filter(contract_id__in=contract_ids, is_active=True)
        .prefetch_related("projects", "chargeable_categories", "caps")
        .order_by("pk")
    ):
        rules_by_contract[rule.contract_id].append(rule)
    coverage_by_contract = {
        contract_id: generation.rules_coverage(rules)
        for contract_id, rules in rules_by_contract.items()
    }
    capped_categories = {
        contract_id: {category for _projects, _categories, caps in coverage for category in caps}
        for contract_id, coverage in coverage_by_contract.items()
    }
    capped_categories = {key: value for key, value in capped_categories.items() if value}
    shares_by_contract = _summed_shares(contract_ids, up_to_date, capped_categories)
    billed = generation.billed_per_category(list(capped_categories)) if capped_categories else {}
    on_hold = _on_hold(contract_ids, up_to_date)
    milestones = dict(
        Milestone.objects.filter(
            contract_id__in=contract_ids,
            status=MilestoneStatus.COMPLETED,
            transactions__isnull=True,
        )
        .values_list("contract_id")
        .annotate(count=Count("pk"))
    )
    prepaid_contracts = set(prepaid_contract_ids(contract_ids))
    previews = []
    for contract in contracts:
        rules = rules_by_contract.get(contract.pk, [])
        chosen, capped = generation.shares_choose(
            shares_by_contract.get(contract.pk, []),
            coverage=coverage_by_contract.get(contract.pk, []),
            billed_per_category=billed.get(contract.pk, {}),
        )
        preview = BillablePreview(
            contract,
            work=sum((share.amount for share in chosen), ZERO),
            on_hold=on_hold.get(contract.pk, ZERO),
            over_cap=sum((share.amount for share in capped), ZERO),
            milestones=milestones.get(contract.pk, 0),
        )
        due = billing_rules_due(contract=contract, up_to_date=up_to_date, rules=rules)
        for funded, held in _funded(contract, due, up_to_date):
            preview.on_account += sum((share.amount for share in funded), ZERO)
            preview.on_hold += held
            chosen += funded
        fee_rules = [rule for rule in rules if rule.rule_type == BillingRuleType.FEE]
        totals = []
        for (source_id, *_), shares in generation.proposal_groups(contract, chosen):
            fees = sum((fee.amount for *_, fee in generation.proposal_fees(contract, fee_rules, shares)), ZERO)  # fmt: skip
            preview.fees += fees
            totals.append((source_id, shares, sum((s.amount for s in shares), fees)))
        if contract.pk in prepaid_contracts:
            preview.deductions = _deductions(contract, totals)
        previews.append(preview)
    return previews


# What choosing shares, grouping them into proposals, fees and deductions look at: shares equal
# in all of these are billed or left alike (``generation.shares_choose``, ``proposal_groups``,
# ``proposal_fees``), so their sum stands for them, except under a cap.
_SUMMED_KEYS = {
    "share_contract": F("transaction__project__contract_id"),
    "share_source": F("source_id"),
    "share_kind": F("transaction__kind"),
    "share_project": F("transaction__project_id"),
    "share_parent": F("transaction__project__parent_id"),
    "share_category": F("transaction__category_id"),
    "share_prepayment": ExpressionWrapper(
        Q(
            transaction__kind=TransactionKind.ON_ACCOUNT,
            transaction__billing_rule__isnull=True,
            transaction__milestone__isnull=True,
        ),
        output_field=BooleanField(),
    ),
}
_LEFT = "share_amount - line_in_proposal - line_invoiced - line_freed"  # ShareFigures.billable
_SUMMED_SQL = f"""
    SELECT {", ".join(_SUMMED_KEYS)}, line_in_proposal <> 0, SUM({_LEFT})
    FROM ({{shares}}) shares
    GROUP BY {", ".join(_SUMMED_KEYS)}, line_in_proposal <> 0
    HAVING SUM({_LEFT}) <> 0
"""


def _summed_shares(contract_ids, up_to_date, capped_categories) -> dict[int, list]:
    """Per contract, the shares ``generation.billable_rows`` reads, as generation would see them
    (what is left of each to bill, waiting when part of it is on an open proposal:
    ``ShareFigures.billable``), summed per ``_SUMMED_KEYS`` in the database; those in a category
    a not-to-exceed cap of the contract's rules limits are read one by one, in generation's
    order. Two queries (none without contracts)."""
    if not contract_ids:
        return {}
    capped = Q()
    for contract_id, categories in capped_categories.items():
        capped |= Q(
            transaction__project__contract_id=contract_id,
            transaction__category_id__in=categories,
        )
    allocations = TransactionAllocation.objects.filter(
        transaction__project__contract_id__in=contract_ids,
        transaction__billing_status__in=generation.BILLABLE_STATUSES,
        transaction__is_chargeable=True,
        transaction__date__lte=up_to_date,
        source__isnull=False,
        is_on_hold=False,
    )
    if capped_categories:
        allocations = allocations.exclude(capped)
    summed = (
        shares_with_figures(allocations)
        .annotate(share_amount=F("amount"), **_SUMMED_KEYS)
        .order_by()
        .values_list(*_SUMMED_KEYS, "share_amount", *FIGURE_FIELDS)
    )
    inner_sql, params = summed.query.sql_with_params()
    shares_by_contract: dict[int, list] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(_SUMMED_SQL.format(shares=inner_sql), params)
        for contract_id, source_id, kind, project_id, parent_id, category_id, is_prepayment, is_waiting, left in cursor:  # fmt: skip
            shares_by_contract[contract_id].append(
                generation.BillableShare(
                    None,
                    _money(left),
                    source_id,
                    None,
                    kind,
                    project_id,
                    parent_id,
                    category_id,
                    ZERO,
                    ZERO,
                    ZERO,
                    "",
                    is_waiting=bool(is_waiting),
                    is_prepayment=bool(is_prepayment),
                )  # fmt: skip
            )
    if capped_categories:
        rows = generation.billable_rows(
            contract_ids=list(capped_categories), up_to_date=up_to_date
        ).filter(capped)
        for contract_id, share in generation.billable_shares(rows, NO_NAMES):
            shares_by_contract[contract_id].append(share)
    return shares_by_contract


def _money(value) -> Decimal:
    """A sum read with a plain cursor as a Decimal of the money columns' scale (PostgreSQL gives
    one already; SQLite, which keeps decimals as floating point, a float or an int)."""
    return Decimal(str(value)).quantize(MONEY_EXPONENT)


def prepaid_contract_ids(contract_ids) -> QuerySet:
    """The contracts that have a prepayment (an on-account transaction no rule or milestone
    made), read from the prepayments' partial index."""
    return ProjectTransaction.objects.filter(
        project__contract_id__in=contract_ids,
        kind=TransactionKind.ON_ACCOUNT,
        billing_rule__isnull=True,
        milestone__isnull=True,
    ).values_list("project__contract_id", flat=True)


def _on_hold(contract_ids, up_to_date) -> dict[int, Decimal]:
    return dict(held_or_unfunded(contract_ids, up_to_date))


def held_or_unfunded(contract_ids, up_to_date) -> QuerySet:
    """Per contract: uninvoiced chargeable shares up to the date that wait on hold or that no
    source funds, read from their partial index (one query)."""
    open_line = ProposalLine.objects.filter(allocation=OuterRef("pk"), is_open=True)
    return (
        TransactionAllocation.objects.filter(
            Q(is_on_hold=True) | Q(source__isnull=True),
            transaction__project__contract_id__in=contract_ids,
            transaction__billing_status__in=generation.BILLABLE_STATUSES,
            transaction__is_chargeable=True,
            transaction__date__lte=up_to_date,
        )
        .exclude(Exists(open_line))
        .values_list("transaction__project__contract_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )


def _funded(contract, due: list[DueAmount], up_to_date) -> list[tuple[list, Decimal]]:
    """How the amounts the rules would record are funded, as ``billing_rules_apply`` funds them
    (one after the other, each using the limits' headroom the ones before it left): per amount,
    the shares sources pay (billable, as generation would see them) and the part on hold or
    unfunded. No query when nothing is due."""
    if not due:
        return []
    category = Category.objects.filter(kind=TransactionKind.ON_ACCOUNT).order_by("pk").first()
    projects = [amount.rule.projects.order_by("code").first() for amount in due]
    results = funding_simulate_batch(
        contract=contract,
        simulations=[
            SimulationInput(
                amount=amount.amount,
                date=up_to_date,
                kind=TransactionKind.ON_ACCOUNT,
                project=project,
                category=category,
            )
            for amount, project in zip(due, projects, strict=True)
        ],
    )
    funded_amounts = []
    for amount, project, result in zip(due, projects, results, strict=True):
        funded = [
            generation.BillableShare(
                None,
                part.amount,
                part.source_id,
                None,
                TransactionKind.ON_ACCOUNT,
                project.pk,
                project.parent_id,
                category.pk if category else None,
                amount.quantity,
                amount.unit_price,
                amount.amount,
                amount.description,
            )  # fmt: skip
            for part in result.allocations
            if part.source_id and not part.is_on_hold and part.amount
        ]
        funded_amounts.append(
            (funded, amount.amount - sum((share.amount for share in funded), ZERO))
        )
    return funded_amounts


def _deductions(contract, totals) -> Decimal:
    """The prepayment deductions ``prepayment_deductions`` would add to these proposals (source,
    shares and total of each, in generation's order): never more than is left of the funder's
    prepayment, nor than the proposal's total; none on the proposal that bills the prepayment."""
    prepayment_ids = set(
        ProjectTransaction.objects.filter(
            pk__in=[share.transaction_id for _s, shares, _t in totals for share in shares if share.transaction_id],
            kind=TransactionKind.ON_ACCOUNT, billing_rule__isnull=True, milestone__isnull=True,
        ).values_list("pk", flat=True)
    )  # fmt: skip
    left: dict[int, tuple[Decimal, Decimal]] = {}
    deductions = ZERO
    for source_id, shares, total in totals:
        if any(share.is_prepayment or share.transaction_id in prepayment_ids for share in shares):
            continue
        if source_id not in left:
            left[source_id] = _prepaid_and_deducted(contract, source_id)
        prepaid, deducted = left[source_id]
        line = billing.on_account_deduction(
            invoice_total=total,
            prepaid=prepaid,
            deducted_to_date=deducted,
            currency=contract.currency,
        )
        if line is not None:
            deductions += line.amount
            left[source_id] = (prepaid, deducted - line.amount)
    return deductions


def _prepaid_and_deducted(contract, source_id) -> tuple[Decimal, Decimal]:
    """What a funder prepaid on posted invoices and what deductions (open or posted) took back."""
    lines = ProposalLine.objects.filter(
        proposal__contract=contract, proposal__funding_source_id=source_id
    )
    prepaid = (
        lines.filter(
            proposal__status=ProposalStatus.POSTED,
            transaction__kind=TransactionKind.ON_ACCOUNT,
            transaction__billing_rule__isnull=True,
            transaction__milestone__isnull=True,
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    deducted = -(
        lines.filter(line_type=ProposalLineType.DEDUCTION)
        .filter(Q(is_open=True) | Q(proposal__status=ProposalStatus.POSTED))
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return prepaid, deducted
