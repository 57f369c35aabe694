"""Texts the application writes are data until they are shown (issue 16, item 1).

A generated text (a fee line's description, a credit line, a retention release, an import
error, an allocation's explanation) is kept as its *kind* and its *parameters*, plain JSON:
``("fee", {"rule": "Management fee", "percent": "10", "base": "25725.00"})``. It becomes words
only when someone reads it: in the reader's language on a page, in the customer's language on
a document, with amounts and numbers written the way that language writes them (sv
``25 725,00``, da ``25.725,00``, en ``25,725.00``).

Each app registers its kinds with :func:`text_kind`: the message (a lazy gettext msgid with
``%(name)s`` placeholders) and which parameters are money, plain numbers or texts of their own
(a credit line names the line it credits, which may itself be a generated text). A text typed
by a person has no kind and stays exactly as typed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from contracts.money import round_money


@dataclass(frozen=True)
class TextKind:
    """One kind of generated text: its message and the type of each parameter that is not
    plain text (``money``: two decimals, grouped; ``numbers``: as many decimals as it has;
    ``texts``: a nested text, ``{"kind": ..., "params": ..., "text": ...}`` or a string)."""

    message: Any
    money: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


KINDS: dict[str, TextKind] = {}


def text_kind(name: str, message, *, money=(), numbers=(), texts=()) -> str:
    """Register a kind (once per name; the same registration twice is harmless)."""
    KINDS[name] = TextKind(message, tuple(money), tuple(numbers), tuple(texts))
    return name


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


def money_text(value, currency: str | None = None) -> str:
    """An amount in the active language: two decimals (the currency's), grouped."""
    amount = _decimal(value)
    if amount is None:
        return str(value)
    rounded = round_money(amount, currency or None)
    decimals = -rounded.as_tuple().exponent if rounded.as_tuple().exponent < 0 else 0
    return number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def number_text(value) -> str:
    """A quantity or percentage in the active language, with the decimals it has and none
    that are only zeros (10.00 -> 10, 7.50 -> sv 7,5), grouped from four digits."""
    amount = _decimal(value)
    if amount is None:
        return str(value)
    normal = amount.normalize()
    if normal == normal.to_integral():
        normal = normal.quantize(Decimal(1))
    exponent = normal.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_format(normal, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def text_params(**params) -> dict:
    """Parameters as JSON: Decimals as their exact string, nested texts as they are."""
    return {
        name: str(value) if isinstance(value, Decimal) else value for name, value in params.items()
    }


def nested(kind: str, params: Mapping | None, text: str = "") -> dict:
    """A text of its own as a parameter of another (its stored text kept as the fallback)."""
    return {"kind": kind or "", "params": dict(params or {}), "text": text}


def text_render(kind: str, params: Mapping | None, fallback: str = "") -> str:
    """The text in the active language; ``fallback`` (the text as stored or typed) when it
    has no kind or its kind is not known (a kind removed since the text was stored)."""
    spec = KINDS.get(kind or "")
    if spec is None:
        return fallback
    params = dict(params or {})
    values = {}
    for name, value in params.items():
        if name in spec.money:
            values[name] = money_text(value, params.get("currency"))
        elif name in spec.numbers:
            values[name] = number_text(value)
        elif name in spec.texts:
            values[name] = _nested_render(value)
        else:
            values[name] = value
    try:
        return str(spec.message) % values
    except (KeyError, TypeError, ValueError):
        return fallback or str(spec.message)


def _nested_render(value) -> str:
    if isinstance(value, Mapping):
        return text_render(value.get("kind", ""), value.get("params"), value.get("text", ""))
    return "" if value is None else str(value)


def text_in(language: str, kind: str, params: Mapping | None, fallback: str = "") -> str:
    """The text in ``language`` (a document's), whatever language the request speaks."""
    with translation.override(language or None):
        return text_render(kind, params, fallback)


STORED_MARK = "§"


def text_stored(kind: str, limit: int = 100, **params) -> str:
    """A text for a column of plain text (a history record's change reason): its kind and
    parameters as compact JSON behind :data:`STORED_MARK`, within ``limit`` characters (the
    longest texts among the parameters are shortened to fit). :func:`text_of_stored` shows it."""
    values = text_params(**params)

    def encoded() -> str:
        payload = json.dumps({"k": kind, "p": values}, separators=(",", ":"), ensure_ascii=False)
        return STORED_MARK + payload

    while len(encoded()) > limit:
        longest = max(
            (name for name, value in values.items() if isinstance(value, str)),
            key=lambda name: len(values[name]),
            default=None,
        )
        if longest is None or len(values[longest]) <= 1:
            return encoded()[:limit]
        over = len(encoded()) - limit
        values[longest] = values[longest][: max(len(values[longest]) - over - 1, 0)] + "…"
    return encoded()


def text_of_stored(stored: str | None) -> str:
    """A stored text in the active language: one written by :func:`text_stored` is rendered
    from its kind; any other (typed, or stored before texts had kinds) is shown as it is."""
    stored = stored or ""
    if not stored.startswith(STORED_MARK):
        return stored
    try:
        payload = json.loads(stored[len(STORED_MARK) :])
        if "m" in payload:
            return _message_render(payload["m"], payload.get("p"))
        return text_render(payload["k"], payload["p"], stored)
    except (ValueError, KeyError, TypeError):
        return stored


# --------------------------------------------------------------------------------------------
# Messages made where no reader is known (a background check of a file)
# --------------------------------------------------------------------------------------------


def _number_param(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _message_render(msgid: str, params) -> str:
    if params is None:
        return gettext(msgid)
    values = {
        name: number_text(value["n"]) if isinstance(value, Mapping) and "n" in value else value
        for name, value in params.items()
    }
    return gettext(msgid) % values


class DeferredText(str):
    """A message that is text now, in the active language (for logs, tests and the API), and
    remembers its msgid and parameters (:attr:`stored`), so that a page shows it again in its
    reader's language with numbers written their way. ``deferred_gettext("...") % params``
    reads like ``gettext``; xgettext finds the msgids as it finds gettext's when imported as
    ``_``."""

    msgid: str
    params: dict | None

    def __new__(cls, msgid: str, params: Mapping | None = None):
        text = gettext(msgid) if params is None else gettext(msgid) % params
        made = super().__new__(cls, text)
        made.msgid, made.params = msgid, None if params is None else dict(params)
        return made

    def __mod__(self, params):
        return DeferredText(self.msgid, params)

    @property
    def stored(self) -> str:
        """The message as :func:`text_of_stored` shows it in any language."""
        params = None
        if self.params is not None:
            params = {
                name: {"n": str(value)} if _number_param(value) else str(value)
                for name, value in self.params.items()
            }
        payload = json.dumps(
            {"m": self.msgid, "p": params}, separators=(",", ":"), ensure_ascii=False
        )
        return STORED_MARK + payload


def deferred_gettext(msgid: str) -> DeferredText:
    return DeferredText(msgid)


def stored_form(message) -> str:
    """What to store of a message: a deferred one's msgid and parameters, else its text."""
    return message.stored if isinstance(message, DeferredText) else str(message)
