"""``servicepoint/domain`` imports only the standard library (docs/architecture.md, *Layers*)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import servicepoint.domain

DOMAIN = Path(servicepoint.domain.__file__).parent
MODULES = sorted(DOMAIN.glob("*.py"))


def foreign_imports(source: str) -> list[str]:
    """Absolute imports in ``source`` whose top-level package is not in the standard library."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the domain package
                continue
            names = [node.module or ""]
        else:
            continue
        bad += [n for n in names if n.split(".")[0] not in sys.stdlib_module_names]
    return bad


def test_importing_the_domain_loads_nothing_outside_the_standard_library():
    """The real import graph, in a fresh interpreter: catches ``from .. import db`` too."""
    names = ", ".join(f"servicepoint.domain.{p.stem}" for p in MODULES if p.stem != "__init__")
    probe = (
        f"import sys; before = set(sys.modules); import {names}; "
        "print('\\n'.join(sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] not in sys.stdlib_module_names)))"
    )
    out = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True,
                         check=True, cwd=DOMAIN.parents[1]).stdout.split()
    assert "servicepoint.domain.lifecycle" in out  # the probe really imported the domain
    outside = [m for m in out if m != "servicepoint" and not m.startswith("servicepoint.domain")]
    assert outside == []


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_domain_module_imports_only_the_standard_library(path):
    assert foreign_imports(path.read_text(encoding="utf-8")) == []


def test_the_checker_catches_foreign_imports():
    src = ("import json\nimport flask\nfrom sqlite_utils import Database\n"
           "from . import model\nfrom .. import db\nimport os.path\n"
           "def f():\n    import click\n")
    assert foreign_imports(src) == ["flask", "sqlite_utils", "click"]
