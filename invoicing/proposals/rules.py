"""Billing rules applied up to a date: completed milestones, units delivered and progress become
on-account transactions, recorded and funded like any other work, ready to be billed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext as _

from contracts.models import (
    BillingRule,
    BillingRuleType,
    Budget,
    Category,
    Milestone,
    MilestoneStatus,
    ProjectContract,
    TransactionKind,
)
from contracts.money import round_money
from contracts.selectors import milestone_value
from invoicing.proposals import billing, line_texts
from invoicing.transactions import services
from invoicing.transactions.models import BillingStatus, ProjectTransaction

# ------------------------------------------------------------------------------------------


def _on_account_record(
    contract, rule, *, amount, quantity, unit_price, description, day, actor, milestone=None,
    description_kind="", description_params=None,
):  # fmt: skip
    """An on-account transaction made by a billing rule, recorded (and funded) like any other."""
    project = rule.projects.order_by("code").first()
    record = ProjectTransaction(
        kind=TransactionKind.ON_ACCOUNT,
        date=day,
        project=project,
        category=_on_account_category(),
        quantity=quantity,
        cost_price=Decimal("0"),
        sales_price=unit_price if unit_price is not None else amount,
        currency=contract.currency,
        description=description[:500],
        description_kind=description_kind,
        description_params=description_params,
        billing_rule=rule,
        milestone=milestone,
    )
    services.transaction_record(record=record, actor=actor)
    if record.sales_amount != amount:  # a cumulative amount that is not quantity x price
        record.sales_price, record.quantity = amount, Decimal("1")
        services.transaction_update(record=record, actor=actor)
    return record


def _on_account_category():
    category = Category.objects.filter(kind=TransactionKind.ON_ACCOUNT).order_by("pk").first()
    if category is None:
        raise ValidationError(
            _("Create a category of kind 'On-account' before billing milestones or progress.")
        )
    return category


def _billed_by_rule(rule: BillingRule, currency: str) -> tuple[Decimal, Decimal]:
    """Amount and quantity of the on-account transactions a rule has made so far. The amount is
    rounded to the contract currency's minor unit: ``Sum`` gives a 10-decimal Decimal on SQLite,
    which would make the next on-account amount too long to store."""
    totals = rule.transactions.exclude(billing_status=BillingStatus.CREDITED).aggregate(
        amount=Sum("sales_amount"), quantity=Sum("quantity")
    )
    amount = round_money(totals["amount"] or Decimal("0"), currency)
    return amount, totals["quantity"] or Decimal("0")


def active_billing_rules(contract: ProjectContract) -> list[BillingRule]:
    """The contract's active rules with projects, chargeable categories and caps (4 queries)."""
    return list(
        contract.billing_rules.filter(is_active=True)
        .prefetch_related("projects", "chargeable_categories", "caps")
        .order_by("pk")
    )


ON_ACCOUNT_RULE_TYPES = (
    BillingRuleType.MILESTONE,
    BillingRuleType.UNIT_OF_DELIVERY,
    BillingRuleType.PROGRESS_MANUAL,
    BillingRuleType.PROGRESS_AUTOMATIC,
)


@dataclass(frozen=True)
class DueAmount:
    """What one rule would record as an on-account transaction up to a date (nothing saved)."""

    rule: BillingRule
    amount: Decimal
    quantity: Decimal
    unit_price: Decimal
    description: str
    milestone: Milestone | None = None
    # A description the rule wrote: its kind and parameters, ``description`` being it in the
    # active language (``line_texts.generated``); none for a milestone's own description.
    description_kind: str = ""
    description_params: dict | None = None


def _described(kind: str, **params) -> dict:
    """The ``DueAmount`` fields of a description the rule writes."""
    return line_texts.generated(kind, **params)


def billing_rules_due(
    *, contract: ProjectContract, up_to_date: datetime.date, rules: list[BillingRule] | None = None
) -> list[DueAmount]:
    """What the contract's rules say is due up to a date: completed milestones, units delivered,
    progress. Reads only: ``billing_rules_apply`` records exactly these, and "billable now"
    previews them. No query for a contract without milestone, unit or progress rules."""
    due_amounts = []
    milestones_due: set[int] = set()  # a milestone is due once, whatever the number of rules
    currency = contract.currency
    rules = active_billing_rules(contract) if rules is None else rules
    for rule in rules:
        if rule.rule_type not in ON_ACCOUNT_RULE_TYPES or not rule.projects.all():
            continue
        billed, billed_quantity = _billed_by_rule(rule, currency)
        if rule.rule_type == BillingRuleType.MILESTONE:
            due = Milestone.objects.filter(
                contract=contract,
                status=MilestoneStatus.COMPLETED,
                completed_at__date__lte=up_to_date,
            ).exclude(transactions__isnull=False)
            for milestone in due.order_by("due_date", "sequence"):
                if milestone.pk in milestones_due:
                    continue
                milestones_due.add(milestone.pk)
                amount = milestone_value(milestone, contract)
                due_amounts.append(
                    DueAmount(rule, amount, Decimal("1"), amount, milestone.description, milestone)
                )
        elif rule.rule_type == BillingRuleType.UNIT_OF_DELIVERY:
            line = billing.unit_of_delivery_amount(
                unit_price=rule.unit_price, total_units=rule.total_units,
                units_delivered=rule.units_delivered, units_invoiced=billed_quantity, currency=currency,
            )  # fmt: skip
            if line is not None:
                due_amounts.append(
                    DueAmount(
                        rule,
                        line.amount,
                        line.quantity,
                        rule.unit_price,
                        **_described(
                            line_texts.RULE_UNITS,
                            rule=rule.name,
                            quantity=line.quantity,
                            unit=rule.unit_name,
                        ),
                    )  # fmt: skip
                )
        elif rule.rule_type == BillingRuleType.PROGRESS_MANUAL:
            line = billing.manual_progress_amount(
                contract_value=contract.contract_value, percent_complete=rule.percent_complete,
                billed_to_date=billed, currency=currency,
            )  # fmt: skip
            if line is not None:
                due_amounts.append(
                    DueAmount(
                        rule,
                        line.amount,
                        Decimal("1"),
                        line.amount,
                        **_described(
                            line_texts.RULE_PROGRESS,
                            rule=rule.name,
                            percent=rule.percent_complete,
                        ),
                    )  # fmt: skip
                )
        elif rule.rule_type == BillingRuleType.PROGRESS_AUTOMATIC:
            progress = billing.automatic_progress_amount(
                lines=_progress_budget_lines(rule, up_to_date),
                billed_to_date=billed,
                currency=currency,
            )
            if progress.line is not None:
                due_amounts.append(
                    DueAmount(
                        rule,
                        progress.line.amount,
                        Decimal("1"),
                        progress.line.amount,
                        **_described(
                            line_texts.RULE_PROGRESS,
                            rule=rule.name,
                            percent=progress.percent_complete.quantize(Decimal("0.1")),
                        ),
                    )  # fmt: skip
                )
    return due_amounts


def billing_rules_apply(
    *,
    contract: ProjectContract,
    up_to_date: datetime.date,
    actor,
    rules: list[BillingRule] | None = None,
) -> list[ProjectTransaction]:
    """Turn what the contract's rules say is due into on-account transactions: completed
    milestones, units delivered, progress. Returns the new transactions (already funded)."""
    return [
        _on_account_record(
            contract,
            due.rule,
            amount=due.amount,
            quantity=due.quantity,
            unit_price=due.unit_price,
            description=due.description,
            description_kind=due.description_kind,
            description_params=due.description_params,
            day=up_to_date,
            actor=actor,
            milestone=due.milestone,
        )
        for due in billing_rules_due(contract=contract, up_to_date=up_to_date, rules=rules)
    ]


def _progress_budget_lines(rule: BillingRule, up_to_date) -> list[billing.ProgressBudgetLine]:
    projects = list(rule.projects.all())
    budgets = (
        Budget.objects.filter(project__in=projects)
        .values("category_id")
        .annotate(cost=Sum("cost_amount"), revenue=Sum("revenue_amount"))
    )
    actual = dict(
        ProjectTransaction.objects.filter(project__in=projects, date__lte=up_to_date)
        .exclude(kind=TransactionKind.ON_ACCOUNT)
        .values_list("category_id")
        .annotate(total=Sum("cost_amount"))
    )
    return [
        billing.ProgressBudgetLine(
            category_id=row["category_id"],
            cost_budget=row["cost"],
            revenue_budget=row["revenue"],
            actual_cost=actual.get(row["category_id"], Decimal("0")),
        )
        for row in budgets
    ]
