"""The totals of an invoice (DOMAIN.md sections 4 and 7): retention withheld on the lines and
released later, VAT per tax rate on the invoice, net and gross. The proposal preview and posting
share them. Pure: no Django."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

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
    up_to: Decimal | None = None,
    description: str | None = None,
) -> BillingLine | None:
    """A positive line releasing what is still retained (all of it, or at most ``up_to``).

    ``retained_to_date`` and ``released_to_date`` are totals given as positive amounts (the
    retention lines' amounts with the sign turned). Guarantees: the release plus
    ``released_to_date`` never exceeds ``retained_to_date``; ``None`` when nothing is left to
    release (including when more was released than retained: that is not corrected here).
    """
    currency_checked(currency)
    retained = money_checked(retained_to_date, "The amount retained to date", currency)
    released = money_checked(released_to_date, "The amount released to date", currency)
    amount = retained - released
    if up_to is not None:
        amount = min(amount, money_checked(up_to, "The release limit", currency))
    if amount <= 0:
        return None
    return BillingLine(
        description or "Release of retention", "retention", amount, unit_price=amount
    )


# ------------------------------------------------------------------------------------------
# Invoice totals: net, retention, VAT per rate, gross (shared by the preview and posting)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxableLine:
    amount: Decimal
    tax_rate: Decimal
    tax_label: str


@dataclass(frozen=True)
class TaxTotal:
    label: str
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    net: Decimal
    retention: BillingLine | None
    taxes: tuple[TaxTotal, ...]
    vat: Decimal
    gross: Decimal


def invoice_totals(
    *,
    lines: Sequence[TaxableLine],
    retention_percent: Decimal,
    retention_tax: tuple[Decimal, str],
    currency: str,
) -> InvoiceTotals:
    """Totals of an invoice from its rounded lines: the net; the retention withheld (a negative
    line of the retention percent of the net, in the tax group ``retention_tax``); VAT computed
    per tax rate on the invoice (not per line), rounded half-up; and the gross."""
    net = lines_total(
        [BillingLine(description="", kind="fee", amount=line.amount) for line in lines]
    )
    retention = (
        retention_line(lines_total=net, retention_percent=retention_percent, currency=currency)
        if retention_percent
        else None
    )
    bases: dict[tuple[Decimal, str], Decimal] = {}
    for line in lines:
        key = (Decimal(line.tax_rate), line.tax_label)
        bases[key] = bases.get(key, ZERO) + line.amount
    if retention is not None:
        key = (Decimal(retention_tax[0]), retention_tax[1])
        bases[key] = bases.get(key, ZERO) + retention.amount
    taxes = tuple(
        TaxTotal(label, rate, round_money(base, currency), percent_of(base, rate, currency))
        for (rate, label), base in sorted(bases.items(), key=lambda item: (-item[0][0], item[0][1]))
    )
    vat = sum((tax.tax for tax in taxes), ZERO)
    after_retention = net + (retention.amount if retention else ZERO)
    return InvoiceTotals(
        net=net, retention=retention, taxes=taxes, vat=vat, gross=after_retention + vat
    )
