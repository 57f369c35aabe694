"""Reading the official unit tests of the rule sets (VEFA validator test sets).

A test set file holds ``<test>`` cases, each with an ``<assert>`` naming the rules its document
must fire (``<error>`` fatal, ``<warning>``; ``number`` = exactly that many times) or must pass
(``<success>``: the rule does not fire), and the document itself (a UBL fragment).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

DATA = Path(__file__).resolve().parent / "data"
VEFA = "http://difi.no/xsd/vefa/validator/1.0"
UNIT_TEST_FOLDERS = (
    "cen-en16931-1.3.16/Invoice-unit-UBL",
    "cen-en16931-1.3.16/CreditNote-unit-UBL",
    "peppol-bis-3.0.19/unit-UBL-PEPPOL",
    "peppol-bis-3.0.19/unit-UBL-SE",
    "peppol-bis-3.0.19/unit-UBL-DK",
)
EXAMPLES = DATA / "peppol-bis-3.0.19" / "examples"


@dataclass(frozen=True)
class Expectation:
    outcome: str  # "error", "warning" or "success"
    rule_id: str
    number: int | None


@dataclass(frozen=True)
class UnitTest:
    name: str  # folder/file#n
    expectations: tuple[Expectation, ...]
    document: bytes


def unit_test_files() -> list[Path]:
    # every file of the folders: one upstream file is named ``PEPPOL-COMMON-R048.xm``
    return sorted(path for folder in UNIT_TEST_FOLDERS for path in (DATA / folder).iterdir())


def unit_tests(path: Path) -> list[UnitTest]:
    root = etree.parse(str(path)).getroot()
    cases = []
    for number, test in enumerate(root.iter(f"{{{VEFA}}}test"), start=1):
        expectations = tuple(
            Expectation(
                etree.QName(element).localname,
                element.text.strip(),
                int(element.get("number")) if element.get("number") else None,
            )
            for element in test.find(f"{{{VEFA}}}assert")
            if etree.QName(element).localname in ("error", "warning", "success")
        )
        [document] = [
            child
            for child in test
            if isinstance(child.tag, str) and etree.QName(child).namespace != VEFA
        ]
        cases.append(
            UnitTest(
                f"{path.parent.name}/{path.name}#{number}",
                expectations,
                etree.tostring(document, encoding="UTF-8"),
            )
        )
    return cases


def unmet_expectations(case: UnitTest, findings) -> list[str]:
    """What the findings fail to do of what the case asks: empty when the case passes."""
    unmet = []
    for expectation in case.expectations:
        fired = [finding for finding in findings if finding.rule_id == expectation.rule_id]
        if expectation.outcome == "success":
            if fired:
                unmet.append(f"{expectation.rule_id} should pass, fired {len(fired)}x")
            continue
        wanted = "warning" if expectation.outcome == "warning" else "fatal"
        matching = [finding for finding in fired if finding.flag == wanted]
        count_ok = len(matching) == expectation.number if expectation.number else matching
        if not count_ok:
            unmet.append(
                f"{expectation.rule_id} should fire as {wanted}"
                + (f" {expectation.number}x" if expectation.number else "")
                + f", fired {[finding.flag for finding in fired]}"
            )
    return unmet
