"""Print jobs to printer bytes: the branch's ticket template, a job's layout, and
render-or-fail (shared by the in-server worker and the agent API).
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3

from servicepoint.db import get_setting

from . import jobstore
from .layout import Block, build_test_layout, build_ticket_layout
from .printer_url import parse_printer_url

log = logging.getLogger(__name__)


def ticket_template(conn: sqlite3.Connection) -> dict:
    """The branch's ticket template setting (greeting, footer, logo, QR, wait); {} when unset."""
    return get_setting(conn, "ticket_template", {})


def job_layout(job: sqlite3.Row, printer: sqlite3.Row, template: dict | None) -> list[Block]:
    """The blocks a job prints: a test page, or its ticket as issued.

    Raises LookupError for a ticket job without a ticket payload.
    """
    if job["kind"] == "test":
        return build_test_layout(printer["name"], printer["url"])
    payload = jobstore.payload(job)
    if payload is None:
        raise LookupError(f"job {job['id']} has no ticket to print")
    return build_ticket_layout(payload, template or {})


def render_job(job: sqlite3.Row, printer: sqlite3.Row, template: dict | None) -> bytes:
    """ESC/POS bytes for a job row on a printer row (profile and paper from the printer)."""
    from .render_escpos import render_escpos  # late: it loads python-escpos

    spec = parse_printer_url(printer["url"])
    profile = printer["profile"] if printer["profile"] != "default" else spec.profile
    paper = printer["paper_mm"] or spec.paper_mm
    return render_escpos(job_layout(job, printer, template), profile=profile, paper_mm=paper)


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
