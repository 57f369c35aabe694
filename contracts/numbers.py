"""Reading numbers the way people type them: sv ``1 234,50``, da ``1.234,50``, en ``1,234.50``,
and the plain ``1234.50`` in every language. Pure: no ORM, no request.

A clerk's number is read strictly. Grouping separators must group digits by three, so
``1,5`` typed on an English page is refused instead of being read as 15, and ``1.234`` on a
Danish page is 1234 (Danish grouping) while on a Swedish or English page it is 1.234. What reads
as neither is refused, and the form says how to write it in the language's own format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

# Spaces people and browsers put between digit groups: space, no-break space, narrow no-break
# space (what Swedish formatting prints), thin space.
_SPACES = re.compile(r"[ \u00a0\u202f\u2009]")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})


@dataclass(frozen=True)
class NumberFormat:
    """How one language writes a number: its decimal mark and the marks it groups digits with."""

    decimal: str
    groups: tuple[str, ...]
    example: str


FORMATS = {
    "sv": NumberFormat(decimal=",", groups=(" ",), example="1 234,50"),
    "da": NumberFormat(decimal=",", groups=(".", " "), example="1.234,50"),
    "en": NumberFormat(decimal=".", groups=(",", " "), example="1,234.50"),
}
_PLAIN = r"\d+(\.\d*)?|\.\d+"


def language_code(language: str | None) -> str:
    """The key in FORMATS for ``language`` (``sv``, ``da-dk``, ``en-gb``...); English when unknown."""
    code = (language or "en").lower().split("-")[0].split("_")[0]
    return code if code in FORMATS else "en"


@cache
def _readings(language_code: str) -> tuple[tuple[re.Pattern, str, str], ...]:
    """(pattern, grouping mark to drop, decimal mark) in the order they are tried: the
    language's grouped form, its ungrouped form, then the plain form. The first that matches
    the whole text decides, so Danish reads "1.234" as 1234 and English refuses "1,5"."""
    fmt = FORMATS[language_code]
    decimal = re.escape(fmt.decimal)
    readings = [
        (
            re.compile(rf"[+-]?[1-9]\d{{0,2}}({re.escape(group)}\d{{3}})+({decimal}\d*)?"),
            group,
            fmt.decimal,
        )
        for group in fmt.groups
    ]
    readings.append((re.compile(rf"[+-]?(\d+({decimal}\d*)?|{decimal}\d+)"), "", fmt.decimal))
    readings.append((re.compile(rf"[+-]?({_PLAIN})"), "", "."))
    return tuple(readings)


def number_parse(text: str, language: str | None) -> Decimal:
    """``text`` as a Decimal, read in ``language``'s format or the plain one; ``ValueError``
    when it is neither (the message is for logs; forms say it with :func:`number_example`)."""
    value = _SPACES.sub(" ", str(text).strip()).translate(_MINUS)
    code = language_code(language)
    for pattern, group, decimal in _readings(code):
        if pattern.fullmatch(value):
            reading = value.replace(group, "") if group else value
            return Decimal(reading.replace(decimal, "."))
    raise ValueError(f"{text!r} is not a number like {FORMATS[code].example!r} or 1234.50")


def number_example(language: str | None) -> str:
    """An amount written the way ``language`` writes it, for error messages and placeholders."""
    return FORMATS[language_code(language)].example
