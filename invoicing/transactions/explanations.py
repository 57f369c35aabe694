"""Plain-language explanations of stored funding allocations, in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from contracts.templatetags.billing_format import money, percent
from invoicing.transactions.models import TransactionAllocation


def allocation_explain(share: TransactionAllocation, currency: str) -> str:
    """Why this source pays this amount: the rule, its priority, and a binding limit."""
    if share.source_id is None:
        return _("No rule and no on-hold source could fund this amount: it is unfunded.")
    if share.rule_id is None:
        return _("No rule funded this amount, so it waits with the on-hold source.")
    text = _("Rule '%(rule)s' (priority %(priority)s) gives %(percentage)s to this source.") % {
        "rule": share.rule.name if share.rule else "",
        "priority": share.priority,
        "percentage": percent(share.percentage),
    }
    if share.binding_limit_id:
        text += " " + _("Scaled down by the limit of %(limit)s.") % {
            "limit": money(share.binding_limit.amount, currency) if share.binding_limit else ""
        }
    if share.rounding_adjustment:
        text += " " + _("Includes a rounding adjustment of %(amount)s.") % {
            "amount": money(share.rounding_adjustment, currency)
        }
    return text
