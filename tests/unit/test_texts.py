"""The text helpers the faces share: keyed look-up over the gettext catalogs, durations, waits."""
from __future__ import annotations

import subprocess
import sys

import pytest

from servicepoint import texts
from servicepoint.catalogs import N_, NC_, NP_

# Entries whose texts the real catalogs translate, plus some they do not.
CATALOGUE = {
    "hello": N_("Welcome"),
    "untranslated": N_("Only English %(name)s"),
    "greet": N_("Display %(code)s"),
    "count": NP_("1 person waiting", "%(n)d people waiting"),
    "count.0": N_("Nobody waiting"),
    "called": NC_("figures", "Called"),
    "wait.none": N_("No wait"),
    "wait.about": NP_("about 1 min", "about %(n)d min"),
    "wait.range": N_("%(lo)s–%(hi)s min"),
    "wait.upto": N_("up to %(hi)s min"),
}


# -- lookup -------------------------------------------------------------------

@pytest.mark.parametrize("key,lang,expected", [
    ("hello", "en", "Welcome"),
    ("hello", "es", "Bienvenido"),
    ("hello", "fr", "Bienvenue"),
    ("hello", "ar", "أهلًا وسهلًا"),
    ("hello", "xx", "Welcome"),          # unknown language: English
    ("hello", None, "Welcome"),
    ("missing", "en", "missing"),        # unknown key: the key
    ("missing", "es", "missing"),
    ("called", "es", "Llamados"),        # a context has its own translation
])
def test_lookup_translates_then_falls_back_to_english_then_the_key(key, lang, expected):
    assert texts.lookup(CATALOGUE, key, lang) == expected


def test_lookup_fills_in_values():
    assert texts.lookup(CATALOGUE, "greet", "en", code="D1") == "Display D1"
    assert texts.lookup(CATALOGUE, "greet", "es", code="D1") == "Pantalla D1"
    assert texts.lookup(CATALOGUE, "untranslated", "fr", name="Ana") == "Only English Ana"


def test_lookup_formats_only_when_values_are_given():
    assert texts.lookup(CATALOGUE, "untranslated", "en") == "Only English %(name)s"
    with pytest.raises(KeyError):
        texts.lookup(CATALOGUE, "greet", "en", other="x")


@pytest.mark.parametrize("lang,n,expected", [
    ("en", 1, "1 person waiting"), ("en", 2, "2 people waiting"),
    ("es", 1, "1 persona esperando"), ("es", 5, "5 personas esperando"),
    ("fr", 1, "1 personne en attente"), ("fr", 3, "3 personnes en attente"),
    ("ar", 1, "شخص واحد ينتظر"), ("ar", 2, "شخصان ينتظران"), ("ar", 3, "3 أشخاص ينتظرون"),
    ("ar", 11, "11 شخصًا ينتظرون"), ("ar", 100, "100 شخص ينتظرون"),
])
def test_plural_forms_follow_each_language(lang, n, expected):
    assert texts.lookup(CATALOGUE, "count", lang, n=n) == expected


def test_importing_the_module_pulls_in_no_flask_and_no_domain():
    code = ("import sys, servicepoint.texts; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'werkzeug', 'jinja2') or m.startswith('servicepoint.domain')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- durations ----------------------------------------------------------------

@pytest.mark.parametrize("seconds,expected", [
    (0, "0 s"),
    (42, "42 s"),
    (59.9, "59 s"),           # cut off, not rounded
    (60, "1 min"),
    (245, "4 min 05 s"),
    (3540, "59 min"),
    (3599, "59 min 59 s"),
    (3600, "1 h 00 min"),
    (3725, "1 h 02 min"),
    (90061, "25 h 01 min"),
    (-30, "0 s"),             # clock steps never read as negative
])
def test_duration(seconds, expected):
    assert texts.duration(seconds, "en") == expected


@pytest.mark.parametrize("seconds,expected", [
    (59.4, "59 s"),
    (59.6, "1 min"),
    (119.5, "2 min"),         # round half to even, as round() does
    (304.7, "5 min 05 s"),
    (-0.4, "0 s"),
])
def test_duration_rounded(seconds, expected):
    assert texts.duration(seconds, "en", rounded=True) == expected


@pytest.mark.parametrize("seconds,expected", [
    (7, "7 s"), (120, "2 min"), (125, "2 min 05 s"), (7260, "2 h 01 min"),
])
def test_duration_in_spanish(seconds, expected):
    assert texts.duration(seconds, "es") == expected


def test_duration_of_nothing():
    assert texts.duration(None, "en") == "—"
    assert texts.duration(None, "es", empty="n/a") == "n/a"
    assert texts.duration(0, "en", empty="n/a") == "0 s"


def test_duration_unknown_language_reads_as_english():
    assert texts.duration(3725, "xx") == texts.duration(3725, "en") == "1 h 02 min"


# -- wait ranges ----------------------------------------------------------------

@pytest.mark.parametrize("low,high,expected", [
    (0, 0, False), (240, 300, False), (240, 359, False), (240, 360, True), (0, 900, True),
])
def test_is_range_follows_the_domain(low, high, expected):
    assert texts.is_range(low, high) is expected


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_minutes_range(lang):
    assert texts.minutes_range(600, 959, lang) == "10–15 min"


def test_minutes_range_in_arabic():
    assert texts.minutes_range(600, 900, "ar") == "10–15 دقيقة"


@pytest.mark.parametrize("point,low,high,lang,expected", [
    (0, 0, 0, "en", "No wait"),
    (-60, 0, 0, "es", "Sin espera"),
    (30, 0, 60, "en", "about 1 min"),       # at least a minute once there is a wait
    (300, 240, 300, "en", "about 5 min"),
    (60, 60, 60, "es", "aprox. 1 min"),     # never "unos 1 min"
    (330, 300, 359, "es", "unos 5 min"),    # under two minutes apart: not a range
    (120, 120, 120, "ar", "دقيقتان تقريبًا"),
    (600, 0, 900, "en", "up to 15 min"),    # a range from under a minute
    (600, 59, 900, "es", "hasta 15 min"),
    (600, 60, 900, "en", "1–15 min"),
    (900, 600, 1200, "fr", "10–20 min"),
])
def test_wait_text(point, low, high, lang, expected):
    assert texts.wait_text(point, low, high, lang, CATALOGUE) == expected


# -- one lookup for every face --------------------------------------------------------

def test_a_face_catalogue_sits_on_the_shared_words():
    face = texts.Texts({"hello": N_("Welcome"), "dur.s": N_("%(s)s sec")})
    assert face.t("hello", "es") == "Bienvenido"
    assert face.t("state.break", "es") == "En pausa"        # shared word
    assert face.t("dur.s", "en", s=3) == "3 sec"            # the face's own wording wins
    assert face.t("nothing", "en") == "nothing"
    assert "state.open" in face and "nothing" not in face
    assert face.translator("es")("state.closed") == "Cerrado"


def test_counted_and_wait():
    face = texts.Texts(CATALOGUE)
    assert [face.counted("count", k, "en") for k in (0, 1, 7)] == [
        "Nobody waiting", "1 person waiting", "7 people waiting"]
    assert face.counted("wait.about", 0, "en") == "about 0 min"  # no .0 entry: the plural
    assert face.wait(900, 600, 1200, "es") == "10–20 min"


@pytest.mark.parametrize("module", ["kiosk.texts", "counter.texts", "display.texts",
                                    "manager.texts", "servicepoint.i18n"])
def test_no_face_repeats_a_shared_word(module):
    import importlib

    own = importlib.import_module(module).TEXTS.own
    repeated = [k for k, v in own.items() if texts.WORDS.get(k) == v]
    assert repeated == [], f"{module} repeats shared words; drop them from its catalogue"
