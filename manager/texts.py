"""The manager dashboard's texts (English and Spanish) and number formatting."""
from __future__ import annotations

from servicepoint import texts as shared
from servicepoint.texts import Texts

CATALOGUE: dict[str, dict[str, str]] = {
    "title": {"en": "Branch dashboard", "es": "Panel de la oficina"},
    "updated": {"en": "Live · updated {time}", "es": "En directo · actualizado {time}"},
    "queues": {"en": "Queues now", "es": "Colas ahora"},
    "service": {"en": "Service", "es": "Servicio"},
    "waiting": {"en": "Waiting", "es": "En espera"},
    "longest": {"en": "Longest wait", "es": "Espera máxima"},
    "target": {"en": "Target", "es": "Objetivo"},
    "over": {"en": "over target", "es": "supera el objetivo"},
    "reserved": {"en": "sent to a counter", "es": "enviados a un mostrador"},
    "estimate": {"en": "New arrival waits", "es": "Espera para nuevos"},
    "open_counters": {"en": "Open counters", "es": "Mostradores abiertos"},
    "kpis": {"en": "Today so far", "es": "Hoy hasta ahora"},
    "kpi.service_level": {"en": "Service level", "es": "Nivel de servicio"},
    "kpi.service_level.hint": {"en": "called within target", "es": "llamados dentro del objetivo"},
    "kpi.avg_wait": {"en": "Average wait", "es": "Espera media"},
    "kpi.no_show": {"en": "No-show rate", "es": "Tasa de no presentados"},
    "kpi.throughput": {"en": "Throughput", "es": "Productividad"},
    "kpi.throughput.unit": {"en": "{n} finished · {rate}/h", "es": "{n} terminados · {rate}/h"},
    "kpi.issued": {"en": "Tickets issued", "es": "Turnos emitidos"},
    "kpi.fcr": {"en": "First-contact resolution", "es": "Resolución al primer contacto"},
    "counters": {"en": "Counters", "es": "Mostradores"},
    "counter": {"en": "Counter", "es": "Mostrador"},
    "state": {"en": "State", "es": "Estado"},
    "staff": {"en": "Staff", "es": "Personal"},
    "serves": {"en": "Serves", "es": "Atiende"},
    "current": {"en": "Current ticket", "es": "Turno actual"},
    "tstate.called": {"en": "called", "es": "llamado"},
    "tstate.serving": {"en": "serving", "es": "atendiendo"},
    "tstate.parked": {"en": "parked", "es": "aparcado"},
    "printers": {"en": "Printers", "es": "Impresoras"},
    "export": {"en": "Export", "es": "Exportar"},
    "export.hint": {"en": "KPIs per service as CSV (dates in the branch's time zone; "
                          "empty = today).",
                    "es": "KPI por servicio en CSV (fechas en la zona horaria de la oficina; "
                          "vacío = hoy)."},
    "export.from": {"en": "From", "es": "Desde"},
    "export.to": {"en": "To", "es": "Hasta"},
    "export.button": {"en": "Download CSV", "es": "Descargar CSV"},
    "none": {"en": "—", "es": "—"},
    # the audit log and the day close
    "audit.title": {"en": "Audit log", "es": "Registro de cambios"},
    "audit.link": {"en": "Audit log", "es": "Registro de cambios"},
    "audit.hint": {"en": "Every change to services, counters, staff, devices and settings: "
                         "who, when, what, before → after. Entries are never changed or removed.",
                   "es": "Cada cambio en servicios, mostradores, personal, dispositivos y ajustes: "
                         "quién, cuándo, qué, antes → después. Nunca se modifican ni se borran."},
    "audit.when": {"en": "When", "es": "Cuándo"},
    "audit.who": {"en": "Who", "es": "Quién"},
    "audit.what": {"en": "What", "es": "Qué"},
    "audit.change": {"en": "Before → after", "es": "Antes → después"},
    "audit.entity": {"en": "Kind", "es": "Tipo"},
    "audit.all": {"en": "All", "es": "Todos"},
    "audit.filter": {"en": "Filter", "es": "Filtrar"},
    "audit.empty": {"en": "No changes recorded yet.", "es": "Aún no hay cambios registrados."},
    "audit.more": {"en": "Older entries", "es": "Entradas anteriores"},
    "audit.csv": {"en": "Download CSV", "es": "Descargar CSV"},
    "audit.created": {"en": "created", "es": "creado"},
    "audit.deleted": {"en": "deleted", "es": "borrado"},
    "day.title": {"en": "Close the day", "es": "Cerrar el día"},
    "day.hint": {"en": "Waiting, called and parked tickets expire now; tomorrow's numbers "
                       "start again at 1. The server also does this by itself at {time}.",
                 "es": "Los turnos en espera, llamados y aparcados caducan ahora; mañana la "
                       "numeración empieza de nuevo en 1. El servidor también lo hace solo a las {time}."},
    "day.confirm": {"en": "I understand that everyone still waiting today loses their turn",
                    "es": "Entiendo que quien aún espera hoy pierde su turno"},
    "day.button": {"en": "Close the day now", "es": "Cerrar el día ahora"},
    "day.closed": {"en": "Day {day} closed: {n} ticket(s) expired.",
                   "es": "Día {day} cerrado: {n} turno(s) caducados."},
    "day.unconfirmed": {"en": "Tick the box to confirm closing the day.",
                        "es": "Marque la casilla para confirmar el cierre del día."},
    "day.last": {"en": "Last close: day {day}, {n} expired ({trigger}, {time}).",
                 "es": "Último cierre: día {day}, {n} caducados ({trigger}, {time})."},
    # -- displays and break reasons (manager/workday.py)
    "setup.links": {"en": "Setup", "es": "Configuración"},
    "displays.title": {"en": "Lobby displays", "es": "Pantallas de sala"},
    "displays.hint": {"en": "What each display's board shows. Back to the",
                      "es": "Lo que muestra cada pantalla. Volver al"},
    "displays.display": {"en": "Display", "es": "Pantalla"},
    "displays.services": {"en": "Services", "es": "Servicios"},
    "displays.services.hint": {"en": "Queues and calls of these services. All ticked: every "
                                     "service, new ones too.",
                               "es": "Colas y llamadas de estos servicios. Todos marcados: todos, "
                                     "también los nuevos."},
    "displays.counters": {"en": "Counters", "es": "Mostradores"},
    "displays.counters.hint": {"en": "Calls to these counters. All ticked: every counter, new ones "
                                     "too.",
                               "es": "Llamadas a estos mostradores. Todos marcados: todos, también "
                                     "los nuevos."},
    "displays.languages": {"en": "Languages", "es": "Idiomas"},
    "displays.board_language": {"en": "Board language", "es": "Idioma de la pantalla"},
    "displays.also": {"en": "Also show headings and announce calls in:",
                      "es": "Mostrar títulos y anunciar llamadas también en:"},
    "displays.orientation": {"en": "Orientation", "es": "Orientación"},
    "orientation.landscape": {"en": "Landscape", "es": "Horizontal"},
    "orientation.portrait": {"en": "Portrait", "es": "Vertical"},
    "displays.message": {"en": "Message line", "es": "Línea de mensaje"},
    "displays.message.hint": {"en": "Shown across the foot of the board (at most 120 characters; "
                                    "empty: none). Never put a customer's name here.",
                              "es": "Se muestra al pie de la pantalla (máximo 120 caracteres; "
                                    "vacío: ninguno). Nunca ponga aquí el nombre de un cliente."},
    "displays.name": {"en": "Name", "es": "Nombre"},
    "displays.all": {"en": "all", "es": "todos"},
    "displays.none": {"en": "No displays are set up.", "es": "No hay pantallas configuradas."},
    "displays.edit": {"en": "Display {code}", "es": "Pantalla {code}"},
    "displays.open": {"en": "Open the board", "es": "Abrir la pantalla"},
    "displays.saved": {"en": "Display {code} saved; its board follows at once.",
                       "es": "Pantalla {code} guardada; se actualiza al momento."},
    "breaks.title": {"en": "Reasons for a break", "es": "Motivos de pausa"},
    "breaks.hint": {"en": "Clerks choose one of these when they take a break. Back to the",
                    "es": "El personal elige uno al hacer una pausa. Volver al"},
    "breaks.label": {"en": "Reasons, one per line", "es": "Motivos, uno por línea"},
    "breaks.field_hint": {"en": "At most 12 reasons of at most 40 characters. Empty: a break "
                                "needs no reason.",
                          "es": "Hasta 12 motivos de hasta 40 caracteres. Vacío: la pausa no "
                                "necesita motivo."},
    "breaks.saved": {"en": "Break reasons saved.", "es": "Motivos de pausa guardados."},
    "form.save": {"en": "Save", "es": "Guardar"},
    "form.fix": {"en": "Please correct the fields marked below; nothing was saved.",
                 "es": "Corrija los campos marcados; no se ha guardado nada."},
    "err.too_long": {"en": "This is too long.", "es": "Es demasiado largo."},
    "err.too_many": {"en": "There are too many entries.", "es": "Hay demasiadas entradas."},
    "err.duplicate": {"en": "An entry appears twice.", "es": "Una entrada aparece dos veces."},
    "err.required": {"en": "This is required.", "es": "Es obligatorio."},
    "err.control_chars": {"en": "Remove the special characters.",
                          "es": "Quite los caracteres especiales."},
    "err.unknown_counter": {"en": "That counter does not exist.", "es": "Ese mostrador no existe."},
    "err.unknown_service": {"en": "That service does not exist.", "es": "Ese servicio no existe."},
    "err.bad_language": {"en": "That is not a language code.", "es": "No es un código de idioma."},
    "err.bad_orientation": {"en": "Choose landscape or portrait.", "es": "Elija horizontal o vertical."},
}

TEXTS = Texts(CATALOGUE)
t = TEXTS.t


def duration(seconds: float | None, lang: str) -> str:
    """``42 s``, ``4 min 05 s`` or ``1 h 02 min``, to the nearest second; an em dash for nothing."""
    return shared.duration(seconds, lang, empty=t("none", lang), rounded=True)


def wait_range(point_s: int, low_s: int, high_s: int, lang: str) -> str:
    """A new arrival's estimate: "4 min", or "2–6 min" when it is a range."""
    if shared.is_range(low_s, high_s):
        return shared.minutes_range(low_s, high_s, lang)
    return duration(point_s, lang)


def percent(share: float | None, lang: str) -> str:
    """A 0–1 share as a whole percentage; an em dash when there is no data yet."""
    return t("none", lang) if share is None else f"{round(share * 100)} %"
