"""A transaction's billing status, derived from what happened to its funders' shares (pure: no
ORM). The stored ``ProjectTransaction.billing_status`` is written only by
``invoicing.proposals.state.transactions_billing_status_refresh``, which reads the shares'
figures and calls ``billing_status_derive``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0")

UNINVOICED = "uninvoiced"
IN_PROPOSAL = "in_proposal"
PARTLY_INVOICED = "partly_invoiced"
INVOICED = "invoiced"
CREDITED = "credited"


@dataclass(frozen=True, slots=True)
class ShareFigures:
    """What happened to some funded shares (one share, one transaction's, or one funder's).

    ``amount``: the shares themselves; ``in_proposal``: on open proposal lines; ``invoiced``:
    on posted invoices and internal charges; ``credited``: given back by posted credit notes;
    ``freed``: the part of ``credited`` whose credit note asked to bill the work again."""

    amount: Decimal = ZERO
    in_proposal: Decimal = ZERO
    invoiced: Decimal = ZERO
    credited: Decimal = ZERO
    freed: Decimal = ZERO

    @property
    def uninvoiced(self) -> Decimal:
        """Not on an open proposal and not invoiced net of credits, so that
        ``amount == uninvoiced + in_proposal + invoiced - credited`` always holds. It includes
        work credited without being billed again (``closed``), which is not billable."""
        return self.amount - self.in_proposal - self.invoiced + self.credited

    @property
    def closed(self) -> Decimal:
        """Credited and not to be billed again."""
        return self.credited - self.freed

    @property
    def billable(self) -> Decimal:
        """What can still be put on a proposal: uninvoiced less what is closed."""
        return self.uninvoiced - self.closed

    def __add__(self, other: ShareFigures) -> ShareFigures:
        return ShareFigures(
            self.amount + other.amount,
            self.in_proposal + other.in_proposal,
            self.invoiced + other.invoiced,
            self.credited + other.credited,
            self.freed + other.freed,
        )


def billing_status_derive(figures: ShareFigures) -> str:
    """The billing status of a transaction from the figures of its billable shares (funded, not
    on hold):

    - *invoiced*: something stays invoiced (net of credits), nothing is in a proposal and
      nothing is left to bill;
    - *partly invoiced*: something stays invoiced and another part is in a proposal or still
      billable (another funder's share, or a share's part over a not-to-exceed cap);
    - *in proposal*: nothing stays invoiced and some share is on an open proposal;
    - *credited*: everything invoiced was credited and not freed to be billed again;
    - *uninvoiced*: otherwise (nothing billed yet, or all of it freed again)."""
    net_invoiced = figures.invoiced - figures.credited
    if net_invoiced != 0:
        if figures.in_proposal == 0 and figures.billable == 0:
            return INVOICED
        return PARTLY_INVOICED
    if figures.in_proposal != 0:
        return IN_PROPOSAL
    if figures.credited != 0 and figures.billable == 0:
        return CREDITED
    return UNINVOICED
