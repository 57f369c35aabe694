"""Existing data after shares became what is billed (0011): credit lines name the share they
credit, and every transaction billed so far takes the status its shares give it. A funder's
share that an earlier posting left behind (its transaction marked invoiced although only another
funder's share was) becomes billable again: its transaction is now partly invoiced."""

from collections import defaultdict
from decimal import Decimal

from django.db import migrations
from django.db.models import Q, Sum

from invoicing.transactions.billing_state import ShareFigures, billing_status_derive

ZERO = Decimal("0")
POSTED = Q(proposal__status="posted")
CREDIT = Q(line_type="credit", transaction__isnull=False) & POSTED
FIGURES = {
    "in_proposal": Q(line_type="transaction", is_open=True),
    "invoiced": Q(line_type="transaction") & POSTED,
    "credited": CREDIT,
    "freed": CREDIT & Q(proposal__rebill_credited=True),
}


def credit_lines_name_their_share(apps, schema_editor):
    ProposalLine = apps.get_model("invoicing", "ProposalLine")
    InvoiceLine = apps.get_model("invoicing", "InvoiceLine")
    shares_of_invoice: dict[int, dict] = {}
    lines = ProposalLine.objects.filter(
        line_type="credit",
        transaction__isnull=False,
        allocation__isnull=True,
        credited_line__isnull=False,
    ).values_list("pk", "credited_line_id", "credited_line__invoice_id")
    for pk, credited_line_id, invoice_id in list(lines):
        if invoice_id not in shares_of_invoice:
            proposal_id = (
                InvoiceLine.objects.filter(invoice_id=invoice_id)
                .values_list("invoice__proposal_id", flat=True)
                .first()
            )
            billed = defaultdict(list)
            for transaction_id, allocation_id in (
                ProposalLine.objects.filter(proposal_id=proposal_id, line_type="transaction")
                .order_by("pk")
                .values_list("transaction_id", "allocation_id")
            ):
                billed[transaction_id].append(allocation_id)
            shares = {}
            for line_id, transaction_id in (
                InvoiceLine.objects.filter(invoice_id=invoice_id, line_type="transaction")
                .order_by("pk")
                .values_list("pk", "transaction_id")
            ):
                pending = billed.get(transaction_id)
                shares[line_id] = pending.pop(0) if pending else None
            shares_of_invoice[invoice_id] = shares
        allocation_id = shares_of_invoice[invoice_id].get(credited_line_id)
        if allocation_id is not None:
            ProposalLine.objects.filter(pk=pk).update(allocation_id=allocation_id)


def statuses_from_shares(apps, schema_editor):
    ProjectTransaction = apps.get_model("invoicing", "ProjectTransaction")
    TransactionAllocation = apps.get_model("invoicing", "TransactionAllocation")
    ProposalLine = apps.get_model("invoicing", "ProposalLine")
    ids = sorted(
        set(
            ProposalLine.objects.filter(allocation__isnull=False).values_list(
                "transaction_id", flat=True
            )
        )
        - {None}
    )
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        figures = defaultdict(ShareFigures)
        for transaction_id, total in (
            TransactionAllocation.objects.filter(
                transaction_id__in=chunk, source__isnull=False, is_on_hold=False
            )
            .order_by()
            .values_list("transaction_id")
            .annotate(total=Sum("amount"))
        ):
            figures[transaction_id] += ShareFigures(amount=total)
        sums = {name: Sum("amount", filter=condition) for name, condition in FIGURES.items()}
        for row in (
            ProposalLine.objects.filter(transaction_id__in=chunk, allocation__isnull=False)
            .filter(Q(line_type="transaction") | CREDIT)
            .order_by()
            .values("transaction_id")
            .annotate(**sums)
        ):
            in_proposal, invoiced, credited, freed = (row[name] or ZERO for name in FIGURES)
            figures[row["transaction_id"]] += ShareFigures(
                ZERO, in_proposal, invoiced, -credited, -freed
            )
        changes = defaultdict(list)
        for pk, status in ProjectTransaction.objects.filter(pk__in=chunk).values_list(
            "pk", "billing_status"
        ):
            derived = billing_status_derive(figures.get(pk, ShareFigures()))
            if derived != status:
                changes[derived].append(pk)
        for status, pks in changes.items():
            ProjectTransaction.objects.filter(pk__in=pks).update(billing_status=status)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0014_shares_billing_status"),
    ]

    operations = [
        migrations.RunPython(credit_lines_name_their_share, migrations.RunPython.noop),
        migrations.RunPython(statuses_from_shares, migrations.RunPython.noop),
    ]
