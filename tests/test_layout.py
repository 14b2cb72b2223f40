"""The package's shape, read from its source with ``ast``: no import cycle, imports flowing
one way between the packages, and no module over 500 lines.

Every import counts, at module level and inside functions alike: an import put inside a
function still ties the two modules together, it only hides the tie until the call.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "symbackprop"
MAX_LINES = 500

# Each package's tier, lowest first: a module may import its own package and the tiers below
# its own, never its own tier's other packages (peers) nor a tier above. errors.py sits under
# everything; __main__ (python -m symbackprop) only starts the command line.
TIERS = [
    {"symbackprop.errors"},
    {"core"},
    {"parse"},
    {"exercise"},
    {"engine"},
    {"numeric"},
    {"judge"},
    {"auditing", "grading", "render"},
    {"cli"},
    {"symbackprop.__main__"},
]
# symbackprop/__init__.py only maps public names to modules, imported on first use
# (importlib, not an import statement): it stands above every tier.
EXEMPT = {"symbackprop"}


def module_name(path: Path) -> str:
    """symbackprop/engine/local.py → symbackprop.engine.local; a package's __init__ → the package."""
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The module a ``from … import`` names, with a relative import resolved against ``module``."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")[: len(module.split(".")) - node.level + is_package]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports, anywhere in its body.

    ``from X import Y`` where X.Y is a module is an import of X.Y. Importing X.Y also runs the
    __init__ of X first; that implicit edge to a parent package is not counted: the package
    __init__ files hold docstrings, a lazy map and the CLI's command registry, and counting
    them would put every package's __init__ on every path into it.
    """
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imports(module) for module in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as the modules along it, the first repeated at the end; None without one.

    >>> find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()})
    ['a', 'b', 'c', 'a']
    >>> find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    True
    """
    finished: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in finished:
            return None
        for child in sorted(graph[module]):
            if cycle := visit(child, [*path, module]):
                return cycle
        finished.add(module)
        return None

    return next((cycle for module in sorted(graph) if (cycle := visit(module, []))), None)


def test_a_function_level_import_is_an_edge():
    # cli/common.py imports the catalog inside a function, as `from symbackprop.exercise import catalog`.
    assert "symbackprop.exercise.catalog" in GRAPH["symbackprop.cli.common"]


def test_there_is_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def package_of(module: str) -> str:
    """symbackprop.engine.local → engine; a module directly in symbackprop (errors) keeps its name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (ROOT / parts[1]).is_dir() else module


def tier(module: str) -> int | None:
    """The tier of ``module``'s package; None for the exempt package init."""
    if module in EXEMPT:
        return None
    package = package_of(module)
    for rank, members in enumerate(TIERS):
        if package in members:
            return rank
    raise AssertionError(f"{module} is in no tier: add its package to TIERS")


def test_imports_flow_one_way_between_packages():
    wrong = []
    for module, imported in sorted(GRAPH.items()):
        for target in sorted(imported):
            here, there = tier(module), tier(target)
            if here is None or there is None or package_of(module) == package_of(target):
                continue
            if there >= here:
                kind = "a peer" if there == here else "a higher tier"
                wrong.append(f"{module} imports {target} ({kind})")
    assert not wrong, "imports against the direction:\n" + "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_500_lines(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(ROOT.parent)} has {lines} lines"
