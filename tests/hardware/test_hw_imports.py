"""The printing package's shape: no import circles, and importing does no device work."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import hardware

ROOT = Path(hardware.__file__).parent
MODULES = {
    ".".join(("hardware", *path.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__"): path
    for path in sorted(ROOT.rglob("*.py"))
}


def hardware_imports(module: str, source: str) -> set[str]:
    """The hardware modules that ``module`` imports, at the top or inside a function."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}".rstrip(".")
            # `from hardware import jobstore` names a module; `from hardware.x import f` names x.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES and name != module}
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph`` (as a path that returns to its start), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for target in sorted(graph[node]):
            found = visit(target, path + [node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_no_module_of_the_package_imports_itself_back():
    graph = {name: hardware_imports(name, path.read_text(encoding="utf-8")) for name, path in MODULES.items()}
    assert "hardware.status" in graph["hardware.printers"]  # the graph sees real imports
    assert cycle(graph) is None


def test_the_cycle_finder_finds_circles():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None
    assert hardware_imports("hardware.printers", "def f():\n    from hardware import status\n") == {
        "hardware.status"}
    assert hardware_imports("hardware.backends.file", "from .base import Backend\nfrom .. import jobstore\n") == {
        "hardware.backends.base", "hardware.jobstore"}


@pytest.mark.parametrize("module", ["hardware.printers", "hardware.status", "hardware.printer_url",
                                    "hardware.backends", "hardware.decode", "hardware.layout"])
def test_importing_loads_no_device_library(module):
    """python-escpos reads and pickles its capability database on import: only a printer opened loads it."""
    code = (f"import sys, {module}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('escpos', 'serial', 'usb', 'PIL')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=ROOT.parent).stdout.strip()
    assert loaded == "[]"
