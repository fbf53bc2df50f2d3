"""The gettext catalogs: complete in every language, plural rules right, built from the .po files."""
from __future__ import annotations

import importlib

import pytest
from babel.messages.catalog import Catalog

from servicepoint import catalogs, messages

FACES = ["servicepoint.i18n", "kiosk.texts", "counter.texts", "display.texts", "manager.texts",
         "hardware.texts"]


def test_every_catalog_has_every_text_of_the_code():
    """Adding a text means adding it to es, fr and ar too (``make messages`` lists what is left)."""
    problems = messages.check()
    assert set(problems) == {"en", "es", "fr", "ar", "de", "pt"}
    assert {lang: found for lang, found in problems.items() if found} == {}


def test_a_text_missing_from_the_catalogs_is_caught():
    template = messages.extract()
    template.add("A text nobody translated yet", locations=[("kiosk/views.py", 1)])
    template.add(("1 new thing", "%(n)d new things"), locations=[("hardware/texts.py", 1)])
    problems = messages.check(template)
    for lang in catalogs.LANGUAGES:
        assert "untranslated: 'A text nobody translated yet'" in problems[lang]
    for lang in messages.TICKET_ONLY:  # the ticket-only catalogs need only the ticket's texts
        assert "untranslated: 'A text nobody translated yet'" not in problems[lang]
        assert any("1 new thing" in p for p in problems[lang])


def test_a_placeholder_the_english_lacks_is_caught(tmp_path, monkeypatch):
    catalog = Catalog(locale="es", domain="messages")
    catalog.add("Display %(code)s", "Pantalla %(codigo)s", flags=["python-format"])
    assert any("codigo" in str(e) for _, errors in catalog.check() for e in errors)


@pytest.mark.parametrize("module", FACES)
@pytest.mark.parametrize("lang", list(catalogs.LANGUAGES))
def test_every_face_entry_is_translated(module, lang):
    table = importlib.import_module(module).CATALOGUE
    assert [key for key, entry in table.items() if not catalogs.has(entry, lang)] == []


def test_arabic_uses_the_six_plural_forms_of_gettext():
    trans = catalogs.translations("ar")
    forms = [trans.plural(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)]
    assert forms == [0, 1, 2, 3, 3, 4, 4, 5, 5, 3, 4]


def test_french_counts_zero_and_one_alike():
    assert catalogs.ngettext("1 person waiting", "%(n)d people waiting", 0, "fr") == \
        "1 personne en attente".replace("1", "0")


def test_an_edited_catalog_is_read_again(tmp_path, monkeypatch):
    po = tmp_path / "es" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Welcome"\nmsgstr "Hola"\n', encoding="utf-8")
    monkeypatch.setattr(catalogs, "TRANSLATIONS_DIR", tmp_path)
    catalogs.reload()
    try:
        assert catalogs.gettext("Welcome", "es") == "Hola"
        assert catalogs.gettext("Welcome", "fr") == "Welcome"  # no file: the English id
    finally:
        monkeypatch.undo()
        catalogs.reload()
    assert catalogs.gettext("Welcome", "es") == "Bienvenido"


def test_direction():
    assert [catalogs.direction(x) for x in ("ar", "ar-EG", "en", None, "fr")] == \
        ["rtl", "rtl", "ltr", "ltr", "ltr"]


@pytest.mark.parametrize("lang", ["en", "es", "fr", "de", "pt"])
def test_a_latin_script_catalog_holds_no_arabic(lang):
    """A German or Portuguese ticket must never print another language's script."""
    from babel.messages.pofile import read_po

    with open(catalogs.po_path(lang), "rb") as fh:
        catalog = read_po(fh, locale=lang)
    strings = [s for m in catalog if m.id
               for s in (m.string if isinstance(m.string, tuple) else (m.string,)) if s]
    assert [s for s in strings if any("\u0600" <= c <= "\u06ff" for c in s)] == []
