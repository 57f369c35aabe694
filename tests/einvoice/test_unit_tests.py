"""The validator against the official unit tests of the rule sets it runs: the CEN EN 16931
UBL invoice and credit-note sets and the Peppol BIS 3.0 PEPPOL, SE and DK sets. Each case must
fire exactly the rules its ``<assert>`` names (as fatal or warning, the given number of times)
and must not fire the rules it says succeed.

``make test`` runs every Peppol case and a fixed quarter of the CEN files (every fourth file,
by name); ``make soak`` (EINVOICE_UNIT_TESTS=all) runs all 1,526 cases (9 to 11 s on one core
of the 2-core machine, against 2.5 s for the selection).
"""

from __future__ import annotations

import os

import pytest

from einvoice.validation import rules_findings
from tests.einvoice.unit_tests import DATA, unit_test_files, unit_tests, unmet_expectations

RUN_ALL = os.environ.get("EINVOICE_UNIT_TESTS") == "all"


def selected_files():
    files = unit_test_files()
    cen = [path for path in files if path.parent.parent.name.startswith("cen-")]
    chosen = files if RUN_ALL else [path for path in files if path not in cen or path in cen[::4]]
    return [pytest.param(path, id=str(path.relative_to(DATA))) for path in chosen]


@pytest.mark.parametrize("path", selected_files())
def test_each_case_fires_exactly_the_rules_it_names(path):
    # The CEN cases exercise the CEN rules, the Peppol cases the Peppol rules: each set alone
    rule_set = "cen" if path.parent.parent.name.startswith("cen-") else "peppol"
    failures = {}
    for case in unit_tests(path):
        unmet = unmet_expectations(case, rules_findings(case.document, rule_sets=(rule_set,)))
        if unmet:
            failures[case.name] = unmet
    assert failures == {}


def test_the_selection_covers_every_folder_and_most_cases():
    files = [param.values[0] for param in selected_files()]
    assert {path.parent.name for path in files} == {
        "Invoice-unit-UBL",
        "CreditNote-unit-UBL",
        "unit-UBL-PEPPOL",
        "unit-UBL-SE",
        "unit-UBL-DK",
    }
    assert len(unit_test_files()) == 370


def test_the_harness_notices_a_rule_that_does_not_fire():
    # Given a case that expects BR-01 to fire, and findings without it
    [path] = [path for path in unit_test_files() if path.match("Invoice-unit-UBL/BR-01.xml")]
    failing = [case for case in unit_tests(path) if case.expectations[0].outcome == "error"][0]
    # Then the harness reports it (it is not a test that passes whatever happens)
    assert unmet_expectations(failing, []) == ["BR-01 should fire as fatal, fired []"]
