"""Generating proposals: which funded shares can be billed now (time-and-material coverage,
not-to-exceed caps), one draft per funder (per project, per kind), fee lines, prepayment
deductions; and by hand-picked shares. The automations that call it are in
``invoicing/automations.py``."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from contracts.models import (
    BillingRule,
    BillingRuleType,
    Category,
    InvoicingScope,
    Item,
    ProjectContract,
    TransactionKind,
    Worker,
)
from invoicing.proposals import billing, line_texts
from invoicing.proposals.derived import (
    covers,
    generated_proposals_derived_lines,
    hour_base,
    proposal_derived_lines_refresh,
)
from invoicing.proposals.drafts import part_described, transaction_line_build
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)
from invoicing.proposals.prepayments import contract_has_prepayments
from invoicing.proposals.rules import active_billing_rules, billing_rules_apply
from invoicing.proposals.shares import FIGURE_FIELDS, share_figures, shares_with_figures
from invoicing.proposals.state import (
    NOTHING_TO_BILL,
    NothingToBill,
    ProposalActor,
    acting_user,
    history_reason,
    proposal_create_allowed,
    transactions_billing_status_refresh,
)
from invoicing.transactions import bulk
from invoicing.transactions.models import BillingStatus, TransactionAllocation

BILLABLE_WORK_KINDS = (
    TransactionKind.HOUR,
    TransactionKind.EXPENSE,
    TransactionKind.ITEM,
    TransactionKind.FEE,
)


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
    share_amount: Decimal | None = None  # the whole share, when ``amount`` bills part of it
    is_waiting: bool = False  # part of the share is on an open proposal; the rest waits
    # A description with a kind (a billing rule's transaction): ``description`` is it in the
    # active language, the line shows it in its reader's (``line_texts.transaction_line``).
    description_kind: str = ""
    description_params: dict | None = None
    # Shares summed for a preview (``billable.billable_preview``) stand for many transactions
    # (``transaction_id`` None); this says whether they are a prepayment's.
    is_prepayment: bool = False


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
    "transaction__description_kind",
    "transaction__description_params",
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


def _share(row, names: LineNames) -> BillableShare | None:
    """The share of a ``billable_rows`` row (without its contract id) with what is left of it to
    bill as its amount; None when nothing is left."""
    (pk, amount, source_id, transaction_id, kind, project_id, parent_id, category_id, quantity,
     sales_price, sales_amount, day, worker_id, item_id, text, text_kind, text_params,
     *line_figures) = row  # fmt: skip
    figures = share_figures(amount, *line_figures)
    left = figures.billable
    if not left:
        return None
    who = names.workers.get(worker_id) or names.items.get(item_id) or ""
    parts = [day.isoformat(), names.categories.get(category_id, ""), who]
    described = line_texts.transaction_line(parts, text or "", text_kind or "", text_params)
    return BillableShare(
        pk, left, source_id, transaction_id, kind, project_id, parent_id, category_id,
        quantity, sales_price, sales_amount, described["description"],
        amount, bool(figures.in_proposal), described["description_kind"],
        described["description_params"],
    )  # fmt: skip


def billable_shares(rows, names: LineNames):
    """The shares of ``billable_rows`` rows (contract id first) that have something left."""
    for row in rows:
        share = _share(row[1:], names)
        if share is not None:
            yield row[0], share


def billable_rows(*, contract_ids, up_to_date: datetime.date):
    """The funded shares of the contracts' transactions that may have something left to bill by
    the date: chargeable, dated up to the date, not on hold, of a transaction not wholly
    invoiced or credited; with what lines already did to them. One query, each row the
    contract's id, then ``_SHARE_FIELDS``, then ``FIGURE_FIELDS``; ``billable_shares``
    keeps those with something left."""
    allocations = TransactionAllocation.objects.filter(
        transaction__project__contract_id__in=contract_ids,
        transaction__billing_status__in=BILLABLE_STATUSES,
        transaction__is_chargeable=True,
        transaction__date__lte=up_to_date,
        source__isnull=False,
        is_on_hold=False,
    )
    return (
        shares_with_figures(allocations)
        .order_by("transaction__date", "transaction_id", "pk")
        .values_list("transaction__project__contract_id", *_SHARE_FIELDS, *FIGURE_FIELDS)
    )


# A transaction in another state has nothing left to bill.
BILLABLE_STATUSES = (
    BillingStatus.UNINVOICED,
    BillingStatus.IN_PROPOSAL,
    BillingStatus.PARTLY_INVOICED,
)


def rules_coverage(rules: list[BillingRule]) -> list[tuple]:
    """Projects, chargeable categories and caps of each time-and-material rule (no query when
    the rules come with their prefetches)."""
    coverage = []
    for rule in rules:
        if rule.rule_type != BillingRuleType.TIME_AND_MATERIAL:
            continue
        project_ids = {project.pk for project in rule.projects.all()}
        categories = {category.pk for category in rule.chargeable_categories.all()}
        caps = {cap.category_id: cap.amount for cap in rule.caps.all()}
        coverage.append((project_ids, categories, caps))
    return coverage


def shares_choose(shares, *, coverage: list[tuple], billed_per_category: dict):
    """Which shares a billing run bills (in order): on-account always, work when a
    time-and-material rule covers it, as far as its category's not-to-exceed cap has room. A
    share that crosses the cap is split at it: the part within is chosen, the rest is returned
    apart as over the cap (with a share whose billed part waits on an open proposal), so what
    is billed never depends on how the work was divided into transactions. No query."""
    used_per_category: dict[int, Decimal] = defaultdict(Decimal)
    capped = []
    chosen = []
    for share in shares:
        if share.is_waiting:
            capped.append(share)
            continue
        if share.kind == TransactionKind.ON_ACCOUNT:
            chosen.append(share)
            continue
        rule = next(
            (
                (projects, categories, caps)
                for projects, categories, caps in coverage
                if covers(projects, share.project_id, share.project_parent_id)
                and (not categories or share.category_id in categories)
            ),
            None,
        )
        if rule is None:
            continue
        cap = rule[2].get(share.category_id)
        if cap is not None:
            already = billed_per_category.get(share.category_id, Decimal("0"))
            room = cap - already - used_per_category[share.category_id]
            within, over = billing.cap_split(amount=share.amount, room=room)
            if over:
                capped.append(replace(share, amount=over))
            if not within:
                continue
            used_per_category[share.category_id] += within
            share = replace(share, amount=within)
        chosen.append(share)
    return chosen, capped


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
    part of a share beyond the cap uninvoiced (reported apart as over the cap). A fixed number
    of queries whatever the number of transactions."""
    rows = billable_rows(contract_ids=[contract.pk], up_to_date=up_to_date)
    rules = active_billing_rules(contract) if rules is None else rules
    coverage = rules_coverage(rules)
    billed = billed_per_category([contract.pk]) if any(c[2] for c in coverage) else {}
    names = names or LineNames.load()
    return shares_choose(
        (share for _contract_id, share in billable_shares(rows, names)),
        coverage=coverage,
        billed_per_category=billed.get(contract.pk, {}),
    )


def proposal_groups(contract: ProjectContract, chosen, *, split_by_kind: bool = False) -> list:
    """The chosen shares by proposal: per funder (per project when the contract is invoiced per
    project, per kind when asked), in the order proposals are made."""
    groups: dict[tuple, list[BillableShare]] = defaultdict(list)
    per_project = contract.invoicing_scope == InvoicingScope.PER_PROJECT
    for share in chosen:
        key = (
            share.source_id,
            (share.project_parent_id or share.project_id) if per_project else None,
            share.kind if split_by_kind else "",
        )
        groups[key].append(share)
    return sorted(groups.items(), key=lambda item: tuple(str(v) for v in item[0]))


def proposal_fees(contract: ProjectContract, fee_rules: list[BillingRule], shares) -> list:
    """The fee lines of one proposal's shares: (rule, base, fee line) per fee rule whose projects
    bill hours in it. No query when the rules come with their projects."""
    fees = []
    for rule in fee_rules:
        base = hour_base(
            rule,
            (
                (share.project_id, share.project_parent_id, share.amount)
                for share in shares
                if share.kind == TransactionKind.HOUR
            ),
        )
        if base:
            fee = billing.fee_line(
                base_amount=base, fee_percent=rule.fee_percent, currency=contract.currency
            )
            fees.append((rule, base, fee))
    return fees


LINE_FIELDS = (
    "proposal_id",
    "line_type",
    "allocation_id",
    "transaction_id",
    "kind",
    "description",
    "description_kind",
    "description_params",
    "original_description",
    "quantity",
    "unit_price",
    "amount",
    "is_open",
)


def _line_row(proposal_id: int, share: BillableShare) -> tuple:
    """A transaction line in ``LINE_FIELDS`` order, for the bulk insert. A line that bills part
    of its share (at a not-to-exceed cap) says which part in its description."""
    unit_price = share.sales_price if share.amount == share.sales_amount else None
    described = {
        "description": share.description,
        "description_kind": share.description_kind,
        "description_params": share.description_params or {},
    }
    if share.share_amount is not None:
        described = part_described(described, share.amount, share.share_amount)
    return (
        proposal_id, ProposalLineType.TRANSACTION, share.pk, share.transaction_id, share.kind,
        described["description"], described["description_kind"], described["description_params"],
        "", share.quantity, unit_price, share.amount, True,
    )  # fmt: skip


def billed_per_category(contract_ids) -> dict[int, dict[int, Decimal]]:
    """Per contract and category, what invoices and open proposals already bill, less what
    posted credit notes took back (for not-to-exceed caps); one query."""
    rows = (
        ProposalLine.objects.filter(
            proposal__contract_id__in=contract_ids,
            transaction__isnull=False,
        )
        .filter(
            Q(line_type=ProposalLineType.TRANSACTION, is_open=True)
            | Q(
                line_type__in=[ProposalLineType.TRANSACTION, ProposalLineType.CREDIT],
                proposal__status=ProposalStatus.POSTED,
            )
        )
        .values_list("proposal__contract_id", "transaction__category_id")
        .annotate(total=Sum("amount"))
    )
    billed: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for contract_id, category_id, total in rows:
        billed[contract_id][category_id] += total
    return billed


@transaction.atomic
def proposals_generate(
    *,
    contract: ProjectContract,
    up_to_date: datetime.date,
    actor: ProposalActor,
    split_by_kind: bool = False,
    names: LineNames | None = None,
    rules: list[BillingRule] | None = None,
    status_pending: set[int] | None = None,
) -> list[InvoiceProposal]:
    """Run the contract's billing rules up to a date and make one draft proposal per funding
    source (and per project when the contract is invoiced per project, and per transaction kind
    when asked). Fee rules add their fee on the hours of each proposal. The actor is a user
    who may create proposals, or the contract's ``Automation``. With ``status_pending`` the
    billed transactions are added to it instead of having their billing status refreshed: the
    caller refreshes them, in the same database transaction, for many contracts at once (a
    billing run's chunk)."""
    proposal_create_allowed(actor)
    user = acting_user(actor)
    ProjectContract.objects.select_for_update().filter(pk=contract.pk).first()
    rules = active_billing_rules(contract) if rules is None else rules
    billing_rules_apply(contract=contract, up_to_date=up_to_date, actor=user, rules=rules)
    chosen, _capped = billable_allocations(
        contract=contract, up_to_date=up_to_date, rules=rules, names=names
    )
    if not chosen:
        raise NothingToBill(NOTHING_TO_BILL % {"date": up_to_date.isoformat()})
    ordered = proposal_groups(contract, chosen, split_by_kind=split_by_kind)
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
                created_by=user,
            )
            for (_source_id, project_id, kind), shares in ordered
        ],
        InvoiceProposal,
        default_user=user,
        default_change_reason=history_reason(actor),
    )
    rows = []
    for proposal, (_key, shares) in zip(proposals, ordered, strict=True):
        rows += [_line_row(proposal.pk, share) for share in shares]
    bulk.rows_insert(ProposalLine, LINE_FIELDS, rows, ids=False)
    # Fee lines and prepayment deductions are derived from the lines, as on every draft edit.
    generated_proposals_derived_lines(
        proposals, rules=rules, prepayments=contract_has_prepayments(contract)
    )
    # Every chosen share is now on an open line: its transaction's status follows.
    billed = {share.transaction_id for share in chosen if share.transaction_id}
    if status_pending is None:
        transactions_billing_status_refresh(transaction_ids=billed)
    else:
        status_pending |= billed
    return proposals


@transaction.atomic
def proposal_create_manual(
    *,
    contract: ProjectContract,
    allocation_ids: Sequence[int],
    up_to_date: datetime.date,
    actor: AbstractBaseUser,
) -> list[InvoiceProposal]:
    """Proposals from hand-picked funded shares (one proposal per funding source), each line
    billing what is left of its share, within not-to-exceed caps as a billing run would."""
    proposal_create_allowed(actor)
    picked = list(
        shares_with_figures(
            TransactionAllocation.objects.select_for_update(of=("self",)).filter(
                pk__in=allocation_ids, transaction__project__contract=contract, source__isnull=False
            )
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
    taken = ProposalLine.objects.filter(
        allocation__in=picked, is_open=True, line_type=ProposalLineType.TRANSACTION
    ).select_related("proposal")
    if taken:
        raise ValidationError(
            _("Some lines are already in an open proposal: %(proposals)s.")
            % {"proposals": ", ".join(sorted({f"#{line.proposal_id}" for line in taken}))}
        )
    # What a billing run would bill of each share: a share it splits at a not-to-exceed cap is
    # billed in part here too, one all over the cap not at all; others bill what is left.
    chosen, capped = billable_allocations(contract=contract, up_to_date=up_to_date)
    within = {share.pk: share.amount for share in chosen}
    over = {share.pk for share in capped} - set(within)
    left = {}
    for share in picked:
        figures = share_figures(share.amount, *(getattr(share, name) for name in FIGURE_FIELDS))
        amount = within.get(share.pk, figures.billable)
        if amount and share.pk not in over:
            left[share.pk] = amount
    if not picked:
        raise ValidationError(_("Pick at least one line to bill."))
    picked = [share for share in picked if share.pk in left]
    if not picked:  # e.g. another proposal took the room under the cap since the page was shown
        raise ValidationError(
            _(
                "None of the lines you picked can be billed now: they are over a not-to-exceed "
                "cap or already billed. Reload the page to see what is billable."
            )
        )
    by_source = defaultdict(list)
    for share in picked:
        by_source[share.source].append(share)
    proposals = []
    for source, source_shares in sorted(by_source.items(), key=lambda item: item[0].pk):
        proposal = InvoiceProposal.objects.create(
            contract=contract, funding_source=source, up_to_date=up_to_date, created_by=actor
        )
        ProposalLine.objects.bulk_create(
            [
                transaction_line_build(
                    proposal, share, share.transaction, amount=left[share.pk], save=False
                )
                for share in source_shares
            ]
        )
        proposals.append(proposal)
    for proposal in proposals:
        proposal_derived_lines_refresh(proposal=proposal)
    transactions_billing_status_refresh(transaction_ids=[share.transaction_id for share in picked])
    return proposals
