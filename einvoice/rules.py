"""Where the vendored rule sets live, and the one step that turns the Peppol Schematron into the
committed XSLT (``make einvoice-rules``, or ``python -m einvoice.rules [--check]``).

The Peppol BIS release publishes its rules only as Schematron; ``schematron.py`` compiles them.
The compiled file is committed so that the app never compiles Schematron at run time, and
``tests/einvoice/test_rules.py`` proves it is exactly what this module produces from the .sch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

RULESETS = Path(__file__).resolve().parent / "rulesets"

CEN_VERSION = "1.3.16"
PEPPOL_VERSION = "3.0.19"
CEN_UBL_XSLT = RULESETS / f"cen-en16931-{CEN_VERSION}" / "EN16931-UBL-validation.xslt"
CEN_CII_XSLT = RULESETS / f"cen-en16931-{CEN_VERSION}" / "EN16931-CII-validation.xslt"
PEPPOL_UBL_SCH = RULESETS / f"peppol-bis-{PEPPOL_VERSION}" / "PEPPOL-EN16931-UBL.sch"
PEPPOL_UBL_XSLT = PEPPOL_UBL_SCH.with_suffix(".xslt")


@dataclass(frozen=True)
class RuleSet:
    """One stylesheet of business rules, run in this order after the XML Schema."""

    name: str  # "cen", "peppol" or "cen-cii": the Finding's source
    title: str
    stylesheet: Path


#: The rules a UBL invoice or credit note must pass (Peppol BIS Billing 3.0).
RULE_SETS = (
    RuleSet("cen", f"CEN EN 16931 UBL {CEN_VERSION}", CEN_UBL_XSLT),
    RuleSet("peppol", f"Peppol BIS Billing {PEPPOL_VERSION}", PEPPOL_UBL_XSLT),
)
#: The rules the CII inside a Factur-X PDF must pass (CEN publishes them as XSLT, as for UBL).
CII_RULE_SETS = (RuleSet("cen-cii", f"CEN EN 16931 CII {CEN_VERSION}", CEN_CII_XSLT),)


def peppol_stylesheet_compiled() -> bytes:
    """The Peppol stylesheet as the compiler makes it from the vendored .sch, now."""
    from einvoice.schematron import schematron_compile

    return schematron_compile(PEPPOL_UBL_SCH.read_bytes(), source_name=PEPPOL_UBL_SCH.name)


def main(argv: list[str]) -> int:
    compiled = peppol_stylesheet_compiled()
    if "--check" in argv:
        if PEPPOL_UBL_XSLT.read_bytes() != compiled:
            print(f"{PEPPOL_UBL_XSLT} is stale: run `make einvoice-rules`", file=sys.stderr)
            return 1
        print(f"{PEPPOL_UBL_XSLT.name} is up to date")
        return 0
    PEPPOL_UBL_XSLT.write_bytes(compiled)
    print(f"wrote {PEPPOL_UBL_XSLT} ({len(compiled):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
