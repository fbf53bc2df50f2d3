"""Every error answer in one place: JSON ``{error, message}`` under ``/api/`` (for every
API blueprint: the core API, the print API and any later one), a friendly page in
the user's language elsewhere. Bad input is a 4xx; a full disk or a read-only
database is a 503 that says so; nothing a caller sends yields a bare 500.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from .domain.model import DomainError
from .i18n import t
from .ports import NotFound

# SQLite primary result codes that mean "the branch server cannot save", and our names.
STORAGE_FAILURES = {13: "disk_full", 8: "read_only", 10: "io_error", 14: "cannot_open"}
STORAGE_MESSAGES = {
    "disk_full": "the disk is full",
    "read_only": "the database is read-only",
    "io_error": "the disk reported an input/output error",
    "cannot_open": "the database file cannot be opened",
}
RETRY_AFTER_S = 30


def storage_failure(exc: BaseException) -> str | None:
    """``disk_full`` / ``read_only`` / ``io_error`` / ``cannot_open`` for such an SQLite error, else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.Error) and code is not None:
        return STORAGE_FAILURES.get(code & 0xFF)
    return None


class WriteHealth:
    """Whether the database took its last write, and how many writes failed, by reason.

    A failed write marks the store failing; the next successful probe
    (:func:`probe_write`, run by ``/healthz`` and ``/metrics``) clears it, so the
    branch recovers by itself once space is freed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failures: dict[str, int] = {reason: 0 for reason in STORAGE_MESSAGES}
        self.failing: str | None = None
        self.since: float | None = None

    def failed(self, reason: str, *, count: bool = True) -> None:
        """Mark the store failing; ``count`` a refused write (a check alone is not one)."""
        with self._lock:
            if count:
                self.failures[reason] = self.failures.get(reason, 0) + 1
            if self.failing is None:
                self.since = time.time()
            self.failing = reason

    def recovered(self) -> None:
        with self._lock:
            self.failing, self.since = None, None


def disk_free(db_path: str) -> int | None:
    """Bytes free for us where the database lives (None when it cannot be told)."""
    try:
        st = os.statvfs(os.path.dirname(os.path.abspath(db_path)))
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def check_storage(conn: sqlite3.Connection, db_path: str, health: WriteHealth,
                  min_free: int) -> str | None:
    """Can the branch save now? The failure reason, or None (and the store marked recovered).

    Two looks: the free space beside the database (below ``min_free`` bytes the
    next tickets may not fit: a full disk in all but name), and one small real
    commit (the settings rows rewritten with their own values), which shows a
    read-only file or a disk that refuses even that.
    """
    from .db import immediate

    free = disk_free(db_path)
    if free is not None and free < min_free:
        health.failed("disk_full", count=False)
        return "disk_full"
    try:
        with immediate(conn):
            conn.execute("UPDATE settings SET value = value")
    except sqlite3.Error as exc:
        reason = storage_failure(exc)
        if reason is None:
            raise
        health.failed(reason, count=False)
        return reason
    health.recovered()
    return None


def _api_error(code: str, message: str, status: int, headers=None):
    response = jsonify(error=code, message=message)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _page(error: HTTPException, headers=None):
    response = current_app.make_response(
        (render_template("servicepoint/error.html", error=error), error.code or 500))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error(exc: HTTPException):
    """JSON for the API, a friendly page for people; ``Allow``/``Retry-After`` kept."""
    if exc.response is not None:  # an answer made for this case (e.g. the throttled sign-in form)
        return exc.response
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
    if not _is_api():
        return _page(exc, headers)
    code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
    message = exc.description or exc.name
    if exc.code == 401:
        message = "This needs a staff sign-in or an API token (Authorization: Bearer ...)"
        headers["WWW-Authenticate"] = 'Bearer realm="servicepoint"'
    elif exc.code == 413:
        limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
        message = f"The body is larger than {limit} bytes"
    elif exc.code == 405:
        message = f"{request.method} is not allowed here"
    return _api_error(code, message, exc.code or 500, headers)


def api_bad_request(exc):
    """``servicepoint.api.BadRequest`` from any API blueprint."""
    headers = {}
    if getattr(exc, "retry_after", None):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="servicepoint"'
    return _api_error(exc.code, str(exc), exc.status, headers)


def domain_error(exc: DomainError):
    from .api import CONFLICTS, FORBIDDEN, MISSING

    status = (409 if exc.code in CONFLICTS else 403 if exc.code in FORBIDDEN
              else 404 if exc.code in MISSING else 400)
    if not _is_api():
        error = HTTPException(description=exc.message)
        error.code = status
        return _page(error)
    return _api_error(exc.code, exc.message, status)


def not_found(exc: NotFound):
    if not _is_api():
        return _page(_http(404, str(exc)))
    return _api_error(f"unknown_{exc.what}", str(exc), 404)


def _http(status: int, description: str) -> HTTPException:
    error = HTTPException(description=description)
    error.code = status
    return error


def database_error(exc: sqlite3.Error):
    """A full disk or read-only database: 503 that says so, recorded for /healthz and /metrics."""
    reason = storage_failure(exc)
    if reason is None:
        return unexpected(exc)
    current_app.extensions["servicepoint"]["write_health"].failed(reason)
    if reason in ("read_only", "cannot_open"):
        # Such a connection stays read-only even after the file is fixed: open a new one.
        g.db_discard = True
    current_app.logger.error("cannot save: %s (%s)", STORAGE_MESSAGES[reason], exc)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if _is_api():
        return _api_error("storage_unavailable",
                          f"The branch server cannot save right now: {STORAGE_MESSAGES[reason]}. "
                          "Nothing was recorded; try again later.", 503, headers)
    return _page(ServiceUnavailable(description=t("error.503")), headers)


def unexpected(exc: Exception):
    """A bug: logged with its traceback; JSON 500 for the API, the friendly page for people."""
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path,
                                 exc_info=exc)
    if _is_api():
        return _api_error("internal_error", "The server had a problem; staff can find it in the log.",
                          500)
    return _page(_http(500, t("error.500")))


def init_app(app: Flask) -> None:
    """Register the handlers for every blueprint of ``app``."""
    from .api import BadRequest

    app.extensions["servicepoint"]["write_health"] = WriteHealth()
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(BadRequest, api_bad_request)
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(NotFound, not_found)
    app.register_error_handler(sqlite3.Error, database_error)
    app.register_error_handler(Exception, unexpected)
