"""Where the vendored rule sets live, and the one step that turns the Schematron sources into the
committed XSLT the validator runs (``make einvoice-rules``, or
``python -m einvoice.rules [--check]``).

Two stylesheets are compiled by ``schematron.py``: the Peppol BIS rules, which the release
publishes only as Schematron, and the CEN EN 16931 UBL rules, from CEN's pre-processed
Schematron. CEN publishes its own compiled XSLT too (``CEN_UBL_OFFICIAL_XSLT``, made with the
ISO skeleton); ours fires exactly the same asserts, at the same places
(``tests/einvoice/test_cen_equivalence.py``), in about half the CPU time on a 90-line invoice
(``tests/benchmarks/bench_einvoice.py``), so the validator runs ours and CEN's is kept only
for that proof. The compiled files are committed so that the
app never compiles Schematron at run time, and ``tests/einvoice/test_rules.py`` proves each is
exactly what this module produces from its .sch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

RULESETS = Path(__file__).resolve().parent / "rulesets"

CEN_VERSION = "1.3.16"
PEPPOL_VERSION = "3.0.19"
CEN_FOLDER = RULESETS / f"cen-en16931-{CEN_VERSION}"
#: CEN's UBL rules as CEN publishes them compiled (ISO skeleton): kept to check ours against.
CEN_UBL_OFFICIAL_XSLT = CEN_FOLDER / "EN16931-UBL-validation.xslt"
CEN_UBL_SCH = CEN_FOLDER / "EN16931-UBL-validation-preprocessed.sch"
CEN_UBL_XSLT = CEN_UBL_SCH.with_suffix(".xslt")  # ours, compiled from the .sch: what runs
CEN_CII_XSLT = CEN_FOLDER / "EN16931-CII-validation.xslt"
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


def compiled_stylesheets() -> dict[Path, Path]:
    """Each Schematron source we compile, and the committed stylesheet it compiles to. Read at
    call time so that a test can point a target elsewhere."""
    module = sys.modules[__name__]
    return {module.PEPPOL_UBL_SCH: module.PEPPOL_UBL_XSLT, module.CEN_UBL_SCH: module.CEN_UBL_XSLT}


def stylesheet_compiled(schematron: Path) -> bytes:
    """The stylesheet as the compiler makes it from the vendored .sch, now."""
    from einvoice.schematron import schematron_compile

    return schematron_compile(schematron.read_bytes(), source_name=schematron.name)


def main(argv: list[str]) -> int:
    stale = 0
    for schematron, stylesheet in compiled_stylesheets().items():
        compiled = stylesheet_compiled(schematron)
        if "--check" in argv:
            if stylesheet.read_bytes() != compiled:
                print(f"{stylesheet} is stale: run `make einvoice-rules`", file=sys.stderr)
                stale += 1
            else:
                print(f"{stylesheet.name} is up to date")
            continue
        stylesheet.write_bytes(compiled)
        print(f"wrote {stylesheet} ({len(compiled):,} bytes)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
