"""The audit log page (``/manager/audit``, an htmx list with filters) and its CSV export."""
from __future__ import annotations

import datetime as dt

from flask import Response, current_app, render_template, request, stream_with_context

from servicepoint import htmx, setup_queries
from servicepoint.auth import login_required
from servicepoint.timeutil import zone
from servicepoint.web_db import get_db

from .views import bp

PAGE_SIZE = 50


def _filters() -> dict:
    """The entity and actor filters from the query string (empty = all)."""
    return {"entity": (request.args.get("entity") or "").strip()[:40] or None,
            "actor": (request.args.get("actor") or "").strip()[:80] or None}


def _before_id() -> int | None:
    raw = request.args.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _show(value) -> str:
    """A before/after value in a few words: lists and tables inline, nothing as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _local(at: dt.datetime) -> str:
    return at.astimezone(zone(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M:%S")


@bp.get("/audit")
@login_required("manager")
def audit():
    """Newest changes first; htmx asks for the list alone (filters) or the next page."""
    filters = _filters()
    entries = setup_queries.audit_entries(get_db(), **filters, before_id=_before_id(),
                                          limit=PAGE_SIZE + 1)
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    context = {"entries": entries, "more": more, "filters": filters, "local": _local, "show": _show,
               "next_before": entries[-1].id if entries else None,
               "options": setup_queries.audit_filters(get_db())}
    if htmx.is_htmx() and request.args.get("before"):
        return htmx.no_store(render_template("manager/_audit_rows.html", **context))
    return htmx.render("manager/audit.html", "manager/_audit.html", **context)


@bp.get("/audit.csv")
@login_required("manager")
def audit_csv():
    """The whole audit log (or the filtered part) as CSV, oldest first, streamed."""
    rows = setup_queries.audit_csv(get_db(), **_filters())
    return htmx.no_store(Response(stream_with_context(rows), mimetype="text/csv"), 200, **{
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="servicepoint-audit.csv"'})
