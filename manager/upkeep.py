"""The manager's "close the day now" button and what the dashboard says about day closes."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for

from servicepoint import setup_queries
from servicepoint.auth import current_principal, login_required
from servicepoint.dayclose import UpkeepPorts, close_day
from servicepoint.domain import upkeep
from servicepoint.i18n import current_language
from servicepoint.timeutil import zone
from servicepoint.web_db import get_db

from . import texts
from .views import bp


def day_close_info() -> dict:
    """When the day closes by itself next (local HH:MM) and the last close, for the page."""
    conn = get_db()
    tz = zone(current_app.config["TIMEZONE"])
    now = current_app.extensions["servicepoint"]["clock"].now()
    closing = setup_queries.settings(conn).closing_time
    last = setup_queries.last_closes(conn, 1)
    return {"next": upkeep.next_close(now, closing, tz).astimezone(tz).strftime("%H:%M"),
            "last": last[0] if last else None,
            "local": lambda at: at.astimezone(tz).strftime("%Y-%m-%d %H:%M")}


@bp.context_processor
def _day_close_context():
    return {"day_close_info": day_close_info}


@bp.post("/day-close")
@login_required("manager")
def day_close():
    """Expire every ticket still open today (confirmed by a tick box), then back to the dashboard."""
    lang = current_language()
    if request.form.get("confirm") != "yes":
        flash(texts.t("day.unconfirmed", lang), "error")
        return redirect(url_for("manager.dashboard"))
    principal = current_principal() or {}
    ext = current_app.extensions["servicepoint"]
    ports = UpkeepPorts(conn=get_db(), clock=ext["clock"], timezone=current_app.config["TIMEZONE"],
                        notify=ext["broadcaster"].publish)
    result = close_day(ports, trigger="manual", actor=principal.get("username", "manager"))
    flash(texts.t("day.closed", lang, day=result.day, n=result.expired), "ok")
    return redirect(url_for("manager.dashboard"))
