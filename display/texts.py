"""The lobby display's texts (English and Spanish), including what is spoken aloud."""
from __future__ import annotations

from servicepoint import speech
from servicepoint.texts import Texts

CATALOGUE: dict[str, dict[str, str]] = {
    "title": {"en": "Lobby display", "es": "Pantalla de sala"},
    "now_calling": {"en": "Now calling", "es": "Llamando"},
    "ticket": {"en": "Ticket", "es": "Turno"},
    "counter": {"en": "Counter", "es": "Mostrador"},
    "no_calls": {"en": "No tickets called yet today.", "es": "Aún no se ha llamado a nadie hoy."},
    "queues": {"en": "Queues", "es": "Colas"},
    "service": {"en": "Service", "es": "Servicio"},
    "waiting": {"en": "Waiting", "es": "En espera"},
    "wait": {"en": "Wait", "es": "Espera"},
    "wait.none": {"en": "No wait", "es": "Sin espera"},
    "wait.about": {"en": "~{m} min", "es": "~{m} min"},
    "wait.upto": {"en": "≤ {hi} min", "es": "≤ {hi} min"},
    "closed": {"en": "No counter open", "es": "Ningún mostrador abierto"},
    "sound.on": {"en": "Turn on sound", "es": "Activar sonido"},
    "reconnecting": {"en": "Reconnecting…", "es": "Reconectando…"},
    "say": {"en": "Ticket {number}, please go to counter {counter}.",
            "es": "Turno {number}, por favor diríjase al mostrador {counter}."},
    "unknown.title": {"en": "This display is not set up",
                      "es": "Esta pantalla no está configurada"},
    "unknown.body": {"en": "There is no display called {code}. A technician can pair this screen.",
                     "es": "No existe ninguna pantalla llamada {code}. "
                           "Un técnico puede emparejarla."},
}

TEXTS = Texts(CATALOGUE)
t = TEXTS.t
# A queue's wait, short enough for a board column: "No wait", "~5 min", "10–15 min".
wait_text = TEXTS.wait


def announcement(number: str, counter: str, lang: str, numbers: str = "digits") -> speech.Phrase:
    """What the display says when ``number`` is called to ``counter``, in ``lang``.

    ``numbers`` is the branch's ``speech_numbers`` style ("digits": "A 0 4 2").
    Raises ``ValueError`` for a language without a voice or an unknown style.
    """
    return speech.phrase(lang, t("say", lang), number=speech.ticket_number(number, numbers),
                         counter=speech.words(counter))
