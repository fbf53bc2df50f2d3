"""Reading one loose mapping of fields: lenient where people type, every error kept.

:class:`Fields` is the reader each ``parse_*`` in :mod:`.branch_rules` uses: it
turns "600" into 600 and "on" into true, and collects a
:class:`~servicepoint.domain.branch.FieldError` per bad field so a form shows them
all at once instead of the first.

Standard library only.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping

from .branch import FieldError, InvalidSetup

LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_BOOLS = {"true": True, "on": True, "yes": True, "1": True,
          "false": False, "off": False, "no": False, "0": False, "": False}


class Fields:
    """Collects field errors while reading a mapping; ``done()`` raises them all."""

    def __init__(self, raw: Mapping[str, Any], known: Iterable[str]):
        self.raw = raw
        self.errors: list[FieldError] = []
        if not isinstance(raw, Mapping):
            self.errors.append(FieldError("", "setup.not_a_table", "expected a table of fields"))
            self.raw = {}
            return
        for key in raw:
            if key not in known:
                self.fail(str(key), "setup.unknown_field",
                          f"unknown field; expected one of: {', '.join(known)}")

    def fail(self, field: str, key: str, message: str) -> None:
        self.errors.append(FieldError(field, key, message))

    def has(self, field: str) -> bool:
        """True when ``field`` already has an error (one message per field is enough)."""
        return any(e.field == field for e in self.errors)

    def done(self) -> None:
        if self.errors:
            raise InvalidSetup(self.errors)

    def text(self, name: str, default: str | None = None, *, max_len: int = 80,
             required: bool = False) -> str:
        value = self.raw.get(name, default)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(name, "setup.not_text", "must be text")
            return default or ""
        value = value.strip()
        if required and not value:
            self.fail(name, "setup.required", "is required")
        elif len(value) > max_len:
            self.fail(name, "setup.too_long", f"must be at most {max_len} characters")
        elif any(ord(c) < 32 for c in value):
            self.fail(name, "setup.control_chars", "must not contain control characters")
        return value

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        value = self.raw.get(name, default)
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,12}\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "setup.not_integer", "must be a whole number")
            return default
        if not lo <= value <= hi:
            self.fail(name, "setup.out_of_range", f"must be from {lo} to {hi}")
        return value

    def number(self, name: str, default: float, lo: float, hi: float, *,
               lo_open: bool = False) -> float:
        value = self.raw.get(name, default)
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            self.fail(name, "setup.not_number", "must be a number")
            return default
        if (value <= lo if lo_open else value < lo) or value > hi:
            low = f"more than {lo}" if lo_open else f"at least {lo}"
            self.fail(name, "setup.out_of_range", f"must be {low} and at most {hi}")
        return float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw.get(name, default)
        if isinstance(value, str) and value.strip().lower() in _BOOLS:
            return _BOOLS[value.strip().lower()]
        if not isinstance(value, bool):
            self.fail(name, "setup.not_boolean", "must be true or false")
            return default
        return value

    def text_list(self, name: str, default: Iterable[str] | None) -> list[str] | None:
        value = self.raw.get(name, default)
        if value is None:
            return None
        if isinstance(value, str):
            value = [part for part in re.split(r"[\s,]+", value) if part]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.fail(name, "setup.not_list", "must be a list of texts")
            return list(default or [])
        return [v.strip() for v in value]

    def lines(self, name: str, default: Iterable[str]) -> list[str]:
        """A list of short texts, given as a list or as text with one per line."""
        value = self.raw.get(name, default)
        if isinstance(value, str):
            value = value.splitlines()
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.fail(name, "setup.not_list", "must be a list of texts")
            return list(default)
        return [v.strip() for v in value if v.strip()]

    def languages_map(self, name: str, *, max_len: int, required_language: str | None) -> dict:
        value = self.raw.get(name) or {}
        if not isinstance(value, Mapping):
            self.fail(name, "setup.not_table", "must give a text per language, e.g. {en = \"…\"}")
            return {}
        out = {}
        for lang, text in value.items():
            field = f"{name}.{lang}"
            if not isinstance(lang, str) or not LANGUAGE.fullmatch(lang):
                self.fail(field, "setup.bad_language", "is not a language code such as en or pt-BR")
            elif not isinstance(text, str):
                self.fail(field, "setup.not_text", "must be text")
            elif len(text.strip()) > max_len:
                self.fail(field, "setup.too_long", f"must be at most {max_len} characters")
            elif any(ord(c) < 32 for c in text):
                self.fail(field, "setup.control_chars", "must not contain control characters")
            elif text.strip():
                out[lang] = text.strip()
        if required_language and required_language not in out:
            self.fail(f"{name}.{required_language}", "setup.name_required",
                      f"a name in the branch's first language ({required_language}) is required")
        return out

    def time_of_day(self, name: str, value: Any) -> dt.time | None:
        if isinstance(value, dt.time):
            return value.replace(second=0, microsecond=0, tzinfo=None)
        if isinstance(value, str) and _HHMM.fullmatch(value.strip()):
            hour, minute = value.strip().split(":")
            return dt.time(int(hour), int(minute))
        self.fail(name, "setup.bad_time", "must be a time of day as HH:MM (24-hour)")
        return None
