"""The README documents every command and every setting (sqlite-utils style)."""
from __future__ import annotations

import pathlib
import re

import click
import pytest

from servicepoint.app import DEFAULTS
from servicepoint.cli import _attach_optional_commands, cli
from servicepoint.domain.branch_rules import SETTINGS_FIELDS

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "servicepoint"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path, command


_attach_optional_commands()
COMMANDS = list(_commands(cli))


def test_commands_were_found():
    names = [path for path, _ in COMMANDS]
    assert "servicepoint serve" in names and "servicepoint printer status" in names


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS])
def test_readme_documents_command(path):
    assert f"`{path}" in README, f"README.md does not document `{path}`"


@pytest.mark.parametrize("path,command", COMMANDS)
def test_readme_documents_every_option(path, command):
    row = next((line for line in README.splitlines() if f"`{path}" in line), "")
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name != "help":
            longest = max(param.opts, key=len)
            assert longest in row, f"README's row for {path} lacks {longest}"


@pytest.mark.parametrize("key", sorted(DEFAULTS) + ["DATABASE", "SECRET_KEY", "TIMEZONE"])
def test_readme_documents_setting(key):
    # A setting is documented when it heads a row of the README's settings table
    # (first cell), with its default and meaning in the other cells.
    rows = [line.split("|")[1:-1] for line in README.splitlines() if line.startswith("| `")]
    documented = [cells for cells in rows if f"`{key}`" in cells[0]]
    assert documented, f"README.md's settings table has no row for `{key}`"
    assert all(len(cells) == 3 and cells[2].strip() for cells in documented), (
        f"README.md's row for `{key}` needs a default and a meaning"
    )


@pytest.mark.parametrize("field", SETTINGS_FIELDS)
def test_readme_documents_branch_setting(field):
    rows = [line.split("|")[1:-1] for line in README.splitlines() if line.startswith("| `")]
    assert any(cells[0].strip().startswith(f"`{field}`") and len(cells) == 3 and cells[2].strip()
               for cells in rows), (
        f"README.md's branch settings table has no row (default and meaning) for `{field}`")


ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
SECTIONS = set(re.findall(r"^## (.+)$", ARCHITECTURE, re.M))
_SOURCES = [
    path for folder in ("servicepoint", "kiosk", "counter", "display", "manager", "hardware",
                        "tests", "bench")
    for path in sorted((ROOT / folder).rglob("*")) if path.suffix in (".py", ".md", ".html")
]


def test_code_cites_sections_of_the_architecture_that_exist():
    cited = {
        (path.relative_to(ROOT).as_posix(), section)
        for path in _SOURCES
        for section in re.findall(r"docs/architecture\.md, \*([^*]+)\*", path.read_text())
    }
    assert cited, "nothing cites docs/architecture.md"
    missing = sorted((path, section) for path, section in cited if section not in SECTIONS)
    assert not missing, f"cited sections missing from docs/architecture.md: {missing}"
    stale = sorted(p.relative_to(ROOT).as_posix() for p in _SOURCES if "DESIGN" + " §" in p.read_text())
    assert not stale, f"these files cite a design document the repository does not hold: {stale}"


def test_changelog_entries_are_dated_and_cite_issues():
    text = (ROOT / "CHANGES.md").read_text()
    dates = re.findall(r"^## (\d{4}-\d{2}-\d{2})", text, re.M)
    assert dates, "CHANGES.md needs dated sections"
    # An entry is a bullet and its indented continuation lines.
    entries = [e for e in re.split(r"^- ", text, flags=re.M)[1:]]
    assert entries
    for entry in entries:
        assert re.search(r"\(#\d+\)", entry), f"changelog entry names no issue: {entry[:60]!r}"
