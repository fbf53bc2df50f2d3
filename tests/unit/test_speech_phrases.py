"""What the server says: phrases built from known data, numbers digit by digit or whole.

The last tests ask the real espeak-ng how it reads the SSML (``-x`` prints its
phonemes), so "digit by digit" is checked on the engine, not on our strings.
"""
from __future__ import annotations

import subprocess

import pytest

from display import texts
from servicepoint import speech
from servicepoint.domain.branch import BranchSettings, InvalidSetup
from servicepoint.domain.branch_rules import parse_settings
from tests.support.require import require_espeak


@pytest.mark.parametrize("number,style,text", [
    ("A042", "digits", "A 0 4 2"),
    ("A042", "whole", "A 42"),
    ("AB007", "digits", "A B 0 0 7"),
    ("AB007", "whole", "A B 7"),
    ("7", "whole", "7"),
    ("B100", "whole", "B 100"),
])
def test_ticket_number_as_the_branch_prefers(number, style, text):
    assert speech.ticket_number(number, style).text == text


def test_digits_are_spelled_in_ssml():
    spoken = speech.ticket_number("A042", "digits")
    assert spoken.ssml == '<say-as interpret-as="characters">A042</say-as>'
    whole = speech.ticket_number("A042", "whole")
    assert whole.ssml == '<say-as interpret-as="characters">A</say-as> 42'


def test_unknown_number_style_is_refused():
    with pytest.raises(ValueError, match="unknown number style"):
        speech.ticket_number("A042", "roman")


def test_the_branch_setting_takes_only_known_styles():
    assert BranchSettings().speech_numbers == "digits"
    assert parse_settings({"speech_numbers": "whole"}).speech_numbers == "whole"
    with pytest.raises(InvalidSetup) as exc:
        parse_settings({"speech_numbers": "roman"})
    assert [(e.field, e.key) for e in exc.value.errors] == [
        ("speech_numbers", "setup.bad_speech_numbers")]
    assert speech.NUMBER_STYLES == ("digits", "whole")


def test_display_announcement_in_english_and_spanish():
    en = texts.announcement("A042", "3", "en")
    assert en.text == "Ticket A 0 4 2, please go to counter 3."
    assert en.ssml == ('<speak>Ticket <say-as interpret-as="characters">A042</say-as>,'
                       ' please go to counter 3.</speak>')
    es = texts.announcement("A042", "3", "es", "whole")
    assert es.lang == "es" and es.text == "Turno A 42, por favor diríjase al mostrador 3."


def test_a_counter_name_cannot_inject_markup():
    p = texts.announcement("A001", '3</speak><audio src="x"/>&', "en")
    assert "<audio" not in p.ssml and '&lt;/speak&gt;&lt;audio src="x"/&gt;&amp;' in p.ssml
    assert p.ssml.count("<speak>") == 1 and p.ssml.endswith("</speak>")


def test_phrase_refusals():
    with pytest.raises(ValueError, match="no voice"):
        speech.phrase("xx", "Ticket %(number)s", number=speech.words("1"))
    with pytest.raises(ValueError, match="needs a 'counter' part"):
        speech.phrase("en", "Ticket %(number)s to %(counter)s", number=speech.words("1"))
    with pytest.raises(ValueError, match="too long"):
        speech.phrase("en", "%(x)s", x=speech.words("word " * 500))


def _phonemes(phrase: speech.Phrase) -> str:
    exe = require_espeak()
    args = speech.Speech("/nonexistent", rate=150).arguments(phrase)
    out = subprocess.run([exe, "-q", "-x", *args], input=phrase.ssml.encode(), capture_output=True,
                         timeout=10, check=True)
    # Stress marks (' and ,) move with the context; the sounds are what matter.
    return out.stdout.decode().replace("'", "").replace(",", "")


def test_espeak_reads_digit_by_digit():
    digits = _phonemes(texts.announcement("A042", "3", "en", "digits"))
    whole = _phonemes(texts.announcement("A042", "3", "en", "whole"))
    # "zero four two" one by one, against "forty-two"; the letter A as a letter ("eI"), not "a".
    assert "zi@roU" in digits and "fo@ti" not in digits
    assert "fo@ti" in whole and "zi@roU" not in whole
    assert "eI" in digits and "eI" in whole


def test_espeak_reads_spanish_digits():
    digits = _phonemes(texts.announcement("B105", "2", "es", "digits"))
    assert "Te**o" in digits  # "cero", alone
    assert "Te**o" not in _phonemes(texts.announcement("B105", "2", "es", "whole"))


def test_a_counter_is_said_by_its_spoken_name_in_each_language():
    spoken = {"es": "a la ventanilla tres", "en": "the cashier's desk"}
    es = texts.announcement("A042", "3", "es", spoken=spoken)
    assert es.text == "Turno A 0 4 2, por favor diríjase a la ventanilla tres."
    assert texts.announcement("A042", "3", "en", spoken=spoken).text == \
        "Ticket A 0 4 2, please go to the cashier's desk."
    # A language without a spoken name says "counter <code>" in its own words.
    assert texts.announcement("A042", "3", "fr", spoken=spoken).text == \
        "Ticket A 0 4 2, veuillez vous présenter au guichet 3."
    assert "الشباك 3" in texts.announcement("A042", "3", "ar", spoken=spoken).text


def test_a_spoken_name_cannot_inject_markup():
    p = texts.announcement("A001", "3", "en", spoken={"en": '<audio src="x"/>'})
    assert "<audio" not in p.ssml and "&lt;audio" in p.ssml
