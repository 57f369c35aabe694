"""The totals of an invoice (DOMAIN.md sections 4 and 7): retention withheld on the lines and
released later, VAT per VAT category and rate on the invoice, net and gross. The proposal
preview and posting share them. Pure: no Django."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from contracts.money import (
    ZERO,
    percent_of,
    round_money,
)
from invoicing.proposals.billing import BillingLine, lines_total
from invoicing.proposals.billing_checks import (
    currency_checked,
    money_checked,
    percent_checked,
    plain_figure,
)

# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------


def retention_line(
    *,
    lines_total: Decimal,
    retention_percent: Decimal,
    currency: str,
    description: str | None = None,
) -> BillingLine | None:
    """A negative line withholding ``retention_percent`` % of the invoice's line total.

    Guarantees: the line is ``-percent_of(lines_total, retention_percent)``; ``None`` when the
    percentage is zero, the total is not positive (nothing is withheld on a credit note) or the
    withheld amount rounds to zero. The percentage must be within 0..100.
    """
    currency_checked(currency)
    total = money_checked(lines_total, "The invoice line total", currency, signed=True)
    retention_percent = percent_checked(retention_percent, "The retention percentage")
    if total <= 0:
        return None
    withheld = percent_of(total, retention_percent, currency)
    if withheld == 0:
        return None
    return BillingLine(
        description or f"Retention {plain_figure(retention_percent)} % of {total}",
        "retention",
        -withheld,
        unit_price=-withheld,
    )


def retention_release_line(
    *,
    retained_to_date: Decimal,
    released_to_date: Decimal,
    currency: str,
    given_back_to_date: Decimal = ZERO,
    up_to: Decimal | None = None,
    description: str | None = None,
) -> BillingLine | None:
    """A positive line releasing what is still retained (all of it, or at most ``up_to``).

    ``retained_to_date``, ``released_to_date`` and ``given_back_to_date`` (retention returned by
    credit notes) are totals given as positive amounts (the retention lines' amounts with the
    sign turned). Guarantees: the release plus ``released_to_date`` plus
    ``given_back_to_date`` never exceeds ``retained_to_date`` (a release never exceeds what is
    outstanding); ``None`` when nothing is left to release (including when more was released or
    given back than retained: that is not corrected here).
    """
    currency_checked(currency)
    retained = money_checked(retained_to_date, "The amount retained to date", currency)
    released = money_checked(released_to_date, "The amount released to date", currency)
    given_back = money_checked(given_back_to_date, "The amount given back to date", currency)
    amount = retained - released - given_back
    if up_to is not None:
        amount = min(amount, money_checked(up_to, "The release limit", currency))
    if amount <= 0:
        return None
    return BillingLine(
        description or "Release of retention", "retention", amount, unit_price=amount
    )


#: Line types that are not billed work: a retention release pays out what an earlier invoice
#: withheld, so it is never withheld again (DOMAIN.md section 11).
NOT_RETAINED_LINE_TYPES = frozenset({"retention_release"})


def retention_base(lines: Sequence[TaxableLine]) -> Decimal:
    """The amount retention is withheld on: the invoice's line total without its retention
    releases.

    The base is every line that bills work or money agreed on account (transaction, on-account
    and fee lines) and **also the on-account deduction lines, which reduce it**: "that share of
    each invoice's line total is withheld" (DOMAIN.md section 4), and a deduction is a line of
    the invoice. The prepayment it deducts was itself an on-account line that retention was
    withheld on, so the deducted work is not retained a second time: prepayment 5,000.00 at
    10 % withholds 500.00; then 3,000.00 of hours less 3,000.00 deducted withholds nothing (the
    invoice stays at 0.00 and is not turned into a negative one); then 4,000.00 less 2,000.00
    withholds 200.00, so 700.00 is withheld on the 7,000.00 billed. Retention release lines are
    never part of the base. A base that is not positive withholds nothing (credit notes).
    """
    return sum(
        (line.amount for line in lines if line.line_type not in NOT_RETAINED_LINE_TYPES), ZERO
    )


@dataclass(frozen=True)
class RetentionLedger:
    """Retention of one funder on one contract, as positive amounts: ``withheld`` by invoices,
    ``released`` by release lines (less releases credited), ``given_back`` by credit notes.
    ``outstanding`` is what is still held and what a release may pay out at most."""

    withheld: Decimal = ZERO
    released: Decimal = ZERO
    given_back: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return self.withheld - self.released - self.given_back


def retention_given_back(
    *,
    withheld_on_invoice: Decimal,
    invoice_base: Decimal,
    credited_base_before: Decimal,
    credited_base_now: Decimal,
    given_back_before: Decimal,
    outstanding: Decimal,
    currency: str,
) -> Decimal:
    """The retention a credit note gives back (a positive amount) when it credits
    ``credited_base_now`` of an invoice's retention base.

    The rounded cumulative share less what earlier credits of the same invoice gave back:
    ``round(withheld x credited so far / base) - given back before``, so partial credits add up
    to the withheld amount exactly. Guarantees: never negative; never more than is left of the
    invoice's withheld amount; never more than the funder's ``outstanding`` retention (what was
    released already is not given back a second time), so withheld - released - given back
    stays >= 0. All amounts are positive; a base that is not positive gives nothing back.
    """
    currency_checked(currency)
    withheld = money_checked(withheld_on_invoice, "The amount withheld", currency)
    base = money_checked(invoice_base, "The retention base", currency, signed=True)
    before = money_checked(credited_base_before, "The base credited before", currency)
    now = money_checked(credited_base_now, "The base credited now", currency)
    given_back = money_checked(given_back_before, "The amount given back before", currency)
    held = money_checked(outstanding, "The outstanding retention", currency, signed=True)
    if base <= 0 or withheld == 0 or now == 0:
        return ZERO
    credited = min(before + now, base)
    share = round_money(withheld * credited / base, currency) - given_back
    return max(ZERO, min(share, withheld - given_back, held))


# ------------------------------------------------------------------------------------------
# Invoice totals: net, retention, VAT per rate, gross (shared by the preview and posting)
# ------------------------------------------------------------------------------------------


class VatTreatment(NamedTuple):
    """How a line is taxed: its rate, the tax group's label, and its EN 16931 VAT category with
    the exemption reason (code and text) that categories charging no VAT must give."""

    rate: Decimal
    label: str
    category: str = ""
    exemption_reason_code: str = ""
    exemption_reason: str = ""


@dataclass(frozen=True)
class TaxableLine:
    amount: Decimal
    tax_rate: Decimal
    tax_label: str
    line_type: str = "transaction"
    vat_category: str = ""
    exemption_reason_code: str = ""
    exemption_reason: str = ""


@dataclass(frozen=True)
class TaxTotal:
    label: str
    rate: Decimal
    base: Decimal
    tax: Decimal
    category: str = ""
    exemption_reason_code: str = ""
    exemption_reason: str = ""


@dataclass(frozen=True)
class InvoiceTotals:
    net: Decimal
    retention: BillingLine | None
    taxes: tuple[TaxTotal, ...]
    vat: Decimal
    gross: Decimal
    retention_base: Decimal = ZERO  # what the retention is a percentage of


def invoice_totals(
    *,
    lines: Sequence[TaxableLine],
    retention_percent: Decimal,
    retention_tax: VatTreatment | tuple,
    currency: str,
) -> InvoiceTotals:
    """Totals of an invoice from its rounded lines: the net; the retention withheld (a negative
    line of the retention percent of the retention base, see ``retention_base``, taxed as
    ``retention_tax``); VAT computed per VAT category and rate on the invoice (not per line),
    rounded half-up; and the gross.

    The VAT breakdown is grouped by (category, rate), as EN 16931 groups it (BG-23, one per
    category and rate), never by tax group: two tax groups of the same category and rate are
    one base and one rounding. Each group carries the label and exemption reason of its first
    line in (label, reason) order, so the result does not depend on the order of the lines."""
    net = lines_total(
        [BillingLine(description="", kind="fee", amount=line.amount) for line in lines]
    )
    base = retention_base(lines)
    retention = (
        retention_line(
            lines_total=base,
            retention_percent=retention_percent,
            currency=currency,
        )
        if retention_percent
        else None
    )
    taxed = [
        (
            line.amount,
            VatTreatment(
                Decimal(line.tax_rate),
                line.tax_label,
                line.vat_category,
                line.exemption_reason_code,
                line.exemption_reason,
            ),
        )
        for line in lines
    ]
    if retention is not None:
        treatment = VatTreatment(*retention_tax)
        taxed.append((retention.amount, treatment._replace(rate=Decimal(treatment.rate))))
    bases: dict[tuple[str, Decimal], Decimal] = {}
    treatments: dict[tuple[str, Decimal], VatTreatment] = {}
    for amount, treatment in taxed:
        if not treatment.category and treatment.rate > 0:
            # A line posted before categories were recorded (credited now): a charged rate
            # is always standard rated, so it joins the same base as its new lines.
            treatment = treatment._replace(category="S")
        key = (treatment.category, treatment.rate)
        bases[key] = bases.get(key, ZERO) + amount
        first = treatments.get(key)
        if first is None or treatment[1:] < first[1:]:
            treatments[key] = treatment
    taxes = tuple(
        TaxTotal(
            treatments[key].label,
            rate,
            round_money(base, currency),
            percent_of(base, rate, currency),
            category=category,
            exemption_reason_code=treatments[key].exemption_reason_code,
            exemption_reason=treatments[key].exemption_reason,
        )
        for key, base in sorted(bases.items(), key=lambda item: (-item[0][1], item[0][0]))
        for category, rate in [key]
    )
    vat = sum((tax.tax for tax in taxes), ZERO)
    after_retention = net + (retention.amount if retention else ZERO)
    return InvoiceTotals(
        net=net,
        retention=retention,
        taxes=taxes,
        vat=vat,
        gross=after_retention + vat,
        retention_base=base,
    )
