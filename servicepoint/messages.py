"""Keep the gettext catalogs in step with the code: ``make messages`` and the catalog test.

``python -m servicepoint.messages update`` extracts every marked text from the faces'
Python and templates (``_``, ``gettext``, ``ngettext``, ``pgettext``, ``N_``, ``NP_``,
``NC_``) and merges it into each language's ``.po`` file: new texts arrive empty (English
fills itself in), texts gone from the code leave. ``check`` lists what a catalog still
lacks; the test suite fails on the same list. Needs the source tree (a developer tool).
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from . import catalogs

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("servicepoint", "kiosk", "counter", "display", "manager", "hardware")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "NP_": (1, 2), "NC_": ((1, "c"), 2)}
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
# Languages whose catalogs only the printed ticket needs (paper for visitors the kiosk
# does not yet speak to): they must translate hardware/texts.py and nothing more.
TICKET_ONLY = ("de", "pt")
TICKET_SOURCE = "hardware/texts.py"


def extract() -> Catalog:
    """Every marked text in the code, as a template catalog (locations relative to the repo)."""
    template = Catalog(project="ServicePoint", domain=catalogs.DOMAIN, fuzzy=False)
    for package in SOURCES:
        found = extract_from_dir(ROOT / package, METHODS, keywords=KEYWORDS,
                                 comment_tags=("Translators:",), strip_comment_tags=True)
        for filename, lineno, message, comments, context in found:
            template.add(message, None, [(f"{package}/{filename}", lineno)],
                         auto_comments=comments, context=context)
    return template


def _read(lang: str) -> Catalog:
    path = catalogs.po_path(lang)
    if not path.is_file():
        return Catalog(locale=lang, domain=catalogs.DOMAIN, project="ServicePoint")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=catalogs.DOMAIN)


def _write(catalog: Catalog, lang: str) -> None:
    path = catalogs.po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, ignore_obsolete=True, include_previous=False)


def _required(message: Message, lang: str) -> bool:
    if lang not in TICKET_ONLY:
        return True
    return any(filename == TICKET_SOURCE for filename, _ in message.locations)


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings) and not message.fuzzy


def languages() -> list[str]:
    """Every language with a catalog: the complete ones, then the ticket-only ones."""
    return [*catalogs.LANGUAGES, *TICKET_ONLY]


def update() -> dict[str, list[str]]:
    """Merge the code's texts into every ``.po`` file; return what each one still lacks."""
    template = extract()
    for lang in languages():
        catalog = _read(lang)
        created = catalog.creation_date  # kept, so an update without new texts changes nothing
        # A copy: update() adopts the template's messages, and English fills them in below.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True,
                       update_header_comment=False)
        catalog.creation_date = created
        if lang == catalogs.SOURCE_LANGUAGE:
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id  # tuple for plurals: (singular, plural)
        _write(catalog, lang)
    catalogs.reload()
    return check(template)


def check(template: Catalog | None = None) -> dict[str, list[str]]:
    """What each language's catalog lacks: ``{lang: [problem, ...]}`` (empty lists: all done).

    A problem is a text of the code with no translation (or only a fuzzy one, or a plural
    form left empty), or a translation whose ``%(name)s`` placeholders do not match.
    """
    template = template or extract()
    problems: dict[str, list[str]] = {}
    for lang in languages():
        catalog = _read(lang)
        found: list[str] = []
        for message in template:
            if not message.id or not _required(message, lang):
                continue
            have = catalog.get(message.id, context=message.context)
            if have is None or not _translated(have):
                found.append(f"untranslated: {message.id!r}")
        for message, errors in catalog.check():
            found += [f"{message.id!r}: {error}" for error in errors]
        problems[lang] = found
    return problems


def main(argv: list[str] | None = None) -> int:
    """``update`` or ``check``; exits 1 while a catalog lacks something."""
    parser = argparse.ArgumentParser(prog="python -m servicepoint.messages",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "check"])
    args = parser.parse_args(argv)
    problems = update() if args.command == "update" else check()
    for lang, found in problems.items():
        print(f"{lang}: {'complete' if not found else f'{len(found)} to do'}")
        for line in found:
            print(f"  {line}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
