"""The counter terminal's texts (English and Spanish) and how durations are written."""
from __future__ import annotations

CATALOGUE: dict[str, dict[str, str]] = {
    "title": {"en": "Counter terminal", "es": "Terminal de mostrador"},
    "choose.title": {"en": "Choose your counter", "es": "Elija su mostrador"},
    "choose.hint": {"en": "Pick the counter you are working at.",
                    "es": "Elija el mostrador en el que trabaja."},
    "choose.none": {"en": "No counters are set up yet. Ask your manager.",
                    "es": "Aún no hay mostradores. Pregunte a su responsable."},
    "change": {"en": "Change counter", "es": "Cambiar de mostrador"},
    "serves": {"en": "Serves", "es": "Atiende"},
    "staffed_by": {"en": "Staff", "es": "Personal"},
    "state.open": {"en": "Open", "es": "Abierto"},
    "state.closed": {"en": "Closed", "es": "Cerrado"},
    "state.break": {"en": "On a break", "es": "En pausa"},
    "tstate.called": {"en": "Called", "es": "Llamado"},
    "tstate.serving": {"en": "Serving", "es": "Atendiendo"},
    "tstate.parked": {"en": "Parked", "es": "Aparcado"},
    "current": {"en": "Current customer", "es": "Cliente actual"},
    "current.none": {"en": "No customer at this counter. Press Call next.",
                     "es": "No hay cliente en este mostrador. Pulse Llamar siguiente."},
    "ticket.service": {"en": "Service", "es": "Servicio"},
    "ticket.state": {"en": "State", "es": "Estado"},
    "ticket.recalls": {"en": "Recalls", "es": "Rellamadas"},
    "ticket.waited": {"en": "Waited", "es": "Esperó"},
    "ticket.since": {"en": "At the counter for", "es": "En el mostrador desde hace"},
    "ticket.priority": {"en": "Priority assistance", "es": "Atención prioritaria"},
    "ticket.appointment": {"en": "Appointment", "es": "Cita previa"},
    "btn.next": {"en": "Call next", "es": "Llamar siguiente"},
    "btn.recall": {"en": "Recall", "es": "Volver a llamar"},
    "btn.start": {"en": "Start", "es": "Empezar"},
    "btn.finish": {"en": "Finish · resolved", "es": "Terminar · resuelto"},
    "btn.follow_up": {"en": "Finish · follow-up", "es": "Terminar · seguimiento"},
    "btn.no_show": {"en": "No-show", "es": "No se presentó"},
    "btn.requeue": {"en": "Requeue", "es": "Devolver a la cola"},
    "btn.transfer": {"en": "Transfer", "es": "Transferir"},
    "btn.park": {"en": "Park", "es": "Aparcar"},
    "btn.call_back": {"en": "Call back", "es": "Volver a llamar"},
    "btn.open": {"en": "Open counter", "es": "Abrir mostrador"},
    "btn.break": {"en": "Take a break", "es": "Hacer una pausa"},
    "btn.resume": {"en": "Resume", "es": "Reanudar"},
    "btn.close": {"en": "Close counter", "es": "Cerrar mostrador"},
    "transfer.title": {"en": "Transfer to", "es": "Transferir a"},
    "transfer.service": {"en": "Service", "es": "Servicio"},
    "transfer.counter": {"en": "or counter", "es": "o mostrador"},
    "transfer.keep": {"en": "— keep —", "es": "— mantener —"},
    "transfer.any": {"en": "— any counter —", "es": "— cualquier mostrador —"},
    "parked.title": {"en": "Parked tickets", "es": "Turnos aparcados"},
    "parked.none": {"en": "No parked tickets.", "es": "No hay turnos aparcados."},
    "queues.title": {"en": "Your queues", "es": "Sus colas"},
    "queues.service": {"en": "Service", "es": "Servicio"},
    "queues.waiting": {"en": "Waiting", "es": "En espera"},
    "queues.longest": {"en": "Longest wait", "es": "Espera máxima"},
    "queues.estimate": {"en": "New arrival waits", "es": "Espera para nuevos"},
    "queues.targeted": {"en": "Sent to this counter", "es": "Enviados a este mostrador"},
    "counter.state": {"en": "Counter", "es": "Mostrador"},
    "shortcuts": {"en": "Keyboard shortcuts", "es": "Atajos de teclado"},
    "msg.call": {"en": "Called {number}.", "es": "Llamado {number}."},
    "msg.next": {"en": "Called {number}.", "es": "Llamado {number}."},
    "msg.nobody": {"en": "Nobody is waiting for this counter.",
                   "es": "Nadie espera en este mostrador."},
    "msg.recall": {"en": "Recalled {number}.", "es": "{number} llamado de nuevo."},
    "msg.start": {"en": "Serving {number}.", "es": "Atendiendo {number}."},
    "msg.finish": {"en": "{number} finished.", "es": "{number} terminado."},
    "msg.no_show": {"en": "{number} marked as no-show.",
                    "es": "{number} marcado como no presentado."},
    "msg.requeue": {"en": "{number} is back in the queue.", "es": "{number} ha vuelto a la cola."},
    "msg.transfer": {"en": "{number} transferred.", "es": "{number} transferido."},
    "msg.park": {"en": "{number} parked.", "es": "{number} aparcado."},
    "msg.state": {"en": "Counter is now: {state}.", "es": "El mostrador está: {state}."},
    "err.not_found": {"en": "That {what} does not exist (any more). The screen has been refreshed.",
                      "es": "Ese elemento ({what}) ya no existe. Se ha actualizado la pantalla."},
    "err.unknown_action": {"en": "Unknown action.", "es": "Acción desconocida."},
    "err.transfer_target_required": {"en": "Choose a service or a counter to transfer to.",
                                     "es": "Elija un servicio o un mostrador al que transferir."},
    "err.transfer_to_self": {"en": "This ticket is already at this counter; choose another one.",
                             "es": "Este turno ya está en este mostrador; elija otro."},
    "dur.s": {"en": "{s} s", "es": "{s} s"},
    "dur.m": {"en": "{m} min", "es": "{m} min"},
    "dur.ms": {"en": "{m} min {s:02d} s", "es": "{m} min {s:02d} s"},
    "dur.hm": {"en": "{h} h {m:02d} min", "es": "{h} h {m:02d} min"},
}


def t(key: str, lang: str, **values) -> str:
    """The text for ``key`` in ``lang`` with ``values`` filled in (English, then the key)."""
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


def duration(seconds: float | None, lang: str) -> str:
    """``42 s``, ``4 min 05 s`` or ``1 h 02 min``; an em dash for nothing."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return t("dur.s", lang, s=seconds)
    if seconds < 3600 and seconds % 60 == 0:
        return t("dur.m", lang, m=seconds // 60)
    if seconds < 3600:
        return t("dur.ms", lang, m=seconds // 60, s=seconds % 60)
    return t("dur.hm", lang, h=seconds // 3600, m=seconds % 3600 // 60)
