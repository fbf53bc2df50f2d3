"""The manager dashboard's texts (gettext ids, translated in the ``.po`` catalogs) and numbers."""
from __future__ import annotations

from servicepoint import texts as shared
from servicepoint.catalogs import N_, NP_
from servicepoint.texts import Catalogue, Texts

from .report_texts import CATALOGUE as REPORT_TEXTS
from .staffing_texts import CATALOGUE as STAFFING_TEXTS

CATALOGUE: Catalogue = {
    "title": N_("Branch dashboard"),
    "updated": N_("Live · updated %(time)s"),
    "queues": N_("Queues now"),
    "service": N_("Service"),
    "waiting": N_("Waiting"),
    "longest": N_("Longest wait"),
    "target": N_("Target"),
    "over": N_("over target"),
    "reserved": N_("sent to a counter"),
    "estimate": N_("New arrival waits"),
    "open_counters": N_("Open counters"),
    "kpis": N_("Today so far"),
    "kpi.service_level": N_("Service level"),
    "kpi.service_level.hint": N_("called within target"),
    "kpi.avg_wait": N_("Average wait"),
    "kpi.no_show": N_("No-show rate"),
    "kpi.throughput": N_("Throughput"),
    "kpi.throughput.unit": N_("%(n)s finished · %(rate)s/h"),
    "kpi.issued": N_("Tickets issued"),
    "kpi.fcr": N_("First-contact resolution"),
    "counters": N_("Counters"),
    "counter": N_("Counter"),
    "state": N_("State"),
    "staff": N_("Staff"),
    "serves": N_("Serves"),
    "current": N_("Current ticket"),
    "tstate.called": N_("called"),
    "tstate.serving": N_("serving"),
    "tstate.parked": N_("parked"),
    "printers": N_("Printers"),
    "export": N_("Export"),
    "export.hint": N_("KPIs per service as CSV (dates in the branch's time zone; empty = today)."),
    "export.from": N_("From"),
    "export.to": N_("To"),
    "export.button": N_("Download CSV"),
    "none": N_("—"),
    "audit.title": N_("Audit log"),
    "audit.link": N_("Audit log"),
    "audit.hint": N_(
        "Every change to services, counters, staff, devices and settings: "
        "who, when, what, before → after. Entries are never changed or "
        "removed.",
    ),
    "audit.when": N_("When"),
    "audit.who": N_("Who"),
    "audit.what": N_("What"),
    "audit.change": N_("Before → after"),
    "audit.entity": N_("Kind"),
    "audit.all": N_("All"),
    "audit.filter": N_("Filter"),
    "audit.empty": N_("No changes recorded yet."),
    "audit.more": N_("Older entries"),
    "audit.csv": N_("Download CSV"),
    "audit.created": N_("created"),
    "audit.deleted": N_("deleted"),
    "day.title": N_("Close the day"),
    "day.hint": N_(
        "Waiting, called and parked tickets expire now; tomorrow's numbers "
        "start again at 1. The server also does this by itself at %(time)s.",
    ),
    "day.confirm": N_("I understand that everyone still waiting today loses their turn"),
    "day.button": N_("Close the day now"),
    "day.closed": NP_(
        "Day %(day)s closed: %(n)d ticket expired.",
        "Day %(day)s closed: %(n)d tickets expired.",
    ),
    "day.unconfirmed": N_("Tick the box to confirm closing the day."),
    "day.last": N_("Last close: day %(day)s, %(n)s expired (%(trigger)s, %(time)s)."),
    "setup.links": N_("Setup"),
    "displays.title": N_("Lobby displays"),
    "displays.hint": N_("What each display's board shows. Back to the"),
    "displays.display": N_("Display"),
    "displays.services": N_("Services"),
    "displays.services.hint": N_(
        "Queues and calls of these services. All ticked: every service, new "
        "ones too.",
    ),
    "displays.counters": N_("Counters"),
    "displays.counters.hint": N_(
        "Calls to these counters. All ticked: every counter, new ones too.",
    ),
    "displays.languages": N_("Languages"),
    "displays.board_language": N_("Board language"),
    "displays.also": N_("Also show headings and announce calls in:"),
    "displays.orientation": N_("Orientation"),
    "orientation.landscape": N_("Landscape"),
    "orientation.portrait": N_("Portrait"),
    "displays.message": N_("Message line"),
    "displays.message.hint": N_(
        "Shown across the foot of the board (at most 120 characters; empty: "
        "none). Never put a customer's name here.",
    ),
    "displays.name": N_("Name"),
    "displays.all": N_("all"),
    "displays.none": N_("No displays are set up."),
    "displays.edit": N_("Display %(code)s"),
    "displays.open": N_("Open the board"),
    "displays.saved": N_("Display %(code)s saved; its board follows at once."),
    "breaks.title": N_("Reasons for a break"),
    "breaks.hint": N_("Clerks choose one of these when they take a break. Back to the"),
    "breaks.label": N_("Reasons, one per line"),
    "breaks.field_hint": N_(
        "At most 12 reasons of at most 40 characters. Empty: a break needs "
        "no reason.",
    ),
    "breaks.saved": N_("Break reasons saved."),
    "form.save": N_("Save"),
    "form.fix": N_("Please correct the fields marked below; nothing was saved."),
    "err.too_long": N_("This is too long."),
    "err.too_many": N_("There are too many entries."),
    "err.duplicate": N_("An entry appears twice."),
    "err.required": N_("This is required."),
    "err.control_chars": N_("Remove the special characters."),
    "err.unknown_counter": N_("That counter does not exist."),
    "err.unknown_service": N_("That service does not exist."),
    "err.bad_language": N_("That is not a language code."),
    "err.bad_orientation": N_("Choose landscape or portrait."),
}

CATALOGUE.update(REPORT_TEXTS)
CATALOGUE.update(STAFFING_TEXTS)
TEXTS = Texts(CATALOGUE)
t = TEXTS.t


def duration(seconds: float | None, lang: str) -> str:
    """``42 s``, ``4 min 05 s`` or ``1 h 02 min``, to the nearest second; an em dash for nothing."""
    return shared.duration(seconds, lang, empty=t("none", lang), rounded=True)


def wait_range(point_s: int, low_s: int, high_s: int, lang: str,
               no_counter: bool = False) -> str:
    """A new arrival's estimate: "4 min", "2–6 min" when it is a range, or "No counter open"."""
    if no_counter:
        return shared.lookup(shared.WORDS, "wait.closed", lang)
    if shared.is_range(low_s, high_s):
        return shared.minutes_range(low_s, high_s, lang)
    return duration(point_s, lang)


def percent(share: float | None, lang: str) -> str:
    """A 0–1 share as a whole percentage; an em dash when there is no data yet."""
    return t("none", lang) if share is None else f"{round(share * 100)} %"
