"""Retention: what was withheld on a funder's posted invoices, released since and given back by
credit notes (DOMAIN.md section 11), and adding the release of what is still outstanding to a
draft proposal.

``retention_ledgers`` is the one place these figures are read: the release, the credit note's
give-back, invoice control's ledger and the PDF's progress statement all call it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy

from contracts.models import (
    ProjectContract,
)
from contracts.texts import text_stored
from funding.models import FundingSource
from invoicing.invoices.models import Invoice, InvoiceLine
from invoicing.proposals import line_texts
from invoicing.proposals.derived import proposal_derived_lines_refresh
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
)
from invoicing.proposals.state import draft_required, proposal_locked, revision_bump
from invoicing.proposals.totals import RetentionLedger, retention_release_line

RETENTION = "retention"
RELEASE = ProposalLineType.RETENTION_RELEASE
CREDIT = ProposalLineType.CREDIT


def _movements(rows, *, pending: bool) -> dict[int, dict[str, Decimal]]:
    """Sort (funder, line type, type of the credited line, total) rows into the ledger's
    figures. A pending credit of a release does not count until posted (it would only raise
    what is outstanding)."""
    figures: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for source_id, line_type, credited_type, total in rows:
        entry = figures[source_id]
        if line_type == RETENTION:
            entry["withheld"] += -total
        elif line_type == RELEASE:
            entry["released"] += total
        elif line_type == CREDIT and credited_type == RETENTION:
            entry["given_back"] += total
        elif line_type == CREDIT and credited_type == RELEASE and not pending:
            entry["released"] += total
    return figures


def retention_ledgers(
    *,
    contract: ProjectContract,
    funding_source_id: int | None = None,
    include_open: bool = True,
    up_to_invoice: Invoice | None = None,
) -> dict[int, RetentionLedger]:
    """Per funder of the contract: retention withheld by posted invoices (their retention
    lines), released by release lines less releases credited, and given back by credit notes
    (their credit lines on a retention line). Outstanding = withheld - released - given back.

    ``include_open`` also counts releases and give-backs on proposals not yet posted, so that a
    new release or credit never reserves what another one has reserved already (what the
    services use); without it, only posted documents count (invoice control). ``up_to_invoice``
    counts only posted documents up to that one in its legal entity's series (the progress
    statement printed on it). Two queries at most."""
    posted = InvoiceLine.objects.filter(invoice__contract=contract).filter(
        Q(line_type__in=[RETENTION, RELEASE])
        | Q(line_type=CREDIT, credited_line__line_type__in=[RETENTION, RELEASE])
    )
    if funding_source_id is not None:
        posted = posted.filter(invoice__funding_source_id=funding_source_id)
    if up_to_invoice is not None:
        posted = posted.filter(
            Q(invoice__sequence_number__lte=up_to_invoice.sequence_number)
            | Q(invoice=up_to_invoice)
        )
    figures = _movements(
        posted.values_list("invoice__funding_source_id", "line_type", "credited_line__line_type")
        .annotate(total=Sum("amount"))
        .order_by(),
        pending=False,
    )
    if include_open and up_to_invoice is None:
        pending = ProposalLine.objects.filter(is_open=True, proposal__contract=contract).filter(
            Q(line_type=RELEASE) | Q(line_type=CREDIT, credited_line__line_type=RETENTION)
        )
        if funding_source_id is not None:
            pending = pending.filter(proposal__funding_source_id=funding_source_id)
        rows = (
            pending.values_list(
                "proposal__funding_source_id", "line_type", "credited_line__line_type"
            )
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for source_id, entry in _movements(rows, pending=True).items():
            for name, amount in entry.items():
                figures[source_id][name] += amount
    return {source_id: RetentionLedger(**entry) for source_id, entry in figures.items()}


def retention_ledger_of_totals(
    totals: Iterable[tuple[str, str | None, Decimal]],
) -> RetentionLedger:
    """One funder's ledger from the totals of its posted documents' lines per (line type, type
    of the line a credit credits), sorted as ``retention_ledgers`` sorts posted documents: what
    posting freezes in the progress statement, whose lines are not in the database yet."""
    rows = ((None, line_type, credited_type, total) for line_type, credited_type, total in totals)
    entry = _movements(rows, pending=False).get(None)
    return RetentionLedger(**entry) if entry else RetentionLedger()


def retention_ledger(
    *,
    contract: ProjectContract,
    funding_source_id: int,
    include_open: bool = True,
    up_to_invoice: Invoice | None = None,
) -> RetentionLedger:
    """The retention ledger of one funder (see ``retention_ledgers``)."""
    return retention_ledgers(
        contract=contract,
        funding_source_id=funding_source_id,
        include_open=include_open,
        up_to_invoice=up_to_invoice,
    ).get(funding_source_id, RetentionLedger())


def retention_funder_lock(*, funding_source_id: int) -> None:
    """Lock the funder's row until the end of the transaction. Everything that reserves some of
    a funder's outstanding retention (a release on a draft, a credit proposal giving retention
    back) takes this lock before it reads the ledger, so two of them at the same moment are
    serialized and outstanding retention never goes below zero."""
    list(FundingSource.objects.select_for_update().filter(pk=funding_source_id).values("pk"))


NOTHING_RETAINED = gettext_lazy(
    "Nothing is retained for this funder, so there is nothing to release."
)


@transaction.atomic
def proposal_retention_release_add(
    *, proposal: InvoiceProposal, actor: AbstractBaseUser
) -> ProposalLine:
    """Release on a draft what is still outstanding for its funder: withheld less released
    (on posted or open proposals, this one included) less given back by credit notes, so a
    release never exceeds what is outstanding and releasing twice is refused."""
    locked = proposal_locked(proposal)
    draft_required(locked)
    retention_funder_lock(funding_source_id=locked.funding_source_id)
    ledger = retention_ledger(contract=locked.contract, funding_source_id=locked.funding_source_id)
    line = retention_release_line(
        retained_to_date=ledger.withheld,
        released_to_date=ledger.released,
        given_back_to_date=ledger.given_back,
        currency=locked.contract.currency,
    )
    if line is None:
        raise ValidationError(NOTHING_RETAINED)
    created = ProposalLine.objects.create(
        proposal=locked,
        line_type=ProposalLineType.RETENTION_RELEASE,
        amount=line.amount,
        **line_texts.generated(line_texts.RETENTION_RELEASE),
    )
    proposal_derived_lines_refresh(proposal=locked)
    revision_bump(
        locked,
        actor,
        text_stored(
            line_texts.RETENTION_RELEASED, amount=line.amount, currency=locked.contract.currency
        ),
    )
    return created
