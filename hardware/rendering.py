"""Print jobs to printer bytes: the branch's ticket template, a job payload as
layout data, and render-or-fail (shared by the in-server worker and the agent API).
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3

from servicepoint.db import get_setting
from servicepoint.timeutil import from_db

from . import jobstore

log = logging.getLogger(__name__)


def ticket_template(conn: sqlite3.Connection) -> dict:
    """The branch's ticket template setting (greeting, footer, logo, QR, wait); {} when unset."""
    return get_setting(conn, "ticket_template", {})


def layout_data(payload: dict) -> dict:
    """A job payload (JSON as stored) as ``build_ticket_layout`` wants it: an aware
    ``issued_at`` and a tuple wait range."""
    data = dict(payload)
    issued_at = data.get("issued_at")
    data["issued_at"] = from_db(issued_at) if isinstance(issued_at, str) else issued_at
    if data.get("estimated_wait_range_s"):
        data["estimated_wait_range_s"] = tuple(data["estimated_wait_range_s"])
    return data


def render_job(job, printer, template: dict | None) -> bytes:
    """ESC/POS bytes for a job row on a printer row (profile and paper from the printer)."""
    from .layout import build_test_layout, build_ticket_layout
    from .printers import parse_printer_url
    from .render_escpos import render_escpos

    spec = parse_printer_url(printer["url"])
    profile = printer["profile"] if printer["profile"] != "default" else spec.profile
    paper = printer["paper_mm"] or spec.paper_mm
    if job["kind"] == "test":
        blocks = build_test_layout(printer["name"], printer["url"])
    else:
        blocks = build_ticket_layout(layout_data(jobstore.payload(job)), template or {})
    return render_escpos(blocks, profile=profile, paper_mm=paper)


class RenderFailed(Exception):
    """A claimed job could not be rendered and was failed; ``state`` is its new state."""

    def __init__(self, job_id: int, error: Exception, state: str):
        super().__init__(f"Job {job_id} could not be rendered: {error}")
        self.error = error
        self.state = state


def render_or_fail(conn: sqlite3.Connection, job, printer, now: dt.datetime) -> bytes:
    """The bytes of a claimed job; a job that cannot be rendered is failed at once (it
    must not block the queue) and RenderFailed raised."""
    try:
        return render_job(job, printer, ticket_template(conn))
    except Exception as exc:
        log.exception("cannot render job %s", job["id"])
        state = jobstore.mark_failed(conn, job["id"], f"cannot render ticket: {exc}", now)
        raise RenderFailed(job["id"], exc, state) from exc
