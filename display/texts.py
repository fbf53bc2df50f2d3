"""The lobby display's texts (gettext ids), including what is spoken aloud."""
from __future__ import annotations

from typing import Mapping

from servicepoint import speech
from servicepoint.catalogs import N_
from servicepoint.texts import Catalogue, Texts

CATALOGUE: Catalogue = {
    "title": N_("Lobby display"),
    "now_calling": N_("Now calling"),
    "ticket": N_("Ticket"),
    "counter": N_("Counter"),
    "no_calls": N_("No tickets called yet today."),
    "queues": N_("Queues"),
    "service": N_("Service"),
    "waiting": N_("Waiting"),
    "wait": N_("Wait"),
    "wait.none": N_("No wait"),
    "wait.about": N_("~%(n)s min"),
    "wait.upto": N_("≤ %(hi)s min"),
    "closed": N_("No counter open"),
    "sound.on": N_("Turn on sound"),
    "reconnecting": N_("Reconnecting…"),
    "stale": N_("Waiting times may be out of date."),
    "say": N_("Ticket %(number)s, please go to %(counter)s."),
    "say.counter": N_("counter %(code)s"),
    "unknown.title": N_("This display is not set up"),
    "unknown.body": N_("There is no display called %(code)s. A technician can pair this screen."),
}

TEXTS = Texts(CATALOGUE)
t = TEXTS.t
# A queue's wait, short enough for a board column: "No wait", "~5 min", "10–15 min".
wait_text = TEXTS.wait


def announcement(number: str, counter: str, lang: str, numbers: str = "digits",
                 spoken: Mapping[str, str] | None = None) -> speech.Phrase:
    """What the display says when ``number`` is called to ``counter``, in ``lang``.

    ``spoken`` is the counter's spoken name per language from setup ("ventanilla
    tres"); without one for ``lang`` the display says "counter <code>" in ``lang``.
    ``numbers`` is the branch's ``speech_numbers`` style ("digits": "A 0 4 2").
    Raises ``ValueError`` for a language without a voice or an unknown style.
    """
    name = (spoken or {}).get(lang) or t("say.counter", lang, code=counter)
    return speech.phrase(lang, t("say", lang), number=speech.ticket_number(number, numbers),
                         counter=speech.words(name))
