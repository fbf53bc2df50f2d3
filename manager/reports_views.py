"""The reports page (``/manager/reports``): KPIs against the service agreement for a
period, charts, and CSV exports of every table and of the raw tickets and events."""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, render_template, request, stream_with_context

from servicepoint import htmx, report_queries, reports
from servicepoint.auth import login_required
from servicepoint.domain import report as rep
from servicepoint.i18n import current_language
from servicepoint.timeutil import branch_day
from servicepoint.web_db import get_db, now

from . import report_page
from .views import bp


def _period() -> dict:
    """The chosen preset (default today), its first and last local day, and its UTC bounds."""
    tz = current_app.config["TIMEZONE"]
    at = now()
    today = dt.date.fromisoformat(branch_day(at, tz))
    preset = request.args.get("preset") or ("custom" if request.args.get("from") else "today")
    if preset not in rep.PRESETS:
        abort(400, description="Unknown period")
    if preset == "custom":
        first = (request.args.get("from") or today.isoformat())[:10]
        last = (request.args.get("to") or first)[:10]
    else:
        lo, hi = rep.preset_days(preset, today)
        first, last = lo.isoformat(), hi.isoformat()
    try:
        start, end = reports.parse_period(first, last, tz, at)
    except ValueError as exc:
        abort(400, description=str(exc))
    return {"preset": preset, "first": first, "last": last, "start": start, "end": end}


def _filters() -> rep.Filters:
    """Service, counter and staff filters; unknown values are a 400."""
    known = report_queries.choices(get_db())
    values = {}
    for name in ("service", "counter", "staff"):
        value = request.args.get(name) or None
        if value is not None and value not in known[name]:
            abort(400, description=f"Unknown {name}")
        values[name] = value
    return rep.Filters(**values)


def _report() -> tuple[dict, dict, rep.Filters]:
    period, filters = _period(), _filters()
    data = reports.kpis(get_db(), period["start"], period["end"], now(),
                        tz=current_app.config["TIMEZONE"], filters=filters, charts=True)
    return data, period, filters


def _query(period: dict, filters: rep.Filters) -> dict:
    """The page's query string (for links to the CSV files)."""
    q = {"preset": period["preset"], "from": period["first"], "to": period["last"]}
    q.update({k: v for k, v in filters.as_dict().items() if v})
    return q


@bp.get("/reports")
@login_required("manager")
def reports_page():
    """KPIs per service and overall, charts and exports for a period and filters."""
    data, period, filters = _report()
    lang = current_language()
    return htmx.no_store(render_template(
        "manager/reports.html", data=data, period=period, filters=filters,
        query=_query(period, filters), choices=report_queries.choices(get_db()),
        presets=rep.PRESETS, charts=report_page.charts(data, lang),
        tables=report_page.TABLES, lang=lang))


@bp.get("/reports/<any(kpis, counters, staff, days, heat, waits):table>.csv")
@login_required("manager")
def report_csv(table: str):
    """One of the page's tables as CSV (seconds to 0.1)."""
    data, period, filters = _report()
    columns, rows = report_page.table(table, data)
    return _csv(reports.table_csv(columns, rows), f"{table}-{period['first']}-{period['last']}")


@bp.get("/reports/<any(tickets, events):kind>.csv")
@login_required("manager")
def raw_csv(kind: str):
    """Every ticket, or every event of those tickets, issued in the period: streamed."""
    period = _period()
    if kind == "tickets":
        columns, rows = report_queries.RAW_TICKET_COLUMNS, report_queries.raw_tickets
    else:
        columns, rows = report_queries.RAW_EVENT_COLUMNS, report_queries.raw_events
    body = reports.stream_csv(columns, rows(get_db(), period["start"], period["end"]))
    return _csv(Response(stream_with_context(body), mimetype="text/csv"),
                f"{kind}-{period['first']}-{period['last']}")


def _csv(body, name: str):
    return htmx.no_store(body, 200, **{
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="servicepoint-{name}.csv"'})

