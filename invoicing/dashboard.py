"""The landing page's figures, per user and role. A fixed number of queries whatever the data."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from contracts.models import ContractStatus, Milestone, MilestoneStatus
from contracts.selectors import milestone_value
from funding.models import FundingLimit
from invoicing.invoices.models import Invoice
from invoicing.proposals import billable_figures, selectors, tasks
from invoicing.receivables import selectors as receivable_selectors

LIST_SIZE = 8
LIMIT_WARNING = Decimal("0.8")


def _month_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = today.replace(day=1)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, following - datetime.timedelta(days=1)


def dashboard(*, user, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    month_start, month_end = _month_bounds(today)
    planned = Milestone.objects.filter(status=MilestoneStatus.PLANNED).select_related("contract")
    due_this_month = list(
        planned.filter(due_date__range=(month_start, month_end)).order_by("due_date")[:LIST_SIZE]
    )
    overdue_milestones = list(planned.filter(due_date__lt=today).order_by("due_date")[:LIST_SIZE])
    milestone_counts = planned.aggregate(
        this_month=Count("pk", filter=Q(due_date__range=(month_start, month_end))),
        overdue=Count("pk", filter=Q(due_date__lt=today)),
    )
    # Kept figures (billable_figures.py): working them out for every contract on every view
    # would read every unbilled share of the installation.
    figures = billable_figures.billable_figures_current(
        today=today, refresh=tasks.billable_figures_refresh_queue
    )
    waiting_all = selectors.proposals_waiting_for(selectors.proposal_list(), user=user)
    waiting = list(waiting_all[:LIST_SIZE])
    rejected_all = selectors.proposals_rejected_for(selectors.proposal_list(), user=user)
    rejected = list(rejected_all[:LIST_SIZE])
    # What is open comes from the receivables ledger: payments and credit notes applied.
    unpaid = receivable_selectors.receivables(today)
    receivable_rows = receivable_selectors.receivable_totals(unpaid)
    limits = list(
        FundingLimit.objects.filter(amount__gt=0, used_amount__gte=F("amount") * LIMIT_WARNING)
        .select_related("source__contract")
        .order_by("-used_amount")[:LIST_SIZE]
    )
    return {
        "today": today,
        "due_this_month": due_this_month,
        "overdue_milestones": overdue_milestones,
        "milestone_counts": milestone_counts,
        "billable": list(figures.billable[:LIST_SIZE]),
        "billable_count": figures.billable_count,
        "billable_computed_at": figures.computed_at,
        "billable_refreshing": figures.refreshing,
        "waiting": waiting,
        "waiting_count": len(waiting) if len(waiting) < LIST_SIZE else waiting_all.count(),
        "rejected": rejected,
        "rejected_count": len(rejected) if len(rejected) < LIST_SIZE else rejected_all.count(),
        "receivables": receivable_rows,
        "limits": limits,
        "charts": charts(today=today, billable=figures.billable),
        # Posting is the clerk's: only they see what waits for it.
        "ready_to_post": selectors.proposals_ready_to_post(limit=LIST_SIZE)
        if user.has_perm("invoicing.change_invoiceproposal")
        else None,
    }


def charts(*, today: datetime.date, billable: QuerySet) -> dict:
    """Invoiced revenue per month, milestones planned against invoiced per contract, and work in
    progress per contract, all in the most used currency (amounts in different currencies are
    never added or drawn on one axis). Amounts are decimal strings for the chart."""
    first_month = (today.replace(day=1) - datetime.timedelta(days=335)).replace(day=1)
    invoices = Invoice.objects.filter(invoice_date__gte=first_month)
    currencies = Counter(dict(invoices.values_list("currency").annotate(n=Count("pk"))))
    currency = currencies.most_common(1)[0][0] if currencies else "SEK"
    per_month = dict(
        invoices.filter(currency=currency)
        .annotate(month=TruncMonth("invoice_date"))
        .values_list("month")
        .annotate(total=Sum("net_total"))
    )
    months = []
    month = first_month
    while month <= today:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    revenue = [str(per_month.get(month, Decimal("0"))) for month in months]
    milestones = list(
        Milestone.objects.filter(
            contract__status=ContractStatus.ACTIVE, contract__currency=currency
        )
        .select_related("contract")
        .order_by("contract__code")
    )
    plan: dict[str, list[Decimal]] = {}
    for milestone in milestones:
        code = milestone.contract.code
        entry = plan.setdefault(code, [Decimal("0"), Decimal("0")])
        value = milestone_value(milestone, milestone.contract)
        entry[0] += value
        if milestone.status == MilestoneStatus.INVOICED:
            entry[1] += value
    work = list(billable.filter(contract__currency=currency).exclude(total=0)[:12])
    return {
        "currency": currency,
        "months": [month.strftime("%Y-%m") for month in months],
        "revenue": revenue,
        "plan_labels": list(plan),
        "plan_planned": [str(values[0]) for values in plan.values()],
        "plan_invoiced": [str(values[1]) for values in plan.values()],
        "wip_labels": [row.contract.code for row in work],
        "wip_values": [str(row.total) for row in work],
    }
