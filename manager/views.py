"""Manager views: the live dashboard, its fragment, and the KPI export as CSV.

KPIs come from ``servicepoint.reports`` (SQL over ``ticket_events``); these
views only choose the period and lay the numbers out.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, render_template, request

from servicepoint import htmx, queries, reports, view_cache
from servicepoint.auth import login_required
from servicepoint.domain import kpi
from servicepoint.domain.model import CounterState
from servicepoint.i18n import current_language, remember_language
from servicepoint.timeutil import zone
from servicepoint.web_db import get_db, now

from . import texts

bp = Blueprint("manager", __name__, url_prefix="/manager", template_folder="templates",
               static_folder="static")


bp.before_request(remember_language)


@bp.context_processor
def _texts():
    lang = current_language()
    return {"tr": texts.TEXTS.translator(lang),
            "dur": lambda s: texts.duration(s, lang), "pct": lambda x: texts.percent(x, lang),
            "wait_range": lambda q: texts.wait_range(
                q["estimated_wait_s"], q["estimated_wait_low_s"], q["estimated_wait_high_s"], lang,
                q["no_counter_open"])}


# -- helpers ----------------------------------------------------------------

_no_store = htmx.no_store


def _today_kpis(at: dt.datetime) -> dict:
    """KPIs for tickets issued from the start of the branch day until ``at``."""
    tz = current_app.config["TIMEZONE"]
    start, end = reports.parse_period(None, None, tz, at)
    # The whole day: nobody is issued a ticket later than now, and whole days read
    # the summaries instead of the day's events.
    return reports.kpis(get_db(), start, end, at, tz=tz)


def _counters() -> list[dict]:
    """Every counter with its state, staff, services and the ticket it holds."""
    return [{"code": c.counter.code, "name": c.counter.name, "state": c.counter.state.value,
             "staff": c.counter.staff, "services": c.services, "current": c.current,
             "parked": len(c.parked)}
            for c in queries.counters_overview(get_db())]


def _dashboard_context() -> dict:
    at = now()
    conn = get_db()
    queues = view_cache.queue_overview(current_language())
    for q in queues:
        q["over"] = kpi.over_target(q["waiting"], q["longest_wait_s"], q["target_wait_s"])
    counters = _counters()
    return {"queues": queues, "kpis": _today_kpis(at), "counters": counters,
            "open_counters": sum(1 for c in counters if c["state"] == CounterState.OPEN),
            "printers": sorted(queries.printers(conn), key=lambda p: p["name"]),
            "updated": at.astimezone(zone(current_app.config["TIMEZONE"])).strftime("%H:%M:%S")}


# -- views ------------------------------------------------------------------

@bp.get("")
@login_required("manager")
def dashboard():
    """The live dashboard: queues against target, today's KPIs, counters, export."""
    return htmx.render("manager/dashboard.html", "manager/_dashboard.html", **_dashboard_context())


@bp.get("/dashboard")
@login_required("manager")
def dashboard_fragment():
    """The dashboard's live part alone."""
    return _no_store(render_template("manager/_dashboard.html", **_dashboard_context()))


@bp.get("/export.csv")
@login_required("manager")
def export_csv():
    """KPIs per service for ``from``–``to`` (branch dates; default today) as CSV."""
    try:
        start, end = reports.parse_period(request.args.get("from") or None,
                                          request.args.get("to") or None,
                                          current_app.config["TIMEZONE"], now())
    except ValueError as exc:
        abort(400, description=str(exc))
    body = reports.to_csv(reports.kpis(get_db(), start, end, now(),
                                       tz=current_app.config["TIMEZONE"]))
    day = start.astimezone(zone(current_app.config["TIMEZONE"])).date().isoformat()
    return _no_store(body, 200, **{
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="servicepoint-kpis-{day}.csv"'})


# Routes in their own modules, on this blueprint.
from . import audit, reports_views, setup_pages, setup_people, staffing, upkeep, workday  # noqa: E402,F401
