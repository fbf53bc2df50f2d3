"""The one text lookup of the faces (kiosk, counter, display, manager) and the web shell.

Each face keeps its own catalogue of ``{key: {lang: text}}`` in its ``texts.py``
as a :class:`Texts`; every lookup goes through :func:`lookup`, which falls back
to English, then to the key. Wording that is the same everywhere (durations, a
minute range, counter states) lives once in :data:`WORDS`, under every face's
own catalogue.

Standard library only and no work on import, so any module may use it.
"""
from __future__ import annotations

from typing import Callable

Catalogue = dict[str, dict[str, str]]

WORDS: Catalogue = {
    "dur.s": {"en": "{s} s", "es": "{s} s"},
    "dur.m": {"en": "{m} min", "es": "{m} min"},
    "dur.ms": {"en": "{m} min {s:02d} s", "es": "{m} min {s:02d} s"},
    "dur.hm": {"en": "{h} h {m:02d} min", "es": "{h} h {m:02d} min"},
    "wait.range": {"en": "{lo}–{hi} min", "es": "{lo}–{hi} min"},
    "state.open": {"en": "Open", "es": "Abierto"},
    "state.closed": {"en": "Closed", "es": "Cerrado"},
    "state.break": {"en": "On a break", "es": "En pausa"},
}


def lookup(catalogue: Catalogue, key: str, lang: str, **values) -> str:
    """The text for ``key`` in ``lang`` with ``values`` filled in.

    Falls back to English, then to the key itself, so a missing translation never
    breaks a page. The text is formatted only when ``values`` are given.
    """
    entry = catalogue.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


def duration(seconds: float | None, lang: str, *, empty: str = "—",
             rounded: bool = False) -> str:
    """``42 s``, ``4 min``, ``4 min 05 s`` or ``1 h 02 min``; ``empty`` for None.

    Fractions of a second are cut off, or rounded to the nearest second when
    ``rounded``; a negative duration reads as ``0 s``.
    """
    if seconds is None:
        return empty
    seconds = max(0, int(round(seconds) if rounded else seconds))
    if seconds < 60:
        return lookup(WORDS, "dur.s", lang, s=seconds)
    if seconds < 3600 and seconds % 60 == 0:
        return lookup(WORDS, "dur.m", lang, m=seconds // 60)
    if seconds < 3600:
        return lookup(WORDS, "dur.ms", lang, m=seconds // 60, s=seconds % 60)
    return lookup(WORDS, "dur.hm", lang, h=seconds // 3600, m=seconds % 3600 // 60)


def is_range(low_s: int, high_s: int) -> bool:
    """Whether a wait from ``low_s`` to ``high_s`` is shown as a range (the domain's rule)."""
    from servicepoint.domain import estimate  # late: importing this module stays free

    return estimate.is_range(low_s, high_s)


def minutes_range(low_s: int, high_s: int, lang: str, catalogue: Catalogue = WORDS) -> str:
    """``10–15 min``: the range in whole minutes, worded by ``catalogue["wait.range"]``."""
    return lookup(catalogue, "wait.range", lang, lo=low_s // 60, hi=high_s // 60)


def wait_text(point_s: int, low_s: int, high_s: int, lang: str, catalogue: Catalogue) -> str:
    """A wait in a customer's words, from ``catalogue``'s ``wait.*`` entries.

    ``wait.upto`` when the range starts under a minute, ``wait.range`` for another
    range, ``wait.none`` for no wait, else ``wait.about`` (at least 1 minute).
    """
    if is_range(low_s, high_s) and low_s < 60:
        return lookup(catalogue, "wait.upto", lang, hi=high_s // 60)
    if is_range(low_s, high_s):
        return minutes_range(low_s, high_s, lang, catalogue)
    if point_s <= 0:
        return lookup(catalogue, "wait.none", lang)
    return lookup(catalogue, "wait.about", lang, m=max(1, point_s // 60))


class Texts:
    """A face's catalogue on top of the shared :data:`WORDS`: one lookup for every face.

    ``texts.t(key, lang, **values)`` is :func:`lookup` on the face's words (its own
    entries win over the shared ones).
    """

    def __init__(self, catalogue: Catalogue, *, shared: Catalogue = WORDS):
        self.own = catalogue
        self.catalogue: Catalogue = {**shared, **catalogue}

    def __contains__(self, key: str) -> bool:
        return key in self.catalogue

    def t(self, key: str, lang: str, **values) -> str:
        """The text for ``key`` in ``lang`` with ``values`` filled in (English, then the key)."""
        return lookup(self.catalogue, key, lang, **values)

    def translator(self, lang: str) -> Callable[..., str]:
        """``tr(key, **values)`` in ``lang``, for templates."""
        return lambda key, **values: self.t(key, lang, **values)

    def counted(self, prefix: str, n: int, lang: str) -> str:
        """``prefix.0`` / ``prefix.1`` / ``prefix.n`` for ``n`` things."""
        key = f"{prefix}.{n}" if n in (0, 1) else f"{prefix}.n"
        return self.t(key, lang, n=n)

    def wait(self, point_s: int, low_s: int, high_s: int, lang: str) -> str:
        """A wait in this face's ``wait.*`` words (see :func:`wait_text`)."""
        return wait_text(point_s, low_s, high_s, lang, self.catalogue)
