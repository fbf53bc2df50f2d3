"""The text helpers the faces share: look-up with fallbacks, durations, wait ranges."""
from __future__ import annotations

import subprocess
import sys

import pytest

from servicepoint import texts

CATALOGUE = {
    "hello": {"en": "Hello", "es": "Hola"},
    "only_en": {"en": "Only English"},
    "empty_es": {"en": "English wins", "es": ""},
    "no_text": {},
    "greet": {"en": "Hello {name}", "es": "Hola {name}"},
    "braces": {"en": "Use {name} as is"},
    "wait.none": {"en": "No wait", "es": "Sin espera"},
    "wait.about": {"en": "about {m} min", "es": "aprox. {m} min"},
    "wait.range": {"en": "{lo} to {hi} min", "es": "de {lo} a {hi} min"},
    "wait.upto": {"en": "up to {hi} min", "es": "hasta {hi} min"},
}


# -- lookup -------------------------------------------------------------------

@pytest.mark.parametrize("key,lang,expected", [
    ("hello", "en", "Hello"),
    ("hello", "es", "Hola"),
    ("hello", "fr", "Hello"),          # unknown language: English
    ("only_en", "es", "Only English"),  # missing translation: English
    ("empty_es", "es", "English wins"),  # empty translation: English
    ("no_text", "es", "no_text"),      # no text at all: the key
    ("missing", "en", "missing"),      # unknown key: the key
    ("missing", "es", "missing"),
])
def test_lookup_falls_back_to_english_then_the_key(key, lang, expected):
    assert texts.lookup(CATALOGUE, key, lang) == expected


def test_lookup_fills_in_values():
    assert texts.lookup(CATALOGUE, "greet", "en", name="Ana") == "Hello Ana"
    assert texts.lookup(CATALOGUE, "greet", "es", name="Ana") == "Hola Ana"
    assert texts.lookup(CATALOGUE, "greet", "fr", name="Ana") == "Hello Ana"


def test_lookup_formats_only_when_values_are_given():
    assert texts.lookup(CATALOGUE, "braces", "en") == "Use {name} as is"
    with pytest.raises(KeyError):
        texts.lookup(CATALOGUE, "greet", "en", other="x")


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
    assert texts.duration(3725, "fr") == texts.duration(3725, "en") == "1 h 02 min"


# -- wait ranges ----------------------------------------------------------------

@pytest.mark.parametrize("low,high,expected", [
    (0, 0, False), (240, 300, False), (240, 359, False), (240, 360, True), (0, 900, True),
])
def test_is_range_follows_the_domain(low, high, expected):
    assert texts.is_range(low, high) is expected


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_minutes_range(lang):
    assert texts.minutes_range(600, 959, lang) == "10–15 min"


def test_minutes_range_uses_the_given_wording():
    assert texts.minutes_range(600, 900, "en", CATALOGUE) == "10 to 15 min"
    assert texts.minutes_range(600, 900, "es", CATALOGUE) == "de 10 a 15 min"


@pytest.mark.parametrize("point,low,high,lang,expected", [
    (0, 0, 0, "en", "No wait"),
    (-60, 0, 0, "es", "Sin espera"),
    (30, 0, 60, "en", "about 1 min"),       # at least a minute once there is a wait
    (300, 240, 300, "en", "about 5 min"),
    (330, 300, 359, "es", "aprox. 5 min"),  # under two minutes apart: not a range
    (600, 0, 900, "en", "up to 15 min"),    # a range from under a minute
    (600, 59, 900, "es", "hasta 15 min"),
    (600, 60, 900, "en", "1 to 15 min"),
    (900, 600, 1200, "es", "de 10 a 20 min"),
    (900, 600, 1200, "fr", "10 to 20 min"),
])
def test_wait_text(point, low, high, lang, expected):
    assert texts.wait_text(point, low, high, lang, CATALOGUE) == expected


# -- one lookup for every face --------------------------------------------------------

def test_a_face_catalogue_sits_on_the_shared_words():
    face = texts.Texts({"hello": {"en": "Hello"}, "dur.s": {"en": "{s} sec"}})
    assert face.t("hello", "es") == "Hello"
    assert face.t("state.break", "es") == "En pausa"        # shared word
    assert face.t("dur.s", "en", s=3) == "3 sec"            # the face's own wording wins
    assert face.t("nothing", "en") == "nothing"
    assert "state.open" in face and "nothing" not in face
    assert face.translator("es")("state.closed") == "Cerrado"


def test_counted_and_wait():
    face = texts.Texts({**CATALOGUE, "n.0": {"en": "none"}, "n.1": {"en": "one"},
                        "n.n": {"en": "{n} of them"}})
    assert [face.counted("n", k, "en") for k in (0, 1, 7)] == ["none", "one", "7 of them"]
    assert face.wait(900, 600, 1200, "es") == "de 10 a 20 min"


@pytest.mark.parametrize("module", ["kiosk.texts", "counter.texts", "display.texts",
                                    "manager.texts", "servicepoint.i18n"])
def test_no_face_repeats_a_shared_word(module):
    import importlib

    own = importlib.import_module(module).TEXTS.own
    repeated = [k for k, v in own.items() if texts.WORDS.get(k) == v]
    assert repeated == [], f"{module} repeats shared words; drop them from its catalogue"
