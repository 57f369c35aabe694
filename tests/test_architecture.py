"""The shape of the house: imports point one way, there is no import circle, and the pure
modules know nothing of Django's ORM (docs/architecture.md).

The whole tree is read with ``ast`` (imports inside functions count too: a lazy import that
dodges a circle is still a circle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("einvoice", "collaboration", "contracts", "funding", "invoicing")

# Lower layers first. A module may import its own layer and the layers before it, never after.
LAYERS = (
    "einvoice",  # e-invoice validation and payment references: pure, knows nothing of billing
    "collaboration",
    "contracts",
    "funding",
    "invoicing.transactions",
    "invoicing.proposals",
    "invoicing.invoices",
    "invoicing.receivables",
    "invoicing.ledger",
    "invoicing",  # on top: the API, the dashboard, invoice control, automations, urls, admin
)

# Arithmetic and file reading without the ORM: dataclasses and Decimal in, dataclasses out.
PURE_MODULES = (
    "contracts.currency_conversion",
    "contracts.identifiers",
    "contracts.money",
    "contracts.rate_files",
    "contracts.texts",
    "einvoice.cii",
    "einvoice.document",
    "einvoice.references",
    "einvoice.rules",
    "einvoice.schematron",
    "einvoice.ubl",
    "einvoice.validation",
    "funding.allocation",
    "invoicing.ledger.charts",
    "invoicing.ledger.mapping",
    "invoicing.ledger.sie",
    "invoicing.ledger.vouchers",
    "invoicing.proposals.billing",
    "invoicing.proposals.billing_checks",
    "invoicing.proposals.billing_plans",
    "invoicing.proposals.totals",
    "invoicing.receivables.bank_files.bgmax",
    "invoicing.receivables.bank_files.camt054",
    "invoicing.receivables.bank_files.matching",
    "invoicing.receivables.bank_files.reading",
    "invoicing.receivables.bank_files.statement",
    "invoicing.transactions.timesheet_reader",
    "invoicing.transactions.timesheets",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the project that ``path`` imports (``from a import b`` names module
    ``a.b`` when that is a module, else ``a``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] in APPS)
    return found


def layer_of(module: str) -> int:
    """Position of the most specific layer the module belongs to."""
    matches = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return LAYERS.index(max(matches, key=len))


def imports_against_the_direction(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, ()):
            if target not in index:
                visit(target)
                lowest[module] = min(lowest[module], lowest[target])
            elif target in on_stack:
                lowest[module] = min(lowest[module], index[target])
        if lowest[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(circles)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {target for target in imports_of(path, modules) if target != name}
        for name, path in modules.items()
    }


def test_the_checks_catch_a_wrong_arrow_and_a_circle():
    # Given a made-up tree where proposals reach up into invoices, which reaches back
    graph = {
        "invoicing.proposals.generation": {"invoicing.invoices.posting"},
        "invoicing.invoices.posting": {"invoicing.proposals.generation"},
        "contracts.models": set(),
    }
    # Then both are reported
    assert imports_against_the_direction(graph) == [
        "invoicing.proposals.generation imports invoicing.invoices.posting"
    ]
    assert import_circles(graph) == [
        ["invoicing.invoices.posting", "invoicing.proposals.generation"]
    ]


def test_imports_point_one_way(graph):
    assert imports_against_the_direction(graph) == []


def test_there_is_no_import_circle(graph):
    assert import_circles(graph) == []


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_know_nothing_of_the_orm(module):
    path = project_modules()[module]
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    orm = sorted(
        name
        for name in imported
        if name.startswith(("django.db", "django.apps", "django.contrib"))
        or name.endswith((".models", ".services", ".selectors"))
    )
    project = sorted(
        name for name in imported if name.split(".")[0] in APPS and name not in PURE_MODULES
    )
    assert orm == []
    assert project == []


def test_each_stage_is_one_hop_from_its_folder_name():
    """Where a newcomer looks first: credit notes are settled in invoices, a timesheet row is
    checked in transactions, a billing run decides what to bill in proposals."""
    invoicing = ROOT / "invoicing"
    assert "def credit_note_settle" in (invoicing / "invoices" / "credits.py").read_text()
    assert "def timesheet_validate" in (invoicing / "transactions" / "timesheets.py").read_text()
    assert "def billable_allocations" in (invoicing / "proposals" / "generation.py").read_text()
