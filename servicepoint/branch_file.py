"""A branch's whole setup as one TOML file: export it, check it, import it.

The file holds the branch settings, services, counters, printers and the
kiosks and displays to expect — never accounts or passwords. Importing applies
it through the setup use cases in one transaction (all or nothing), so it is
validated and audited exactly like a change made on the pages; every problem is
reported with the file's line and the field's path. For each section present,
the file is the truth: services and counters it does not list are removed
(disabled when they have history); printers and devices it does not list are
left alone.

Reading uses the standard library's ``tomllib``. Writing is done here by hand:
the file is a small subset (strings, numbers, booleans, arrays, inline tables)
and writing it ourselves keeps comments, inline tables and a stable order, so
exporting an imported file gives the same bytes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from typing import Any, Iterable, Mapping

from . import setup, setup_queries
from .domain.branch import InvalidSetup
from .domain.model import DomainError

FORMAT = 1
SECTIONS = ("format", "branch", "services", "counters", "printers", "devices")


@dataclasses.dataclass(frozen=True)
class Problem:
    line: int | None
    field: str
    message: str


class ConfigFileError(ValueError):
    """The file cannot be applied; ``problems`` name lines and fields. Nothing was changed."""

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            where = f"{self.source}:{p.line}" if p.line else self.source
            out.append(f"{where}: {p.field + ': ' if p.field else ''}{p.message}")
        return out


@dataclasses.dataclass
class ImportReport:
    """What an import changed (or, on a dry run, would change)."""

    changes: list[tuple[str, str, str]]  # (action, entity, key)
    dry_run: bool


# -- writing -------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("TOML has no NaN or infinity in this file")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _table(lines: list[str], header: str, fields: Mapping[str, Any]) -> None:
    lines.append(header)
    for key, value in fields.items():
        if value is not None:
            lines.append(f"{_key(key)} = {_value(value)}")
    lines.append("")


def export_text(conn) -> str:
    """The branch's setup as TOML text (deterministic: the same setup gives the same bytes)."""
    settings = setup_queries.settings(conn).as_dict()
    lines = [
        "# ServicePoint branch configuration.",
        "# Check and apply: servicepoint config import FILE [--dry-run]",
        "# Accounts and passwords are never part of this file.",
        f"format = {FORMAT}",
        "",
    ]
    _table(lines, "[branch]", settings)
    for svc in setup_queries.services(conn):
        fields = svc.as_dict()
        hours = fields.pop("hours")
        _table(lines, "[[services]]", fields)
        if hours:
            lines.pop()
            _table(lines, "[services.hours]", hours)
    for counter in setup_queries.counters(conn):
        _table(lines, "[[counters]]", counter.as_dict())
    for printer in setup_queries.printers(conn):
        _table(lines, "[[printers]]", printer.as_dict())
    for device in setup_queries.devices(conn):
        _table(lines, "[[devices]]", device.as_dict())
    return "\n".join(lines).rstrip("\n") + "\n"


# -- reading -------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_LINE = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"))*)\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"') for part in text.split("."))


def locate_lines(text: str) -> dict[tuple, int]:
    """Where each table and key starts: path (``("services", 2, "code")``) → line number."""
    found: dict[tuple, int] = {}
    counts: dict[tuple, int] = {}
    table: tuple = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not _KEY_LINE.match(line):
            path = _split_key(header.group(2))
            if header.group(1) == "[[":
                index = counts.get(path, 0)
                counts[path] = index + 1
                table = path + (index,)
            else:
                # [services.hours] belongs to the latest [[services]] entry
                head, rest = path[:1], path[1:]
                table = (head + (counts[head] - 1,) + rest) if head in counts and rest else path
            found.setdefault(table, number)
            continue
        key = _KEY_LINE.match(line)
        if key:
            found.setdefault(table + _split_key(key.group(1)), number)
    return found


def _path(field: str) -> tuple:
    out: list = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        out.append(int(index) if index else name)
    return tuple(out)


def _line_of(lines: Mapping[tuple, int], path: tuple) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _field_name(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def parse_text(text: str, source: str = "branch.toml") -> dict:
    """The file's tables; raises :class:`ConfigFileError` for TOML errors and unknown sections."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else (len(text.splitlines()) or None)
        raise ConfigFileError(source, [Problem(line, "", f"not valid TOML: {exc}")]) from None
    lines = locate_lines(text)
    problems = [Problem(_line_of(lines, (key,)), key,
                        f"unknown section; expected one of: {', '.join(SECTIONS)}")
                for key in data if key not in SECTIONS]
    if data.get("format", FORMAT) != FORMAT:
        problems.append(Problem(_line_of(lines, ("format",)), "format",
                                f"this server reads format {FORMAT}"))
    for section in ("services", "counters", "printers", "devices"):
        if section in data and not (isinstance(data[section], list)
                                    and all(isinstance(e, dict) for e in data[section])):
            problems.append(Problem(_line_of(lines, (section,)), section,
                                    f"must be written as [[{section}]] tables"))
    if "branch" in data and not isinstance(data["branch"], dict):
        problems.append(Problem(_line_of(lines, ("branch",)), "branch", "must be a [branch] table"))
    if problems:
        raise ConfigFileError(source, problems)
    return _plain(data)


def _plain(value: Any) -> Any:
    """TOML times and dates as the HH:MM / ISO text the setup reads."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# -- importing -----------------------------------------------------------------

class _Recording:
    """A store that also remembers the audit entries written through it."""

    def __init__(self, store):
        self._store = store
        self.changes: list[tuple[str, str, str]] = []

    def __getattr__(self, name):
        return getattr(self._store, name)

    def __enter__(self):
        self._store.__enter__()
        return self

    def __exit__(self, *exc):
        return self._store.__exit__(*exc)

    def audit(self, *, action, entity, key, **kw):
        self.changes.append((action, entity, key))
        self._store.audit(action=action, entity=entity, key=key, **kw)


class _DryRun(Exception):
    """Raised inside the import's transaction to roll a dry run back."""


def import_text(p: setup.SetupPorts, text: str, *, source: str = "branch.toml",
                dry_run: bool = False) -> ImportReport:
    """Apply a branch file through the setup use cases in one transaction.

    Raises :class:`ConfigFileError` listing every problem (line and field); then
    nothing has changed. ``dry_run`` validates and reports, then rolls back.
    """
    data = parse_text(text, source)
    lines = locate_lines(text)
    recording = _Recording(p.store)
    ports = dataclasses.replace(p, store=recording, notify=lambda topic: None)
    problems: list[Problem] = []

    def attempt(path: tuple, apply) -> None:
        try:
            apply()
        except InvalidSetup as exc:
            for err in exc.errors:
                full = path + _path(err.field)
                problems.append(Problem(_line_of(lines, full), _field_name(full), err.message))
        except (DomainError, LookupError) as exc:
            problems.append(Problem(_line_of(lines, path), _field_name(path), str(exc)))

    try:
        with recording:
            if "branch" in data:
                current = recording.settings()
                raw = {"name": current.name, "timezone": current.timezone, **data["branch"]}
                raw.setdefault("closing_time", None)
                attempt(("branch",), lambda: setup.update_settings(
                    ports, {**_settings_defaults(), **raw}))
            for i, raw in enumerate(data.get("services", [])):
                attempt(("services", i), lambda raw=raw: _upsert_service(ports, raw))
            for i, raw in enumerate(data.get("printers", [])):
                attempt(("printers", i), lambda raw=raw: setup.save_printer(ports, raw))
            for i, raw in enumerate(data.get("counters", [])):
                attempt(("counters", i), lambda raw=raw: _upsert_counter(ports, raw))
            for i, raw in enumerate(data.get("devices", [])):
                attempt(("devices", i), lambda raw=raw: setup.save_device(ports, raw))
            if "counters" in data:
                listed = {str(c.get("code", "")) for c in data["counters"]}
                for code in set(recording.counter_codes()) - listed:
                    attempt(("counters",), lambda code=code: setup.remove_counter(ports, code))
            if "services" in data:
                listed = {str(s.get("code", "")).upper() for s in data["services"]}
                for code in set(recording.service_codes()) - listed:
                    attempt(("services",), lambda code=code: setup.remove_service(ports, code))
            if problems:
                raise ConfigFileError(source, problems)
            if recording.changes:
                setup.record(ports, "import", "branch", source,
                             after={"changes": len(recording.changes)})
            if dry_run:
                raise _DryRun()
    except _DryRun:
        return ImportReport(recording.changes, dry_run=True)
    p.notify("setup")
    p.notify("counters")
    return ImportReport(recording.changes, dry_run=False)


def _settings_defaults() -> dict:
    from .domain.branch import BranchSettings

    return BranchSettings().as_dict()


def _upsert_service(p: setup.SetupPorts, raw: Mapping[str, Any]) -> None:
    code = str(raw.get("code", "")).strip().upper()
    if code and p.store.service(code) is not None:
        setup.update_service(p, code, {**_service_defaults(), **raw})
    else:
        setup.create_service(p, raw)


def _service_defaults() -> dict:
    # A field left out of the file takes its default, not the value in the database:
    # the file describes the whole service.
    from .domain.branch import ServiceSpec

    out = ServiceSpec(code="", names={}).as_dict()
    del out["code"], out["names"]
    return out


def _upsert_counter(p: setup.SetupPorts, raw: Mapping[str, Any]) -> None:
    code = str(raw.get("code", "")).strip()
    if code and p.store.counter(code) is not None:
        setup.update_counter(p, code, {"location": "", "services": [], "enabled": True, **raw})
    else:
        setup.create_counter(p, raw)

