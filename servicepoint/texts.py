"""Keyed texts of the faces (kiosk, counter, display, manager) on top of the gettext catalogs.

Each face keeps a table ``{key: N_("English text")}`` in its ``texts.py`` as a
:class:`Texts`; ``t(key, lang, **values)`` translates the entry through
:mod:`servicepoint.catalogs` (the ``.po`` files) and fills its ``%(name)s``
placeholders. A key the table lacks reads as the key itself, so a typo shows on
the page instead of breaking it. Wording that is the same everywhere (durations,
a minute range, counter states) lives once in :data:`WORDS`, under every face's
own table. New code may call ``_()`` directly (see ``docs/architecture.md``).

No work on import, so any module may use it.
"""
from __future__ import annotations

from typing import Callable

from .catalogs import N_, Entry, render

Catalogue = dict[str, Entry]

WORDS: Catalogue = {
    "dur.s": N_("%(s)s s"),
    "dur.m": N_("%(m)s min"),
    "dur.ms": N_("%(m)s min %(s)02d s"),
    "dur.hm": N_("%(h)s h %(m)02d min"),
    "wait.range": N_("%(lo)s–%(hi)s min"),
    "wait.closed": N_("No counter open"),
    "state.open": N_("Open"),
    "state.closed": N_("Closed"),
    "state.break": N_("On a break"),
}


def lookup(catalogue: Catalogue, key: str, lang: str | None, **values) -> str:
    """The entry ``key`` of ``catalogue`` in ``lang`` with ``values`` filled in.

    An unknown key reads as itself; an untranslated text as its English id. The
    text is formatted only when ``values`` are given; a plural entry counts ``n``.
    """
    entry = catalogue.get(key)
    if entry is None:
        return key
    return render(entry, lang, **values)


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


def wait_text(point_s: int, low_s: int, high_s: int, lang: str, catalogue: Catalogue,
              no_counter: bool = False) -> str:
    """A wait in a customer's words, from ``catalogue``'s ``wait.*`` entries.

    ``wait.closed`` when no counter serves the service now (no wait is promised),
    ``wait.upto`` when the range starts under a minute, ``wait.range`` for another
    range, ``wait.none`` for no wait, else ``wait.about`` (at least 1 minute).
    """
    if no_counter:
        return lookup(catalogue, "wait.closed", lang)
    if is_range(low_s, high_s) and low_s < 60:
        return lookup(catalogue, "wait.upto", lang, hi=high_s // 60)
    if is_range(low_s, high_s):
        return minutes_range(low_s, high_s, lang, catalogue)
    if point_s <= 0:
        return lookup(catalogue, "wait.none", lang)
    return lookup(catalogue, "wait.about", lang, n=max(1, point_s // 60))


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

    def t(self, key: str, lang: str | None, **values) -> str:
        """The entry ``key`` in ``lang`` with ``values`` filled in (see :func:`lookup`)."""
        return lookup(self.catalogue, key, lang, **values)

    def translator(self, lang: str) -> Callable[..., str]:
        """``tr(key, **values)`` in ``lang``, for templates."""
        return lambda key, **values: self.t(key, lang, **values)

    def counted(self, key: str, n: int, lang: str) -> str:
        """The plural entry ``key`` for ``n`` things; ``key.0`` instead for none, when there is one."""
        if n == 0 and f"{key}.0" in self.catalogue:
            return self.t(f"{key}.0", lang)
        return self.t(key, lang, n=n)

    def wait(self, point_s: int, low_s: int, high_s: int, lang: str,
             no_counter: bool = False) -> str:
        """A wait in this face's ``wait.*`` words (see :func:`wait_text`)."""
        return wait_text(point_s, low_s, high_s, lang, self.catalogue, no_counter)
