"""Invoice proposals: generating them from the billing rules, editing drafts, and the approval
workflow (DOMAIN.md sections 4 to 6). Every function here is a service: it writes, it locks what
it changes, and it refuses a bad action with a message a clerk understands, leaving nothing half
done.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import has_transition_perm
from simple_history.utils import bulk_create_with_history

from collaboration.notifications import notifications_send, users_with_permission
from contracts.models import (
    BillingRule,
    BillingRuleType,
    Budget,
    Category,
    ContractStatus,
    InvoicingScope,
    Item,
    Milestone,
    MilestoneStatus,
    ProjectContract,
    TransactionKind,
    Worker,
)
from contracts.money import plain_number, round_money
from contracts.selectors import milestone_value
from contracts.services import with_history_user
from invoicing import billing, bulk, notification_kinds, selectors, services
from invoicing.models import (
    BillingRun,
    BillingStatus,
    InvoiceLine,
    InvoiceProposal,
    ProjectTransaction,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
    TransactionAllocation,
)

NOT_A_DRAFT = gettext_lazy("Only a draft proposal can be changed; this one is %(status)s.")
OWN_SUBMISSION = gettext_lazy("You submitted this proposal, so someone else must approve it.")
NOT_AN_APPROVER = gettext_lazy("Only approvers can approve or reject invoice proposals.")
CHANGED_AFTER_SUBMISSION = gettext_lazy(
    "The lines changed after the proposal was submitted; it must be submitted again."
)
REASON_REQUIRED = gettext_lazy("Give the reason for the rejection, so the submitter can fix it.")
EMPTY_PROPOSAL = gettext_lazy("A proposal needs at least one line before it can be submitted.")
WRONG_STATE = gettext_lazy("This proposal is %(status)s, so it cannot be %(action)s.")
LINE_ELSEWHERE = gettext_lazy(
    "This transaction's funding is also in a proposal that is no longer a draft; its price "
    "cannot change now."
)
NOTHING_TO_BILL = gettext_lazy("There is nothing to bill for this contract up to %(date)s.")

BILLABLE_WORK_KINDS = (
    TransactionKind.HOUR,
    TransactionKind.EXPENSE,
    TransactionKind.ITEM,
    TransactionKind.FEE,
)


RUN_CHUNK = 50


class NothingToBill(ValidationError):
    """The billing rules found nothing to bill (not an error in a billing run)."""


def _locked(proposal: InvoiceProposal) -> InvoiceProposal:
    return InvoiceProposal.objects.select_for_update().get(pk=proposal.pk)


def _require_draft(proposal: InvoiceProposal) -> None:
    if proposal.status != ProposalStatus.DRAFT:
        raise ValidationError(NOT_A_DRAFT % {"status": proposal.get_status_display()})


def transactions_billing_status_refresh(*, transaction_ids: Iterable[int]) -> None:
    """In proposal while any share of the transaction is on an open proposal line; otherwise
    back to uninvoiced. Invoiced and credited transactions are left alone."""
    transaction_ids = list(set(transaction_ids))
    open_lines = ProposalLine.objects.filter(transaction_id=OuterRef("pk"), is_open=True)
    candidates = ProjectTransaction.objects.filter(
        pk__in=transaction_ids,
        billing_status__in=[BillingStatus.UNINVOICED, BillingStatus.IN_PROPOSAL],
    )
    candidates.filter(Exists(open_lines)).update(billing_status=BillingStatus.IN_PROPOSAL)
    candidates.filter(~Exists(open_lines)).update(billing_status=BillingStatus.UNINVOICED)


def _bump(proposal: InvoiceProposal, actor, reason: str) -> None:
    """Count a change to the lines and say what it was in the proposal's history."""
    proposal.revision += 1
    proposal._change_reason = reason[:100]
    with_history_user(proposal, actor).save()


# ------------------------------------------------------------------------------------------
# Workflow
# ------------------------------------------------------------------------------------------


def _who(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def proposal_notification_params(proposal: InvoiceProposal) -> dict[str, str]:
    """What a notification about a proposal says: its name and what it will invoice."""
    lines = proposal.lines.select_related(
        "transaction__project__tax_group", "credited_line"
    ).order_by("pk")
    totals = selectors.proposal_totals(proposal=proposal, lines=lines)
    return {
        "proposal": str(proposal),
        "contract": proposal.contract.code,
        "amount": str(totals.gross),
        "currency": proposal.contract.currency,
    }


def _notify(proposal: InvoiceProposal, *, kind: str, recipients, actor, **extra) -> None:
    params = {**proposal_notification_params(proposal), "actor": _who(actor), **extra}
    notifications_send(
        recipients=recipients,
        kind=kind,
        params=params,
        url=proposal.get_absolute_url(),
        actor=actor,
    )


@transaction.atomic
def proposal_submit(*, proposal: InvoiceProposal, actor: AbstractBaseUser) -> InvoiceProposal:
    """Draft -> submitted. Records who submitted and the revision of the lines."""
    locked = _locked(proposal)
    if locked.status != ProposalStatus.DRAFT:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("submitted")}
        )
    if not locked.has_lines():
        raise ValidationError(EMPTY_PROPOSAL)
    locked.submit(by=actor)
    with_history_user(locked, actor).save()
    _notify(
        locked,
        kind=notification_kinds.PROPOSAL_SUBMITTED,
        recipients=users_with_permission("invoicing.approve_invoiceproposal"),
        actor=actor,
    )
    return locked


@transaction.atomic
def proposal_approve(*, proposal: InvoiceProposal, actor: AbstractBaseUser) -> InvoiceProposal:
    """Submitted -> approved, by an approver who did not submit it, and only when the lines
    did not change after submission. The row lock makes two approvals at once impossible."""
    locked = _locked(proposal)
    if locked.status != ProposalStatus.SUBMITTED:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("approved")}
        )
    if locked.submitted_by_id == actor.pk:
        raise PermissionDenied(OWN_SUBMISSION)
    if not locked.unchanged_since_submission():
        raise ValidationError(CHANGED_AFTER_SUBMISSION)
    if not has_transition_perm(locked.approve, actor):
        raise PermissionDenied(NOT_AN_APPROVER)
    locked.approve(by=actor)
    with_history_user(locked, actor).save()
    _notify(
        locked,
        kind=notification_kinds.PROPOSAL_APPROVED,
        recipients=[locked.submitted_by],
        actor=actor,
    )
    return locked


@transaction.atomic
def proposal_reject(
    *, proposal: InvoiceProposal, actor: AbstractBaseUser, reason: str
) -> InvoiceProposal:
    """Submitted -> draft, with a reason the submitter sees."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [REASON_REQUIRED]})
    locked = _locked(proposal)
    if locked.status != ProposalStatus.SUBMITTED:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("rejected")}
        )
    if not has_transition_perm(locked.reject, actor):
        raise PermissionDenied(NOT_AN_APPROVER)
    submitter = locked.submitted_by
    locked.reject(reason=reason)
    with_history_user(locked, actor).save()
    _notify(
        locked,
        kind=notification_kinds.PROPOSAL_REJECTED,
        recipients=[submitter] if submitter else [],
        actor=actor,
        reason=reason,
    )
    return locked


@transaction.atomic
def proposal_cancel(*, proposal: InvoiceProposal, actor: AbstractBaseUser) -> InvoiceProposal:
    """Draft -> cancelled: every line is freed and its transactions return to uninvoiced."""
    locked = _locked(proposal)
    if locked.status != ProposalStatus.DRAFT:
        raise ValidationError(
            WRONG_STATE % {"status": locked.get_status_display(), "action": _("cancelled")}
        )
    transaction_ids = list(
        locked.lines.exclude(transaction=None).values_list("transaction_id", flat=True)
    )
    locked.lines.update(is_open=False)
    locked.cancel()
    with_history_user(locked, actor).save()
    transactions_billing_status_refresh(transaction_ids=transaction_ids)
    return locked


# ------------------------------------------------------------------------------------------
# Editing a draft
# ------------------------------------------------------------------------------------------


@transaction.atomic
def proposal_line_remove(
    *, proposal: InvoiceProposal, line: ProposalLine, actor: AbstractBaseUser
) -> None:
    """Remove a line from a draft; its transaction returns to uninvoiced (unless another open
    proposal still holds another funder's share of it)."""
    locked = _locked(proposal)
    _require_draft(locked)
    line = locked.lines.get(pk=line.pk)
    transaction_id = line.transaction_id
    line.delete()
    _bump(locked, actor, _("Removed: %(line)s") % {"line": line.description})
    if transaction_id:
        transactions_billing_status_refresh(transaction_ids=[transaction_id])


@transaction.atomic
def proposal_fee_add(
    *, proposal: InvoiceProposal, description: str, amount: Decimal, actor: AbstractBaseUser
) -> ProposalLine:
    """Add a fee line to a draft."""
    locked = _locked(proposal)
    _require_draft(locked)
    line = ProposalLine(
        proposal=locked,
        line_type=ProposalLineType.FEE,
        kind=TransactionKind.FEE,
        description=description,
        amount=round_money(amount, locked.contract.currency),
    )
    line.full_clean()
    line.save()
    _bump(locked, actor, _("Fee added: %(line)s") % {"line": description})
    return line


@transaction.atomic
def proposal_line_price_change(
    *, proposal: InvoiceProposal, line: ProposalLine, sales_price: Decimal, actor: AbstractBaseUser
) -> ProposalLine:
    """Change the sales price of a draft line's transaction; its funding is allocated again and
    every funder's share is updated on its own draft proposal."""
    locked = _locked(proposal)
    _require_draft(locked)
    line = locked.lines.select_related("transaction").get(pk=line.pk)
    record = ProjectTransaction.objects.select_for_update().get(pk=line.transaction_id)
    open_lines = list(
        ProposalLine.objects.select_for_update(of=("self",))
        .filter(transaction=record, is_open=True)
        .select_related("proposal")
    )
    if any(other.proposal.status != ProposalStatus.DRAFT for other in open_lines):
        raise ValidationError(LINE_ELSEWHERE)
    drafts = {other.proposal.funding_source_id: other.proposal for other in open_lines}
    for other in open_lines:
        other.delete()
    ProjectTransaction.objects.filter(pk=record.pk).update(billing_status=BillingStatus.UNINVOICED)
    record.billing_status = BillingStatus.UNINVOICED
    record.sales_price = sales_price
    services.transaction_update(record=record, actor=actor)
    new_line = None
    for allocation in record.allocations.select_related("source"):
        if allocation.source_id is None or allocation.is_on_hold:
            continue
        target = drafts.get(allocation.source_id) or _draft_for(locked, allocation.source, actor)
        created = _transaction_line(target, allocation, record)
        if allocation.source_id == locked.funding_source_id:
            new_line = created
    for target in {*drafts.values(), locked}:
        _bump(
            _locked(target),
            actor,
            _("Price changed to %(price)s: %(line)s")
            % {"price": plain_number(sales_price), "line": record.description or record.pk},
        )
    transactions_billing_status_refresh(transaction_ids=[record.pk])
    return new_line


def _draft_for(proposal: InvoiceProposal, source, actor) -> InvoiceProposal:
    return InvoiceProposal.objects.create(
        contract=proposal.contract,
        funding_source=source,
        project=proposal.project,
        kind=proposal.kind,
        up_to_date=proposal.up_to_date,
        created_by=actor,
    )


def _transaction_line(
    proposal: InvoiceProposal, allocation: TransactionAllocation, record, *, save: bool = True
) -> ProposalLine:
    """The line billing one funder's share of a transaction (saved unless ``save=False``, for
    callers that insert many lines at once)."""
    share = allocation.amount
    unit_price = record.sales_price if share == record.sales_amount else None
    line = ProposalLine(
        proposal=proposal,
        line_type=ProposalLineType.TRANSACTION,
        allocation=allocation,
        transaction=record,
        kind=record.kind,
        description=_line_description(record),
        quantity=record.quantity,
        unit_price=unit_price,
        amount=share,
    )
    if save:
        line.save()
    return line


def _line_description(record: ProjectTransaction) -> str:
    parts = [record.date.isoformat(), record.category.name if record.category_id else ""]
    if record.worker_id:
        parts.append(record.worker.name)
    elif record.item_id:
        parts.append(record.item.name)
    if record.description:
        parts.append(record.description)
    return " · ".join(part for part in parts if part)[:500]


# ------------------------------------------------------------------------------------------
# Generating proposals from the billing rules
# ------------------------------------------------------------------------------------------


def _on_account_record(
    contract, rule, *, amount, quantity, unit_price, description, day, actor, milestone=None
):
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


def _billed_by_rule(rule: BillingRule) -> tuple[Decimal, Decimal]:
    """Amount and quantity of the on-account transactions a rule has made so far."""
    totals = rule.transactions.exclude(billing_status=BillingStatus.CREDITED).aggregate(
        amount=Sum("sales_amount"), quantity=Sum("quantity")
    )
    return totals["amount"] or Decimal("0"), totals["quantity"] or Decimal("0")


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


def billing_rules_apply(
    *,
    contract: ProjectContract,
    up_to_date: datetime.date,
    actor,
    rules: list[BillingRule] | None = None,
) -> list[ProjectTransaction]:
    """Turn what the contract's rules say is due into on-account transactions: completed
    milestones, units delivered, progress. Returns the new transactions (already funded)."""
    created = []
    currency = contract.currency
    rules = active_billing_rules(contract) if rules is None else rules
    for rule in rules:
        if rule.rule_type not in ON_ACCOUNT_RULE_TYPES or not rule.projects.all():
            continue
        billed, billed_quantity = _billed_by_rule(rule)
        if rule.rule_type == BillingRuleType.MILESTONE:
            due = Milestone.objects.filter(
                contract=contract,
                status=MilestoneStatus.COMPLETED,
                completed_at__date__lte=up_to_date,
            ).exclude(transactions__isnull=False)
            for milestone in due.order_by("due_date", "sequence"):
                amount = milestone_value(milestone, contract)
                created.append(
                    _on_account_record(
                        contract,
                        rule,
                        amount=amount,
                        quantity=Decimal("1"),
                        unit_price=amount,
                        description=milestone.description,
                        day=up_to_date,
                        actor=actor,
                        milestone=milestone,
                    )  # fmt: skip
                )
        elif rule.rule_type == BillingRuleType.UNIT_OF_DELIVERY:
            line = billing.unit_of_delivery_amount(
                unit_price=rule.unit_price, total_units=rule.total_units,
                units_delivered=rule.units_delivered, units_invoiced=billed_quantity, currency=currency,
            )  # fmt: skip
            if line is not None:
                created.append(
                    _on_account_record(
                        contract,
                        rule,
                        amount=line.amount,
                        quantity=line.quantity,
                        unit_price=rule.unit_price,
                        description=f"{rule.name}: {plain_number(line.quantity)} {rule.unit_name}",
                        day=up_to_date,
                        actor=actor,
                    )  # fmt: skip
                )
        elif rule.rule_type == BillingRuleType.PROGRESS_MANUAL:
            line = billing.manual_progress_amount(
                contract_value=contract.contract_value, percent_complete=rule.percent_complete,
                billed_to_date=billed, currency=currency,
            )  # fmt: skip
            if line is not None:
                created.append(
                    _on_account_record(
                        contract,
                        rule,
                        amount=line.amount,
                        quantity=Decimal("1"),
                        unit_price=line.amount,
                        description=f"{rule.name}: {plain_number(rule.percent_complete)} %",
                        day=up_to_date,
                        actor=actor,
                    )  # fmt: skip
                )
        elif rule.rule_type == BillingRuleType.PROGRESS_AUTOMATIC:
            progress = billing.automatic_progress_amount(
                lines=_progress_budget_lines(rule, up_to_date),
                billed_to_date=billed,
                currency=currency,
            )
            if progress.line is not None:
                created.append(
                    _on_account_record(
                        contract,
                        rule,
                        amount=progress.line.amount,
                        quantity=Decimal("1"),
                        unit_price=progress.line.amount,
                        day=up_to_date,
                        actor=actor,
                        description=f"{rule.name}: {progress.percent_complete.quantize(Decimal('0.1'))} %",
                    )  # fmt: skip
                )
    return created


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


@dataclass(frozen=True, slots=True)
class BillableShare:
    """One funder's share of a transaction, as much as billing needs (no model instances:
    a billing run reads hundreds of thousands of these)."""

    pk: int
    amount: Decimal
    source_id: int
    transaction_id: int
    kind: str
    project_id: int
    project_parent_id: int | None
    category_id: int
    quantity: Decimal
    sales_price: Decimal
    sales_amount: Decimal
    description: str


_SHARE_FIELDS = (
    "pk",
    "amount",
    "source_id",
    "transaction_id",
    "transaction__kind",
    "transaction__project_id",
    "transaction__project__parent_id",
    "transaction__category_id",
    "transaction__quantity",
    "transaction__sales_price",
    "transaction__sales_amount",
    "transaction__date",
    "transaction__worker_id",
    "transaction__item_id",
    "transaction__description",
)


@dataclass(frozen=True)
class LineNames:
    """Names of categories, workers and items, read once (they are small tables) so that the
    billable query needs no joins to them."""

    categories: dict
    workers: dict
    items: dict

    @classmethod
    def load(cls) -> LineNames:
        return cls(
            dict(Category.objects.values_list("pk", "name")),
            dict(Worker.objects.values_list("pk", "name")),
            dict(Item.objects.values_list("pk", "name")),
        )


def _share(row, names: LineNames) -> BillableShare:
    (pk, amount, source_id, transaction_id, kind, project_id, parent_id, category_id, quantity,
     sales_price, sales_amount, day, worker_id, item_id, text) = row  # fmt: skip
    who = names.workers.get(worker_id) or names.items.get(item_id) or ""
    parts = [day.isoformat(), names.categories.get(category_id, ""), who, text or ""]
    return BillableShare(
        pk, amount, source_id, transaction_id, kind, project_id, parent_id, category_id,
        quantity, sales_price, sales_amount, " · ".join(part for part in parts if part)[:500],
    )  # fmt: skip


def billable_allocations(
    *,
    contract: ProjectContract,
    up_to_date: datetime.date,
    rules: list[BillingRule] | None = None,
    names: LineNames | None = None,
):
    """Funded shares of the contract's transactions that can be billed now: uninvoiced,
    chargeable, dated up to the date, not on hold, not on an open proposal, and covered by a
    time-and-material rule (work) or made by a rule (on-account). Not-to-exceed caps leave the
    transactions beyond the cap uninvoiced (they are reported, not billed, as D365 holds them).
    A fixed number of queries whatever the number of transactions."""
    open_line = ProposalLine.objects.filter(allocation=OuterRef("pk"), is_open=True)
    rows = (
        TransactionAllocation.objects.filter(
            transaction__project__contract=contract,
            transaction__billing_status__in=[BillingStatus.UNINVOICED, BillingStatus.IN_PROPOSAL],
            transaction__is_chargeable=True,
            transaction__date__lte=up_to_date,
            source__isnull=False,
            is_on_hold=False,
        )
        .exclude(Exists(open_line))
        .order_by("transaction__date", "transaction_id", "pk")
        .values_list(*_SHARE_FIELDS)
    )
    rules = active_billing_rules(contract) if rules is None else rules
    coverage = []
    for rule in rules:
        if rule.rule_type != BillingRuleType.TIME_AND_MATERIAL:
            continue
        project_ids = {project.pk for project in rule.projects.all()}
        categories = {category.pk for category in rule.chargeable_categories.all()}
        caps = {cap.category_id: cap.amount for cap in rule.caps.all()}
        coverage.append((project_ids, categories, caps))
    billed_per_category = _billed_per_category(contract) if any(c[2] for c in coverage) else {}
    used_per_category: dict[int, Decimal] = defaultdict(Decimal)
    capped = []
    chosen = []
    names = names or LineNames.load()
    for row in rows:
        share = _share(row, names)
        if share.kind == TransactionKind.ON_ACCOUNT:
            chosen.append(share)
            continue
        rule = next(
            (
                (projects, categories, caps)
                for projects, categories, caps in coverage
                if _covers(projects, share.project_id, share.project_parent_id)
                and (not categories or share.category_id in categories)
            ),
            None,
        )
        if rule is None:
            continue
        cap = rule[2].get(share.category_id)
        if cap is not None:
            already = billed_per_category.get(share.category_id, Decimal("0"))
            if already + used_per_category[share.category_id] + share.amount > cap:
                capped.append(share)
                continue
            used_per_category[share.category_id] += share.amount
        chosen.append(share)
    return chosen, capped


def _has_prepayments(contract: ProjectContract) -> bool:
    return ProjectTransaction.objects.filter(
        project__contract=contract,
        kind=TransactionKind.ON_ACCOUNT,
        billing_rule__isnull=True,
        milestone__isnull=True,
    ).exists()


def _covers(project_ids: set, project_id: int, parent_id: int | None) -> bool:
    return project_id in project_ids or (parent_id is not None and parent_id in project_ids)


LINE_FIELDS = (
    "proposal_id",
    "line_type",
    "allocation_id",
    "transaction_id",
    "kind",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "is_open",
)


def _fee_row(proposal_id: int, *, description: str, amount: Decimal) -> tuple:
    return (
        proposal_id, ProposalLineType.FEE, None, None, TransactionKind.FEE, description,
        Decimal("1"), None, amount, True,
    )  # fmt: skip


def _line_row(proposal_id: int, share: BillableShare) -> tuple:
    """A transaction line in ``LINE_FIELDS`` order, for the bulk insert."""
    unit_price = share.sales_price if share.amount == share.sales_amount else None
    return (
        proposal_id, ProposalLineType.TRANSACTION, share.pk, share.transaction_id, share.kind,
        share.description, share.quantity, unit_price, share.amount, True,
    )  # fmt: skip


def _billed_per_category(contract) -> dict[int, Decimal]:
    """What invoices and open proposals already bill per category (for not-to-exceed caps)."""
    rows = (
        ProposalLine.objects.filter(
            proposal__contract=contract,
            line_type=ProposalLineType.TRANSACTION,
        )
        .filter(Q(is_open=True) | Q(proposal__status=ProposalStatus.POSTED))
        .values_list("transaction__category_id")
        .annotate(total=Sum("amount"))
    )
    return defaultdict(Decimal, dict(rows))


@transaction.atomic
def proposals_generate(
    *,
    contract: ProjectContract,
    up_to_date: datetime.date,
    actor: AbstractBaseUser,
    split_by_kind: bool = False,
    names: LineNames | None = None,
    rules: list[BillingRule] | None = None,
) -> list[InvoiceProposal]:
    """Run the contract's billing rules up to a date and make one draft proposal per funding
    source (and per project when the contract is invoiced per project, and per transaction kind
    when asked). Fee rules add their fee on the hours of each proposal."""
    ProjectContract.objects.select_for_update().filter(pk=contract.pk).first()
    rules = active_billing_rules(contract) if rules is None else rules
    billing_rules_apply(contract=contract, up_to_date=up_to_date, actor=actor, rules=rules)
    chosen, _capped = billable_allocations(
        contract=contract, up_to_date=up_to_date, rules=rules, names=names
    )
    if not chosen:
        raise NothingToBill(NOTHING_TO_BILL % {"date": up_to_date.isoformat()})
    groups: dict[tuple, list[TransactionAllocation]] = defaultdict(list)
    per_project = contract.invoicing_scope == InvoicingScope.PER_PROJECT
    for share in chosen:
        key = (
            share.source_id,
            (share.project_parent_id or share.project_id) if per_project else None,
            share.kind if split_by_kind else "",
        )
        groups[key].append(share)
    fee_rules = [rule for rule in rules if rule.rule_type == BillingRuleType.FEE]
    ordered = sorted(groups.items(), key=lambda item: tuple(str(v) for v in item[0]))
    # All proposals of the contract in one insert, their history in another, their lines in
    # one COPY: a billing run's queries grow with contracts, not with transactions.
    proposals = bulk_create_with_history(
        [
            InvoiceProposal(
                contract=contract,
                funding_source_id=shares[0].source_id,
                project_id=project_id,
                kind=kind,
                up_to_date=up_to_date,
                created_by=actor,
            )
            for (_source_id, project_id, kind), shares in ordered
        ],
        InvoiceProposal,
        default_user=actor,
    )
    rows = []
    for proposal, (_key, shares) in zip(proposals, ordered, strict=True):
        rows += [_line_row(proposal.pk, share) for share in shares]
        for rule in fee_rules:
            project_ids = {project.pk for project in rule.projects.all()}
            base = sum(
                (share.amount for share in shares if share.kind == TransactionKind.HOUR and _covers(project_ids, share.project_id, share.project_parent_id)),
                start=Decimal("0"),
            )  # fmt: skip
            if base:
                fee = billing.fee_line(
                    base_amount=base, fee_percent=rule.fee_percent, currency=contract.currency
                )
                rows.append(_fee_row(proposal.pk,
                    description=_("%(rule)s: %(percent)s %% of %(base)s") % {"rule": rule.name, "percent": plain_number(rule.fee_percent), "base": formats.number_format(base, 2, use_l10n=True, force_grouping=True)},
                    amount=fee.amount,
                ))  # fmt: skip
    bulk.rows_insert(ProposalLine, LINE_FIELDS, rows, ids=False)
    if _has_prepayments(contract):
        prepayment_deductions(contract=contract, proposals=proposals)
    # Every chosen share is now on an open line: its transaction is in a proposal.
    ProjectTransaction.objects.filter(
        pk__in={share.transaction_id for share in chosen}, billing_status=BillingStatus.UNINVOICED
    ).update(billing_status=BillingStatus.IN_PROPOSAL)
    return proposals


@transaction.atomic
def proposal_create_manual(
    *,
    contract: ProjectContract,
    allocation_ids: Sequence[int],
    up_to_date: datetime.date,
    actor: AbstractBaseUser,
) -> list[InvoiceProposal]:
    """Proposals from hand-picked funded shares (one proposal per funding source)."""
    shares = list(
        TransactionAllocation.objects.select_for_update(of=("self",))
        .filter(
            pk__in=allocation_ids, transaction__project__contract=contract, source__isnull=False
        )
        .select_related(
            "source",
            "transaction",
            "transaction__category",
            "transaction__worker",
            "transaction__item",
        )
        .order_by("pk")
    )
    if not shares:
        raise ValidationError(_("Pick at least one line to bill."))
    taken = ProposalLine.objects.filter(allocation__in=shares, is_open=True).select_related(
        "proposal"
    )
    if taken:
        raise ValidationError(
            _("Some lines are already in an open proposal: %(proposals)s.")
            % {"proposals": ", ".join(sorted({f"#{line.proposal_id}" for line in taken}))}
        )
    by_source = defaultdict(list)
    for share in shares:
        by_source[share.source].append(share)
    proposals = []
    for source, source_shares in sorted(by_source.items(), key=lambda item: item[0].pk):
        proposal = InvoiceProposal.objects.create(
            contract=contract, funding_source=source, up_to_date=up_to_date, created_by=actor
        )
        ProposalLine.objects.bulk_create(
            [
                _transaction_line(proposal, share, share.transaction, save=False)
                for share in source_shares
            ]
        )
        proposals.append(proposal)
    transactions_billing_status_refresh(transaction_ids=[share.transaction_id for share in shares])
    return proposals


def billing_run_execute(*, run_id: int) -> None:
    """Generate proposals for every active contract up to the run's date. Contracts are
    committed in chunks (fewer commits) and each contract is its own savepoint, so one
    contract's problem rolls back only that contract and is recorded; the others go on."""
    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    contracts = list(ProjectContract.objects.filter(status=ContractStatus.ACTIVE).order_by("pk"))
    BillingRun.objects.filter(pk=run_id).update(total_contracts=len(contracts))
    names = LineNames.load()
    rules_by_contract: dict[int, list[BillingRule]] = defaultdict(list)
    all_rules = (
        BillingRule.objects.filter(contract__in=contracts, is_active=True)
        .prefetch_related("projects", "chargeable_categories", "caps")
        .order_by("pk")
    )
    for rule in all_rules:
        rules_by_contract[rule.contract_id].append(rule)
    created, problems = 0, []
    for start in range(0, len(contracts), RUN_CHUNK):
        chunk = contracts[start : start + RUN_CHUNK]
        with transaction.atomic():
            for contract in chunk:
                try:
                    created += len(
                        proposals_generate(
                            contract=contract,
                            up_to_date=run.up_to_date,
                            actor=run.created_by,
                            split_by_kind=run.split_by_kind,
                            names=names,
                            rules=rules_by_contract[contract.pk],
                        )
                    )
                except NothingToBill:
                    pass
                except ValidationError as refused:
                    problems.append([contract.code, " ".join(refused.messages)])
        BillingRun.objects.filter(pk=run_id).update(
            processed_contracts=start + len(chunk), proposals_created=created
        )
    BillingRun.objects.filter(pk=run_id).update(
        status=BillingRun.Status.DONE, problems=problems, finished_at=timezone.now()
    )


def proposals_at_thresholds(*, rule_id: int, previous_percent, current_percent, actor) -> list:
    """A rule that asks for it creates its proposals by itself when its completion crosses
    25, 50, 75 or 100 %. Nothing to bill is not an error here."""
    rule = BillingRule.objects.select_related("contract").get(pk=rule_id)
    if not rule.propose_at_thresholds or actor is None:
        return []
    crossed = billing.thresholds_crossed(
        previous_percent=previous_percent, current_percent=current_percent
    )
    if not crossed:
        return []
    try:
        return proposals_generate(
            contract=rule.contract, up_to_date=timezone.localdate(), actor=actor
        )
    except NothingToBill:
        return []


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


def retention_ledger(*, contract: ProjectContract, funding_source_id: int) -> dict[str, Decimal]:
    """Retention withheld on the funder's posted invoices (their retention lines) and released
    so far on open proposals or posted ones."""
    withheld = InvoiceLine.objects.filter(
        invoice__contract=contract,
        invoice__funding_source_id=funding_source_id,
        line_type="retention",
    ).aggregate(total=Sum("amount"))["total"]
    released = (
        ProposalLine.objects.filter(
            proposal__contract=contract,
            proposal__funding_source_id=funding_source_id,
            line_type=ProposalLineType.RETENTION_RELEASE,
        )
        .filter(Q(is_open=True) | Q(proposal__status=ProposalStatus.POSTED))
        .aggregate(total=Sum("amount"))["total"]
    )
    return {"retained": -(withheld or Decimal("0")), "released": released or Decimal("0")}


NOTHING_RETAINED = gettext_lazy(
    "Nothing is retained for this funder, so there is nothing to release."
)


@transaction.atomic
def proposal_retention_release_add(
    *, proposal: InvoiceProposal, actor: AbstractBaseUser
) -> ProposalLine:
    """Release on a draft what is still retained for its funder (never more than retained)."""
    locked = _locked(proposal)
    _require_draft(locked)
    ledger = retention_ledger(contract=locked.contract, funding_source_id=locked.funding_source_id)
    line = billing.retention_release_line(
        retained_to_date=ledger["retained"],
        released_to_date=ledger["released"],
        currency=locked.contract.currency,
    )
    if line is None:
        raise ValidationError(NOTHING_RETAINED)
    created = ProposalLine.objects.create(
        proposal=locked,
        line_type=ProposalLineType.RETENTION_RELEASE,
        description=_("Release of retained amounts"),
        amount=line.amount,
    )
    _bump(locked, actor, _("Retention released: %(amount)s") % {"amount": line.amount})
    return created
