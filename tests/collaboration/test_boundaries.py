"""Collaboration sits below contracts: it imports nothing of the apps built on it, and its
own modules depend one way (no circle, not even through an import inside a function)."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import collaboration

PACKAGE = Path(collaboration.__file__).parent
ABOVE = {"contracts", "funding", "invoicing"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports"
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def python_files() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10  # the walk found the package
    return files


def test_collaboration_imports_nothing_of_contracts_funding_or_invoicing():
    offenders = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in python_files()
        for name in imported_modules(path)
        if name.split(".")[0] in ABOVE
    }
    assert offenders == set()


def test_collaboration_modules_import_each_other_one_way():
    modules = {
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts): path
        for path in python_files()
    }
    graph = {
        module: {name for name in imported_modules(path) if name in modules and name != module}
        for module, path in modules.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as circle:
        raise AssertionError(f"import circle: {circle.args[1]}") from None
    before = order.index
    for lower, higher in [("registry", "texts"), ("texts", "emails"), ("emails", "tasks"),
                          ("tasks", "notifications"), ("notifications", "comments")]:  # fmt: skip
        assert before(f"collaboration.{lower}") < before(f"collaboration.{higher}")
