"""The what-if staffing page (``/manager/staffing``): counters needed per service and hour.

A weekday's hour profile comes from the branch's own history
(:mod:`servicepoint.staffing_queries`), Erlang C answers
(:mod:`servicepoint.domain.staffing`), and on request the simulator checks the
busiest hour with the branch's own visit times (:mod:`servicepoint.sim.staffing_check`).
"""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, render_template, request

from servicepoint import htmx, staffing_queries
from servicepoint.auth import login_required
from servicepoint.domain import staffing
from servicepoint.i18n import current_language
from servicepoint.timeutil import branch_day
from servicepoint.web_db import get_db, now

from .views import bp

MAX_WEEKS = 12
CHECK_CUSTOMERS = 400  # per simulator check: a few seconds on the branch server


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query argument in [low, high]; anything else is a 400."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number")
    if not low <= value <= high:
        abort(400, description=f"{name} must be from {low} to {high}")
    return value


@bp.get("/staffing")
@login_required("manager")
def staffing_page():
    """Counters needed per hour and service for a weekday; ``simulate=CODE`` checks one service."""
    tz = current_app.config["TIMEZONE"]
    today = dt.date.fromisoformat(branch_day(now(), tz))
    weekday = _int_arg("weekday", today.weekday() if today.weekday() < 5 else 0, 0, 6)
    weeks = _int_arg("weeks", 4, 1, MAX_WEEKS)
    hist = staffing_queries.history(get_db(), staffing_queries.weekdays_before(today, weekday, weeks), tz)
    table = staffing.plan(hist.goals, hist.profile) if hist.open_days else {}
    hour = _int_arg("hour", staffing.busiest_hour(table) or 0, 0, 23)
    checks = {}
    wanted = request.args.get("simulate")
    if wanted:
        goal = next((g for g in hist.goals if g.code == wanted), None)
        if goal is None or hour not in table:
            abort(400, description="Unknown service or hour")
        cell = table[hour][goal.code]
        if cell.needed and cell.arrivals_per_hour > 0:
            from servicepoint.sim.staffing_check import confirm

            checks[goal.code] = confirm(goal, cell.arrivals_per_hour, cell.needed,
                                        hist.visits.get(goal.code, []), customers=CHECK_CUSTOMERS)
    return htmx.no_store(render_template(
        "manager/staffing.html", hist=hist, table=table, hour=hour, weekday=weekday, weeks=weeks,
        max_weeks=MAX_WEEKS, checks=checks, goals={g.code: g for g in hist.goals},
        lang=current_language()))
