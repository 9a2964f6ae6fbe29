"""The shape of the code: no import cycle, the kernel and the two domains layered, every module short enough to read.

Every import counts, wherever it is written: at module level, inside a function (a deferred import that points up is
still a cycle), or under `if TYPE_CHECKING:`. Imports are read from the source with `ast`, never executed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("market", "alliances")
MAX_LINES = 500
# Modules allowed past MAX_LINES, each with its reason.
LONG_BY_NATURE = {
    "market/demo/_data.py": "demo data: the district's names, organisations and texts, not logic",
    "market/i18n/_committee.py": "message catalog: one line per message in each language",
    "market/i18n/_community.py": "message catalog: one line per message in each language",
    "market/i18n/_core.py": "message catalog: one line per message in each language",
    "market/i18n/_drafting.py": "message catalog: one line per message in each language",
    "market/i18n/_errors.py": "message catalog: one line per message in each language",
    "market/i18n/_notify.py": "message catalog: one line per message in each language",
    "market/i18n/_org.py": "message catalog: one line per message in each language",
    "market/i18n/_panel.py": "message catalog: one line per message in each language",
    "market/i18n/_stats.py": "message catalog: one line per message in each language",
}


def module_files(root: Path, packages: Iterable[str] = DOMAINS) -> dict[str, Path]:
    """Every module under the given top-level packages, by dotted name (a package by its `__init__`)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest dotted prefix of `name` that is one of `modules`."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The modules among `modules` that `module` imports anywhere in its source.

    Relative imports are resolved against the module's package, and `from package import name` counts as importing
    the submodule `package.name` when there is one (otherwise the package itself).
    """
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, node.module] if node.module else base_parts)
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
    resolved = {_resolve(t, modules) for t in targets}
    return {t for t in resolved if t is not None and t != module}


def import_graph(root: Path, packages: Iterable[str] = DOMAINS) -> dict[str, set[str]]:
    """Each module and the modules (of the same packages) it imports."""
    modules = module_files(root, packages)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layering_faults(graph: Mapping[str, set[str]]) -> list[str]:
    """Imports that break the layers: the kernel stands on nothing of market's outside itself nor of alliances;
    alliances stands on nothing of market's but the kernel."""
    faults = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if _in(module, "market.kernel") and not _in(target, "market.kernel"):
                faults.append(f"{module} (kernel) imports {target}")
            elif _in(module, "alliances") and _in(target, "market") and not _in(target, "market.kernel"):
                faults.append(f"{module} imports {target}, outside market.kernel")
    return faults


# Every service, bottom first: each may import (read) only those before it, and none of them imports the steps that
# cross aggregates (market.flows) or anything that serves HTTP. The lifecycle's aggregates come first; below the ones
# that call them stand the ledgers an event writes into in its own transaction, as it writes the audit and the inbox
# (what bars a claim, points proposed by an attendance or a grade, a due up-review's prompt): they never reach up.
# A new service takes its place here (`test_every_service_has_its_place`).
AGGREGATE_SERVICES = (
    "market.services._tasks",
    "market.services._audit",
    "market.services._accounts",
    "market.services._retention",
    "market.services._bars",
    "market.services._points",
    "market.services._review_prompts",
    "market.services._proposals",
    "market.services._scoring",
    "market.services._awards",
    "market.services._dossiers",
    "market.services._projects",
    "market.services._needs",
    "market.services._classes",
    "market.services._resources",
    "market.services._reviews",
    "market.services._stats",
    "market.services._ocds",
)
ABOVE_SERVICES = ("market.flows", "market.controllers", "market.pages", "market.app")


def service_faults(graph: Mapping[str, set[str]]) -> list[str]:
    """Imports by an aggregate's service of a service not below it, or of a layer above the services."""
    faults = []
    for module, targets in sorted(graph.items()):
        rank = next((i for i, s in enumerate(AGGREGATE_SERVICES) if _in(module, s)), None)
        if rank is None:
            continue
        for target in sorted(targets):
            other = next((i for i, s in enumerate(AGGREGATE_SERVICES) if _in(target, s)), None)
            if other is not None and other > rank:
                faults.append(f"{module} imports {target}, a service above it")
            if any(_in(target, above) for above in ABOVE_SERVICES):
                faults.append(f"{module} imports {target}, a layer above the services")
    return faults


def long_modules(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Every module over `limit` lines, by path, except those long by nature."""
    lengths = {
        path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in module_files(root).values()
    }
    return {p: n for p, n in sorted(lengths.items()) if n > limit and p not in LONG_BY_NATURE}


# The product ------------------------------------------------------------------------------------------------------


def test_no_import_cycle_among_the_modules_deferred_imports_included() -> None:
    found = cycles(import_graph(ROOT))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_kernel_and_alliances_import_only_downward() -> None:
    assert layering_faults(import_graph(ROOT)) == []


def test_each_aggregate_service_imports_only_the_services_below_it() -> None:
    assert service_faults(import_graph(ROOT)) == []


def test_every_service_has_its_place() -> None:
    services = {
        ".".join(m.split(".")[:3]) for m in module_files(ROOT) if _in(m, "market.services") and m != "market.services"
    }
    assert sorted(services - set(AGGREGATE_SERVICES)) == []
    assert sorted(set(AGGREGATE_SERVICES) - services) == []


def test_every_module_is_short_enough_to_read() -> None:
    assert long_modules(ROOT) == {}


def test_modules_exempt_from_the_length_limit_exist() -> None:
    assert [p for p in LONG_BY_NATURE if not (ROOT / p).is_file()] == []


# The checks themselves, on small trees made for them ---------------------------------------------------------------


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("b_imports_a", "why"),
    [
        ("from market import a\n", "a module-level import"),
        ("def f():\n    from market.a import x\n", "a deferred import"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from market.a import X\n", "a typing-only import"),
        ("from . import a\n", "a relative import of a sibling module"),
        ("from .a import x\n", "a relative import from a sibling module"),
        ("import market.a as a\n", "a plain import"),
    ],
)
def test_a_cycle_is_found_however_it_is_imported(tmp_path: Path, b_imports_a: str, why: str) -> None:
    root = _tree(
        tmp_path,
        {"market/__init__.py": "", "market/a.py": "from market.b import y\n", "market/b.py": b_imports_a},
    )
    assert cycles(import_graph(root, ["market"])) == [["market.a", "market.b"]], why


def test_a_cycle_through_a_package_that_reexports_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "market/__init__.py": "",
            "market/services/__init__.py": "",
            "market/services/_tasks/__init__.py": "from market.services._tasks._writes import cancel\n",
            "market/services/_tasks/_writes.py": "async def cancel():\n    from market.services import _proposals\n",
            "market/services/_proposals.py": "from market.services._tasks import lock_task\n",
        },
    )
    assert cycles(import_graph(root, ["market"])) == [
        ["market.services._proposals", "market.services._tasks", "market.services._tasks._writes"]
    ]


def test_no_cycle_when_imports_point_one_way(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"market/__init__.py": "", "market/a.py": "from market.b import y\n", "market/b.py": "import os\n"},
    )
    assert cycles(import_graph(root, ["market"])) == []


def test_the_kernel_importing_market_or_alliances_is_a_fault() -> None:
    graph = {"market.kernel.db": {"market.audit", "market.kernel.clock"}, "market.kernel.clock": {"alliances.models"}}
    assert layering_faults(graph) == [
        "market.kernel.clock (kernel) imports alliances.models",
        "market.kernel.db (kernel) imports market.audit",
    ]


def test_alliances_importing_market_outside_the_kernel_is_a_fault() -> None:
    graph = {"alliances.services": {"market.kernel.errors", "market.models"}}
    assert layering_faults(graph) == ["alliances.services imports market.models, outside market.kernel"]


def test_a_service_importing_one_above_it_or_the_flows_is_a_fault() -> None:
    graph = {
        "market.services._tasks._writes": {"market.services._proposals", "market.services._tasks._reads"},
        "market.services._awards": {"market.flows", "market.services._scoring"},
    }
    assert service_faults(graph) == [
        "market.services._awards imports market.flows, a layer above the services",
        "market.services._tasks._writes imports market.services._proposals, a service above it",
    ]


def test_a_long_module_is_named(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"market/__init__.py": "", "market/long.py": "x = 1\n" * 3, "alliances/__init__.py": ""})
    assert long_modules(root, limit=2) == {"market/long.py": 3}
