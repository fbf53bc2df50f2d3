"""Gettext catalogs: every text a person reads, in every language the branch speaks.

The catalogs are the ``.po`` files under ``servicepoint/translations/<lang>/LC_MESSAGES/``
(one ``messages`` domain for all faces). They are compiled in memory the first time a
language is asked for, so a fresh checkout, ``make install`` and CI need no build step and
an edited ``.po`` file is what the next server start speaks. ``docs/architecture.md`` says
how to add a text; ``make messages`` extracts new ones into every catalog.

Message ids are the English texts with ``%(name)s`` placeholders. Marking a text:

- ``N_("Take a ticket")`` for an id kept in a module-level table (translated when shown);
- ``NP_("1 person waiting", "%(n)d people waiting")`` for a text that counts ``n``;
- ``NC_("figures", "Called")`` when the same English needs two different translations.

Standard library and Babel only; importing this module loads nothing.
"""
from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import NamedTuple

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# Every language has a complete catalog (a test checks it); order is the kiosk's.
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


class Msg(NamedTuple):
    """A marked text that is not a plain id: a plural pair and/or a context."""

    singular: str
    plural: str | None = None
    context: str | None = None


Entry = str | Msg


def N_(text: str) -> str:
    """Mark ``text`` for extraction; it is translated later, where it is shown."""
    return text


def NP_(singular: str, plural: str) -> Msg:
    """Mark a text that counts ``n`` (``%(n)d``): one form per plural rule of each language."""
    return Msg(singular, plural)


def NC_(context: str, text: str) -> Msg:
    """Mark ``text`` that needs its own translation in ``context`` (e.g. a column heading)."""
    return Msg(text, context=context)


_lock = threading.Lock()
_loaded: dict[str, NullTranslations] = {}


def po_path(lang: str) -> Path:
    """Where the ``.po`` file of ``lang`` lives."""
    return TRANSLATIONS_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(path: Path, lang: str) -> Translations:
    """Read the ``.po`` file at ``path`` and compile it in memory (fuzzy entries left out).

    Raises ``OSError`` when the file cannot be read and Babel's ``PoFileError`` on bad syntax.
    """
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def translations(lang: str | None) -> NullTranslations:
    """The compiled catalog of ``lang`` (compiled on first use); English ids for anything else."""
    lang = base_language(lang)
    found = _loaded.get(lang)
    if found is not None:
        return found
    with _lock:
        found = _loaded.get(lang)
        if found is None:
            path = po_path(lang)
            found = compile_po(path, lang) if path.is_file() else NullTranslations()
            _loaded[lang] = found
    return found


def reload() -> None:
    """Forget the compiled catalogs, so the next lookup reads the ``.po`` files again."""
    with _lock:
        _loaded.clear()


def base_language(language: str | None) -> str:
    """The primary subtag of a language tag, lower-cased ("pt-BR" -> "pt"); English if empty."""
    if not language:
        return SOURCE_LANGUAGE
    return language.replace("_", "-").split("-", 1)[0].strip().lower() or SOURCE_LANGUAGE


def is_rtl(language: str | None) -> bool:
    """Whether ``language`` is written right to left."""
    return base_language(language) in RTL_LANGUAGES


def direction(language: str | None) -> str:
    """The HTML ``dir`` of ``language``: ``rtl`` or ``ltr``."""
    return "rtl" if is_rtl(language) else "ltr"


def _fill(text: str, values: dict) -> str:
    # Only texts given values are formatted, so a "%" in a plain text stays as written.
    return text % values if values else text


def gettext(text: str, lang: str | None, **values) -> str:
    """``text`` translated into ``lang``, with ``%(name)s`` placeholders filled from ``values``."""
    return _fill(translations(lang).ugettext(text), values)


def ngettext(singular: str, plural: str, n: int, lang: str | None, **values) -> str:
    """The form of ``singular``/``plural`` for ``n`` in ``lang``; ``n`` fills ``%(num)d`` and
    ``%(n)d`` too (``num`` is Flask-Babel's name in templates)."""
    values.setdefault("n", n)
    values.setdefault("num", n)
    return _fill(translations(lang).ungettext(singular, plural, n), values)


def pgettext(context: str, text: str, lang: str | None, **values) -> str:
    """``text`` translated in ``context`` into ``lang``, placeholders filled from ``values``."""
    return _fill(translations(lang).upgettext(context, text), values)


def render(entry: Entry, lang: str | None, **values) -> str:
    """A table entry (``N_``, ``NP_`` or ``NC_``) in ``lang``; a plural counts ``values["n"]``.

    Raises ``KeyError`` when a plural entry is given no ``n``.
    """
    if isinstance(entry, str):
        return gettext(entry, lang, **values)
    trans = translations(lang)
    if entry.plural is None:
        return _fill(trans.upgettext(entry.context, entry.singular) if entry.context
                     else trans.ugettext(entry.singular), values)
    n = int(values["n"])
    values.setdefault("num", n)
    if entry.context:
        text = trans.unpgettext(entry.context, entry.singular, entry.plural, n)
    else:
        text = trans.ungettext(entry.singular, entry.plural, n)
    return _fill(text, values)


def has(entry: Entry, lang: str) -> bool:
    """Whether the catalog of ``lang`` translates ``entry`` (every plural form, when it counts)."""
    table = getattr(translations(lang), "_catalog", {})
    text = entry if isinstance(entry, str) else entry.singular
    if not isinstance(entry, str) and entry.context:
        text = f"{entry.context}\x04{text}"
    if isinstance(entry, str) or entry.plural is None:
        return bool(table.get(text))
    return bool(table.get((text, 0)))
