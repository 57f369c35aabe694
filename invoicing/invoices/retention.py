"""Retention: what was withheld on a funder's posted invoices and released since, and adding
the release of what is still retained to a draft proposal."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import (
    ProjectContract,
)
from invoicing.invoices.models import InvoiceLine
from invoicing.proposals.models import (
    InvoiceProposal,
    ProposalLine,
    ProposalLineType,
    ProposalStatus,
)
from invoicing.proposals.state import draft_required, proposal_locked, revision_bump
from invoicing.proposals.totals import retention_release_line


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
    locked = proposal_locked(proposal)
    draft_required(locked)
    ledger = retention_ledger(contract=locked.contract, funding_source_id=locked.funding_source_id)
    line = retention_release_line(
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
    revision_bump(locked, actor, _("Retention released: %(amount)s") % {"amount": line.amount})
    return created
