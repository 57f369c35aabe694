"""Amounts and percentages formatted for the active language (sv 1 234,50 · da 1.234,50 · en 1,234.50)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

from contracts.models import TransactionKind
from contracts.money import currency_decimals, round_money
from contracts.roles import ROLE_LABELS
from contracts.texts import text_of_stored

register = template.Library()


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def money(value, currency: str | None = None) -> str:
    """Format an amount with the currency's decimals and the language's separators."""
    amount = _as_decimal(value)
    if amount is None:
        return ""
    decimals = currency_decimals(currency) if currency else 2
    # Round half-up through the one helper first: number_format alone would round half-even.
    rounded = round_money(amount, currency or None)
    return number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.filter
def exchange_rate(value) -> str:
    """A rate with the decimals it has, no trailing zeros (11.2345; sv 11,2345), no grouping."""
    amount = _as_decimal(value)
    if amount is None:
        return ""
    text = format(amount.normalize(), "f")
    decimals = len(text.partition(".")[2])
    return number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=False)


@register.filter
def percent(value) -> str:
    amount = _as_decimal(value)
    if amount is None:
        return ""
    text = number_format(
        amount.normalize() if amount == amount.to_integral() else amount, use_l10n=True
    )
    return f"{text} %"


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for sorting and paging links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.filter
def stored_text(value) -> str:
    """A stored text (a history reason) in the reader's language (``contracts/texts.py``)."""
    return text_of_stored(value)


@register.filter
def role_label(group_name: str) -> str:
    """A role group's name in the reader's language."""
    return str(ROLE_LABELS.get(group_name, group_name))


@register.filter
def kind_label(value: str) -> str:
    """A transaction kind's label in the reader's language (``hour`` -> Timmar)."""
    return str(dict(TransactionKind.choices).get(value, value))


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (empty when missing)."""
    return mapping.get(key, "") if mapping else ""


@register.filter
def add_money(value, other):
    """``value + other`` for Decimal amounts (the template language cannot add decimals)."""
    first, second = _as_decimal(value), _as_decimal(other)
    if first is None or second is None:
        return value
    return first + second
