"""The README documents every command and every setting (sqlite-utils style)."""
from __future__ import annotations

import pathlib
import re

import click
import pytest

from servicepoint.app import DEFAULTS
from servicepoint.cli import _attach_optional_commands, cli

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
    assert f"`{key}`" in README or key in README, f"README.md does not document {key}"


def test_changelog_entries_are_dated_and_cite_issues():
    text = (ROOT / "CHANGES.md").read_text()
    dates = re.findall(r"^## (\d{4}-\d{2}-\d{2})", text, re.M)
    assert dates, "CHANGES.md needs dated sections"
    # An entry is a bullet and its indented continuation lines.
    entries = [e for e in re.split(r"^- ", text, flags=re.M)[1:]]
    assert entries
    for entry in entries:
        assert re.search(r"\(#\d+\)", entry), f"changelog entry names no issue: {entry[:60]!r}"
