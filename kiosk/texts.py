"""The kiosk's texts in the branch's languages, and how waits are worded.

``t(key, lang, **values)`` (the shared lookup) falls back to English, then to the
key, so a missing translation never breaks the customer's screen.
"""
from __future__ import annotations

from servicepoint.texts import Texts

CATALOGUE: dict[str, dict[str, str]] = {
    "title": {"en": "Take a ticket", "es": "Saque su turno"},
    "welcome": {"en": "Welcome", "es": "Bienvenido"},
    "choose": {"en": "Touch the service you need", "es": "Toque el servicio que necesita"},
    "language": {"en": "Language", "es": "Idioma"},
    "services": {"en": "Services", "es": "Servicios"},
    "priority.label": {"en": "I need priority assistance",
                       "es": "Necesito atención prioritaria"},
    "priority.hint": {"en": "For older people, people with a disability and pregnant women",
                      "es": "Para personas mayores, con discapacidad y embarazadas"},
    "waiting.0": {"en": "Nobody waiting", "es": "Nadie esperando"},
    "waiting.1": {"en": "1 person waiting", "es": "1 persona esperando"},
    "waiting.n": {"en": "{n} people waiting", "es": "{n} personas esperando"},
    "wait.none": {"en": "No wait", "es": "Sin espera"},
    "wait.about": {"en": "about {m} min", "es": "aprox. {m} min"},
    "wait.upto": {"en": "up to {hi} min", "es": "hasta {hi} min"},
    "wait.label": {"en": "Estimated wait", "es": "Espera estimada"},
    "no_services": {"en": "No services are available right now. Please ask a member of staff.",
                    "es": "Ahora no hay servicios disponibles. Pregunte al personal."},
    "ticket.your_number": {"en": "Your number", "es": "Su número"},
    "ticket.ahead.0": {"en": "You are next", "es": "Usted es el siguiente"},
    "ticket.ahead.1": {"en": "1 person ahead of you", "es": "1 persona delante de usted"},
    "ticket.ahead.n": {"en": "{n} people ahead of you", "es": "{n} personas delante de usted"},
    "ticket.take": {"en": "Please take your printed ticket.",
                    "es": "Por favor, recoja su ticket impreso."},
    "ticket.note": {"en": "Please note your number.", "es": "Por favor, anote su número."},
    "ticket.not_printed": {"en": "Your ticket could not be printed — please note your number",
                           "es": "No se ha podido imprimir su ticket — por favor, anote su número"},
    "ticket.watch": {"en": "Watch the screen: we will call your number.",
                     "es": "Mire la pantalla: llamaremos a su número."},
    "ticket.priority": {"en": "Priority assistance", "es": "Atención prioritaria"},
    "ticket.done": {"en": "Done", "es": "Terminar"},
    "ticket.returning": {"en": "This screen goes back to the start in {s} seconds.",
                         "es": "Esta pantalla vuelve al inicio en {s} segundos."},
    "printer.problem": {"en": "The ticket printer is not working right now. Your number will be "
                              "shown on this screen — please note it.",
                        "es": "La impresora de tickets no funciona ahora. Su número aparecerá en "
                              "esta pantalla — por favor, anótelo."},
    "limit.title": {"en": "Please wait a moment", "es": "Espere un momento, por favor"},
    "limit.body": {"en": "This kiosk has issued many tickets in the last minute. Please try again "
                         "in {s} seconds or ask a member of staff.",
                   "es": "Este quiosco ha emitido muchos turnos en el último minuto. Inténtelo de "
                         "nuevo en {s} segundos o pregunte al personal."},
    "error.title": {"en": "Sorry", "es": "Lo sentimos"},
    "error.service": {"en": "That service is not available at this kiosk right now.",
                      "es": "Ese servicio no está disponible ahora en este quiosco."},
    "error.retry": {"en": "Please choose again or ask a member of staff.",
                    "es": "Elija de nuevo o pregunte al personal."},
    "back": {"en": "Back to the start", "es": "Volver al inicio"},
    "unknown.title": {"en": "This kiosk is not set up", "es": "Este quiosco no está configurado"},
    "unknown.body": {"en": "There is no kiosk called {code}. Please ask a member of staff; a "
                           "technician can pair this screen.",
                     "es": "No existe ningún quiosco llamado {code}. Pregunte al personal; un "
                           "técnico puede emparejar esta pantalla."},
}


TEXTS = Texts(CATALOGUE)
t = TEXTS.t
counted = TEXTS.counted
# A wait as customers read it: "No wait", "about 5 min" or a range "10–15 min".
wait_text = TEXTS.wait
