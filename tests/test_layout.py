"""The layout's rules, read from the source with ``ast``: which module may import which.

Every ``import`` counts, wherever it is written (inside ``if TYPE_CHECKING:`` or a
function too): a cycle hidden from the interpreter is still a cycle for the reader.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import evcare

SRC = Path(evcare.__file__).parent
# Alembic runs env.py itself (it needs Alembic's migration context to import).
NOT_IMPORTABLE = {"evcare.migrations.env"}
# The places that assemble the surfaces into an app or a command.
MAY_IMPORT_SURFACES = ("evcare.surfaces", "evcare.app", "evcare.cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for path in sorted(SRC.rglob("*.py"))
    if "__pycache__" not in path.parts
}


def _imported(module: str, tree: ast.AST) -> Iterator[str]:
    """Every evcare module ``module`` imports (``from pkg import sub`` names ``pkg.sub``)."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target


@cache
def graph() -> dict[str, frozenset[str]]:
    return {
        module: frozenset(_imported(module, ast.parse(path.read_text(), str(path))))
        for module, path in MODULES.items()
    }


def _cycle(nodes: set[str], edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among ``nodes``, as a path that comes back to its start, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for following in sorted(edges.get(node, set()) & nodes):
            found = visit(following, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(nodes):
        found = visit(start, [])
        if found:
            return found
    return None


def _context(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _importers_of(prefix: str, *, within: str) -> list[str]:
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph().items()
        if _context(module) == within
        for target in targets
        if target == prefix or target.startswith(prefix + ".")
    )


@pytest.mark.parametrize("module", sorted(set(MODULES) - NOT_IMPORTABLE))
def test_every_module_imports_on_its_own(module: str) -> None:
    importlib.import_module(module)


def test_the_import_reader_sees_type_checking_and_relative_imports() -> None:
    # The rules below are only as good as the reader: check it on a known case.
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from . import events\n"
        "if TYPE_CHECKING:\n"
        "    from evcare.core.runtime import Runtime\n"
    )
    assert set(_imported("evcare.core.db", tree)) == {"evcare.core.events", "evcare.core.runtime"}


def test_core_modules_import_each_other_without_a_cycle() -> None:
    core = {module for module in MODULES if _context(module) == "evcare.core"}
    edges = {module: set(graph()[module]) for module in core}
    assert _cycle(core, edges) is None


def test_only_the_app_and_the_command_line_import_the_surfaces() -> None:
    offenders = sorted(
        f"{module} -> {target}"
        for module, targets in graph().items()
        if not module.startswith(MAY_IMPORT_SURFACES)
        for target in targets
        if target.startswith("evcare.surfaces")
    )
    assert offenders == []


def test_charging_does_not_import_the_ocpp_adapter() -> None:
    assert _importers_of("evcare.ocpp", within="evcare.charging") == []


def test_contexts_import_each_other_without_a_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        for target in targets:
            if _context(target) != _context(module):
                edges.setdefault(_context(module), set()).add(_context(target))
    assert _cycle({_context(module) for module in MODULES}, edges) is None


def test_charging_packages_import_each_other_without_a_cycle() -> None:
    # Tables of two packages may refer to each other (a station's connectors name their
    # charger); every other import points sessions -> chargers -> stations.
    def package(module: str) -> str:
        return ".".join(module.split(".")[:3])

    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        if _context(module) != "evcare.charging":
            continue
        for target in targets:
            across = _context(target) == "evcare.charging" and package(target) != package(module)
            if across and not target.endswith(".models"):
                edges.setdefault(package(module), set()).add(package(target))
    assert _cycle({package(module) for module in edges}, edges) is None
