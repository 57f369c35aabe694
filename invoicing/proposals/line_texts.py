"""The generated texts of proposal and invoice lines (issue 16, item 1): fee, retention,
retention release, prepayment deduction, credit lines and the part of a share a line bills.

A line made by the application stores its ``description_kind`` and ``description_params``;
:func:`line_text` writes it in the active language (the reader's on a page). A posted invoice
line also keeps ``description`` rendered in the document's language at posting, which is what
its PDF prints, so a posted document never changes (``posting.py``). A line typed by a clerk
has no kind and is shown as typed.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from contracts.texts import nested, text_in, text_kind, text_params, text_render

FEE = text_kind(
    "fee", _("%(rule)s: %(percent)s %% of %(base)s"), money=("base",), numbers=("percent",)
)
RETENTION = text_kind(
    "retention", _("Retention %(percent)s %% of %(base)s"), money=("base",), numbers=("percent",)
)
RETENTION_RELEASE = text_kind("retention_release", _("Release of retained amounts"))
PREPAYMENT_DEDUCTION = text_kind(
    "prepayment_deduction", _("Deduction of the on-account prepayment")
)
CREDIT = text_kind("credit", _("Credit: %(line)s"), texts=("line",))
RETENTION_GIVEN_BACK = text_kind(
    "retention_given_back", _("Retention given back on the credited amount")
)
PART_BILLED = text_kind(
    "part_billed",
    _("%(line)s · part billed: %(billed)s of %(share)s"),
    money=("billed", "share"),
    texts=("line",),
)

# What a billing rule writes on the on-account transaction it records (``rules.py``).
RULE_UNITS = text_kind("rule_units", _("%(rule)s: %(quantity)s %(unit)s"), numbers=("quantity",))
RULE_PROGRESS = text_kind("rule_progress", _("%(rule)s: %(percent)s %%"), numbers=("percent",))
# A transaction line whose transaction's text has a kind: its date, category and worker as
# they are, then that text in the reader's language. No words of its own to translate.
TRANSACTION_LINE = text_kind("transaction_line", "%(head)s · %(text)s", texts=("text",))

# What a change to a draft's lines says in the proposal's history (``state.revision_bump``).
LINE_REMOVED = text_kind("line_removed", _("Removed: %(line)s"))
FEE_ADDED = text_kind("fee_added", _("Fee added: %(line)s"))
PRICE_CHANGED = text_kind(
    "price_changed", _("Price changed to %(price)s: %(line)s"), numbers=("price",)
)
QUANTITY_CHANGED = text_kind(
    "quantity_changed", _("Quantity changed to %(quantity)s: %(line)s"), numbers=("quantity",)
)
TEXT_CHANGED = text_kind("text_changed", _("Text changed: %(line)s"))
RETENTION_RELEASED = text_kind(
    "retention_released", _("Retention released: %(amount)s"), money=("amount",)
)

# Who made or submitted a proposal when no person did (``state.Automation``), and why.
AUTOMATION = text_kind("automation", _("The contract's automation"))
AUTOMATION_BY = text_kind("automation_by", _("The contract's automation (set off by %(who)s)"))
AUTOMATION_MILESTONE = text_kind(
    "automation_milestone",
    _("The contract's automation: milestone “%(milestone)s” completed"),
)
AUTOMATION_BY_MILESTONE = text_kind(
    "automation_by_milestone",
    _("The contract's automation (set off by %(who)s): milestone “%(milestone)s” completed"),
)
AUTOMATION_THRESHOLD = text_kind(
    "automation_threshold",
    _("The contract's automation: billing rule “%(rule)s” reached %(percent)s %%"),
    numbers=("percent",),
)
AUTOMATION_BY_THRESHOLD = text_kind(
    "automation_by_threshold",
    _(
        "The contract's automation (set off by %(who)s): billing rule “%(rule)s” reached "
        "%(percent)s %%"
    ),
    numbers=("percent",),
)
#: The kinds above by cause (none, a milestone, a threshold) and whether a person set it off.
AUTOMATION_REASONS = {
    ("", False): AUTOMATION,
    ("", True): AUTOMATION_BY,
    ("milestone", False): AUTOMATION_MILESTONE,
    ("milestone", True): AUTOMATION_BY_MILESTONE,
    ("threshold", False): AUTOMATION_THRESHOLD,
    ("threshold", True): AUTOMATION_BY_THRESHOLD,
}


def line_text(line) -> str:
    """A proposal or invoice line's description in the active language."""
    return text_render(line.description_kind, line.description_params, line.description)


def line_text_in(language: str, line) -> str:
    """A line's description in a document's language."""
    return text_in(language, line.description_kind, line.description_params, line.description)


def as_param(line) -> dict:
    """A line's text as a parameter of another text (a credit line names the line it credits)."""
    return nested(line.description_kind, line.description_params, line.description)


def generated(kind: str, **params) -> dict:
    """The model fields of a generated description: its kind, its parameters, and its text in
    the active language (kept in ``description`` for search, lists and the admin)."""
    values = text_params(**params)
    return {
        "description": text_render(kind, values)[:500],
        "description_kind": kind,
        "description_params": values,
    }


def transaction_line(parts: list[str], text: str, kind: str = "", params=None) -> dict:
    """The fields of a transaction line: the transaction's date, category and worker or item,
    then its own text; a text a billing rule wrote (it has a kind) in the reader's language."""
    if not kind:
        described = " · ".join(part for part in (*parts, text) if part)[:500]
        return {"description": described, "description_kind": "", "description_params": {}}
    head = " · ".join(part for part in parts if part)
    return generated(TRANSACTION_LINE, head=head, text=nested(kind, params, text))


def part_billed(text: str, kind: str, params: dict, billed: Decimal, share: Decimal) -> dict:
    """The fields of a line that bills ``billed`` of a share of ``share`` (all of it: the line's
    own text)."""
    if billed == share:
        return {"description": text, "description_kind": kind, "description_params": params}
    return generated(PART_BILLED, line=nested(kind, params, text), billed=billed, share=share)
