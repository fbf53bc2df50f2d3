"""The lobby display's texts (English and Spanish), including what is spoken aloud."""
from __future__ import annotations

import re

from servicepoint.i18n import LANGUAGES
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


def spoken_number(number: str) -> str:
    """``A042`` as a voice should read it: the letters apart, then the number ("A, 42")."""
    match = re.fullmatch(r"([A-Za-z]*)0*(\d+)", number)
    if not match:
        return number
    letters, digits = match.groups()
    return f"{' '.join(letters)}, {int(digits)}" if letters else str(int(digits))


def announcement(number: str, counter: str, lang: str) -> str:
    """The sentence spoken when ``number`` is called to ``counter``, in ``lang``."""
    return t("say", lang if lang in LANGUAGES else "en", number=spoken_number(number),
             counter=counter)
