"""Bare reference server for bench/issue_load.py: Flask + waitress + one SQLite INSERT.

It does the least a ticket POST can do — parse JSON, one INSERT in WAL mode on a
per-thread connection, answer 201 JSON — under the same waitress settings as
``servicepoint serve``. The ratio ServicePoint/bare shows what the real issue
path (validation, BEGIN IMMEDIATE number allocation, ticket_events, print job,
live broadcast) costs on top of the framework and the database.

    python bench/bare_app.py --db /tmp/bare.db --port 8100
"""

from __future__ import annotations

import argparse
import sqlite3
import threading
from datetime import datetime, timezone

from flask import Flask, jsonify, request

# Keep in step with `servicepoint serve` (docs/architecture.md, *Live updates*); see bench/README.md.
WAITRESS_DEFAULTS = {
    "threads": 100,
    "connection_limit": 200,          # servicepoint: max(threads * 2, 200)
    "channel_request_lookahead": 5,
    "channel_timeout": 120,
}


def create_app(db_path: str) -> Flask:
    app = Flask(__name__)
    local = threading.local()

    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS tickets (id INTEGER PRIMARY KEY, service TEXT NOT NULL, "
                 "language TEXT, issued_at TEXT NOT NULL)")
    conn.commit()
    conn.close()

    def db() -> sqlite3.Connection:
        c = getattr(local, "conn", None)
        if c is None:
            c = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False, timeout=10)
            c.execute("PRAGMA busy_timeout = 10000")
            c.execute("PRAGMA synchronous = NORMAL")
            local.conn = c
        return c

    @app.get("/healthz")
    def healthz():
        db().execute("SELECT 1").fetchone()
        return jsonify(status="ok")

    @app.post("/api/v1/tickets")
    def issue():
        body = request.get_json(silent=True) or {}
        service = str(body.get("service", "A"))[:3]
        now = datetime.now(timezone.utc).isoformat()
        cur = db().execute("INSERT INTO tickets (service, language, issued_at) VALUES (?, ?, ?)",
                           (service, body.get("language", "en"), now))
        tid = cur.lastrowid
        return jsonify(id=tid, number=f"{service}{tid:03d}", service=service,
                       state="waiting", issued_at=now), 201

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8100)
    for key, value in WAITRESS_DEFAULTS.items():
        ap.add_argument("--" + key.replace("_", "-"), type=int, default=value)
    args = ap.parse_args()
    from waitress import serve

    serve(create_app(args.db), host=args.host, port=args.port, ident="bare",
          **{k: getattr(args, k) for k in WAITRESS_DEFAULTS})


if __name__ == "__main__":
    main()
