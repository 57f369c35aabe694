"""What is billable now, per contract: exactly what a billing run up to the date would put on
proposals (the shares generation chooses, with coverage and caps, the fee lines it adds, and
what milestones, units and progress would record, funded as they would be), and apart from it
what waits on hold or over a not-to-exceed cap. Reads only."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from contracts.models import (
    BillingRule,
    BillingRuleType,
    Category,
    Milestone,
    MilestoneStatus,
    TransactionKind,
)
from funding.services import SimulationInput, funding_simulate
from invoicing.proposals import generation
from invoicing.proposals.models import ProposalLine
from invoicing.proposals.rules import DueAmount, billing_rules_due
from invoicing.transactions.models import BillingStatus, TransactionAllocation

ZERO = Decimal("0")
NO_NAMES = generation.LineNames({}, {}, {})  # a preview needs no line descriptions


@dataclass
class BillablePreview:
    """One contract's billable figures up to a date. ``total`` is what generation would bill."""

    contract: object
    work: Decimal = ZERO  # funded shares generation would choose (work and recorded on-account)
    fees: Decimal = ZERO  # the fee lines it would add
    on_account: Decimal = ZERO  # funded shares of what milestones, units and progress make now
    on_hold: Decimal = ZERO  # uninvoiced shares on hold or unfunded (never billed as they are)
    over_cap: Decimal = ZERO  # shares over a not-to-exceed cap (billable when it is raised)
    milestones: int = 0  # completed milestones not yet billed

    @property
    def total(self) -> Decimal:
        return self.work + self.fees + self.on_account

    def as_dict(self) -> dict:
        return {
            "contract": self.contract,
            "total": self.total,
            "work": self.work,
            "fees": self.fees,
            "on_account": self.on_account,
            "on_hold": self.on_hold,
            "over_cap": self.over_cap,
            "milestones": self.milestones,
        }


def billable_preview(*, contracts, up_to_date: datetime.date) -> list[BillablePreview]:
    """Per contract, what a billing run up to the date would bill and what it would leave on hold
    or over a cap. A fixed number of queries for any number of contracts and transactions, plus
    a few for each contract whose milestone, unit or progress rules have something due."""
    contract_ids = [contract.pk for contract in contracts]
    rules_by_contract: dict[int, list[BillingRule]] = defaultdict(list)
    for rule in (
        BillingRule.objects.filter(contract_id__in=contract_ids, is_active=True)
        .prefetch_related("projects", "chargeable_categories", "caps")
        .order_by("pk")
    ):
        rules_by_contract[rule.contract_id].append(rule)
    shares_by_contract = defaultdict(list)
    for row in generation.billable_rows(contract_ids=contract_ids, up_to_date=up_to_date):
        shares_by_contract[row[0]].append(generation._share(row[1:], NO_NAMES))
    coverage_by_contract = {
        contract_id: generation.rules_coverage(rules)
        for contract_id, rules in rules_by_contract.items()
    }
    capped_ids = [
        contract_id
        for contract_id, coverage in coverage_by_contract.items()
        if any(caps for _projects, _categories, caps in coverage)
    ]
    billed = generation.billed_per_category(capped_ids) if capped_ids else {}
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
    previews = []
    for contract in contracts:
        rules = rules_by_contract.get(contract.pk, [])
        chosen, capped = generation.shares_choose(
            shares_by_contract.get(contract.pk, []),
            coverage=coverage_by_contract.get(contract.pk, []),
            billed_per_category=billed.get(contract.pk, {}),
        )
        fee_rules = [rule for rule in rules if rule.rule_type == BillingRuleType.FEE]
        fees = ZERO
        for _key, shares in generation.proposal_groups(contract, chosen):
            fees += sum((fee.amount for *_, fee in generation.proposal_fees(contract, fee_rules, shares)), ZERO)  # fmt: skip
        preview = BillablePreview(
            contract,
            work=sum((share.amount for share in chosen), ZERO),
            fees=fees,
            on_hold=on_hold.get(contract.pk, ZERO),
            over_cap=sum((share.amount for share in capped), ZERO),
            milestones=milestones.get(contract.pk, 0),
        )
        due = billing_rules_due(contract=contract, up_to_date=up_to_date, rules=rules)
        for amount in due:
            funded, held = _funded(contract, amount, up_to_date)
            preview.on_account += funded
            preview.on_hold += held
        previews.append(preview)
    return previews


def _on_hold(contract_ids, up_to_date) -> dict[int, Decimal]:
    """Per contract: uninvoiced chargeable shares up to the date that wait on hold or that no
    source funds (one query)."""
    open_line = ProposalLine.objects.filter(allocation=OuterRef("pk"), is_open=True)
    return dict(
        TransactionAllocation.objects.filter(
            Q(is_on_hold=True) | Q(source__isnull=True),
            transaction__project__contract_id__in=contract_ids,
            transaction__billing_status__in=[BillingStatus.UNINVOICED, BillingStatus.IN_PROPOSAL],
            transaction__is_chargeable=True,
            transaction__date__lte=up_to_date,
        )
        .exclude(Exists(open_line))
        .values_list("transaction__project__contract_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )


def _funded(contract, due: DueAmount, up_to_date) -> tuple[Decimal, Decimal]:
    """How an amount a rule would record is funded, as ``transaction_record`` would fund it:
    the part a source pays (billable) and the part on hold or unfunded."""
    project = due.rule.projects.order_by("code").first()
    category = Category.objects.filter(kind=TransactionKind.ON_ACCOUNT).order_by("pk").first()
    result = funding_simulate(
        contract=contract,
        simulation=SimulationInput(
            amount=due.amount,
            date=up_to_date,
            kind=TransactionKind.ON_ACCOUNT,
            project=project,
            category=category,
        ),
    )
    funded = sum(
        (part.amount for part in result.allocations if part.source_id and not part.is_on_hold),
        ZERO,
    )
    return funded, due.amount - funded
