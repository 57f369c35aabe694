"""The allocation engine's explanations in the reader's language (issue 16, item 1).

The pure engine (``allocation.py``) explains each allocation as parts, each a kind and its
parameters (``Allocation.explained``); it writes them in English itself. Here the same kinds
are the msgids of our catalogues, and amounts and percentages are written the reader's way
(sv ``≈1 666,6667``, da ``3.750,00``). ``EXPLANATION_MESSAGES`` must name exactly the kinds
and the English texts of ``allocation.EXPLANATION_TEXTS`` (a test holds them together).
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from contracts.texts import number_text
from funding.allocation import Allocation, Figure, Percent, explanation_render

EXPLANATION_MESSAGES = {
    "rule_gave": _(
        "%(rule)s (priority %(priority)s) gave %(percent)s of %(base)s = %(nominal)s to %(source)s"
    ),
    "credit_by_percentages": _(
        " (a credit without original allocations follows the rule percentages)"
    ),
    "scaled_down": _(
        ", scaled down to %(amount)s by limit #%(limit)s%(owner)s (%(limit_amount)s, %(left)s left)"
    ),
    "limit_owner": _(" of %(source)s"),
    "rounded": _(", rounded to %(amount)s"),
    "rounding_by_source": _(
        " (%(difference)s rounding difference, taken by the contract's rounding source)"
    ),
    "rounding_within_limits": _(
        " (%(difference)s rounding difference, so that the allocations add up exactly within "
        "the limits)"
    ),
    "end": ".",
    "reversal": _(
        "Takes back %(taken)s of the %(given)s that %(origin)s gave %(source)s: the credit of "
        "%(credit)s is spread in proportion over the %(total)s originally allocated"
    ),
    "headroom_back": _("; the headroom goes back to limit %(limits)s"),
    "origin_on_hold": _("the on-hold rest"),
    "origin_allocation": _("an allocation"),
    "origin_rule": _("%(rule)s (priority %(priority)s)"),
    "on_hold": _("No rule covered %(base)s, so it waits on the on-hold %(source)s"),
    "on_hold_limit": _(", as far as its limit #%(limit)s allows (%(limit_amount)s, %(left)s left)"),
    "unfunded": _("%(amount)s of %(whole)s is unfunded: no rule covered it and %(reason)s"),
    "no_on_hold_source": _("there is no on-hold source"),
    "on_hold_used_up": _("the limits of the on-hold source are used up"),
    "left_of": _("%(rest)s (what was left of %(whole)s)"),
    "rule_named": _("Rule '%(name)s'"),
    "rule_number": _("Rule #%(id)s"),
    "source_named": _("source '%(name)s'"),
    "source_number": _("source #%(id)s"),
    "no_source": _("no source"),
    "plain": _("%(amount)s to %(source)s"),
    "plain_rule": _(" by rule #%(rule)s (priority %(priority)s)"),
    "plain_limit": _(" scaled down by limit #%(limit)s"),
    "plain_on_hold": _(" on hold"),
}


def _figure(figure: Figure) -> str:
    """An amount with the decimals it has (the currency's, or four more when approximate),
    grouped the reader's way; '≈' before an approximate one, a sign before a difference."""
    exponent = figure.value.as_tuple().exponent
    text = number_format(
        figure.value, decimal_pos=max(-exponent, 0), use_l10n=True, force_grouping=True
    )
    if figure.approximate:
        return "≈" + text
    return f"+{text}" if figure.signed and figure.value >= 0 else text


def _percent(percent: Percent) -> str:
    return f"{number_text(percent.value)} %"


def allocation_explanation(allocation: Allocation) -> str:
    """Which rule and which limit produced this amount, in the active language."""
    return explanation_render(
        allocation.explained,
        templates=EXPLANATION_MESSAGES,
        figure=_figure,
        percent=_percent,
    )
