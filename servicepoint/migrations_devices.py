"""Migrations m010 onwards: device pairing, report summaries, spoken counter names.

They register on :data:`servicepoint.migrations.migrations` after m001-m009, so the
order of application stays the order of their numbers.
"""
from __future__ import annotations

import sqlite_utils

from .migrations import _split, migrations


@migrations()
def m010_device_pairing(db: sqlite_utils.Database) -> None:
    """Pairing kiosks, displays and print agents with a one-time code; per-kiosk rate.

    A screen that is not paired asks for a ``pairing_requests`` row: the hash of
    its short code and of a secret only that browser (or agent) holds, and the
    device it was opened as. Entering the code binds the request to a device;
    the holder of the secret then claims a long-lived credential: an
    ``api_tokens`` row of role ``device`` whose ``transport`` says whether it is
    a browser's cookie or an agent's bearer token (each is accepted only the way
    it was given). ``devices.rate_per_min`` sizes a kiosk's own ticket limit
    (NULL: the default).
    """
    statements = """
    ALTER TABLE devices ADD COLUMN rate_per_min INTEGER
        CHECK (rate_per_min IS NULL OR rate_per_min BETWEEN 1 AND 600);
    ALTER TABLE api_tokens ADD COLUMN transport TEXT NOT NULL DEFAULT 'bearer'
        CHECK (transport IN ('bearer', 'cookie'));
    ALTER TABLE api_tokens ADD COLUMN address TEXT;
    CREATE INDEX api_tokens_device ON api_tokens (device_code) WHERE revoked_at IS NULL;
    CREATE TABLE pairing_requests (
        id INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL,
        claim_hash TEXT NOT NULL UNIQUE,
        transport TEXT NOT NULL CHECK (transport IN ('bearer', 'cookie')),
        wanted_code TEXT,              -- the device the screen was opened as, if any
        address TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        device_code TEXT,              -- set when someone entered the code
        approved_by TEXT,
        approved_at TEXT,
        claimed_at TEXT
    );
    CREATE INDEX pairing_requests_code ON pairing_requests (code_hash, expires_at);
    """
    for statement in _split(statements):
        db.execute(statement)


@migrations()
def m011_report_summaries(db: sqlite_utils.Database) -> None:
    """Summaries that reports read instead of every event of a period.

    ``report_hours`` holds the additive counts of finished tickets per local day,
    local hour of issue, service, counter and staff member; ``report_hist`` their
    waits and service times as log-bucketed histograms (count and sum per bucket)
    per local day and per month ("YYYY-MM-DD" or "YYYY-MM"). Both are derived from
    ``ticket_events`` (``servicepoint reports rebuild`` recomputes them), written in
    the transaction that ends a ticket. ``tickets_active`` finds the tickets not
    summarised yet. Existing history is summarised now.
    """
    from .domain.summary import FIELDS

    columns = ", ".join(f"{name} {'REAL' if name.endswith(('_sum', '_max')) else 'INTEGER'}"
                        " NOT NULL DEFAULT 0" for name in FIELDS)
    statements = f"""
    CREATE TABLE report_hours (
        day TEXT NOT NULL, hour INTEGER NOT NULL, service TEXT NOT NULL,
        counter TEXT NOT NULL, staff TEXT NOT NULL, {columns},
        PRIMARY KEY (day, hour, service, counter, staff)
    ) WITHOUT ROWID;
    CREATE TABLE report_hist (
        period TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('wait', 'service')),
        service TEXT NOT NULL, counter TEXT NOT NULL, staff TEXT NOT NULL,
        bucket INTEGER NOT NULL, n INTEGER NOT NULL, total REAL NOT NULL,
        PRIMARY KEY (period, kind, service, counter, staff, bucket)
    ) WITHOUT ROWID;
    CREATE INDEX tickets_active ON tickets (day)
        WHERE state IN ('waiting', 'called', 'serving', 'parked');
    """
    for statement in _split(statements):
        db.execute(statement)
    from .report_store import rebuild

    rebuild(db.conn)


@migrations()
def m012_counter_spoken_names(db: sqlite_utils.Database) -> None:
    """How announcements say each counter, per language (``counters.spoken``, JSON).

    Empty means "counter <code>" in the display's language, as before.
    """
    db.execute("ALTER TABLE counters ADD COLUMN spoken TEXT NOT NULL DEFAULT '{}'")


@migrations()
def m013_report_rollups(db: sqlite_utils.Database) -> None:
    """Histogram rows per service summing every counter and staff member (counter and
    staff ``*``), so a report without those filters reads a few rows per month instead
    of one per counter and staff member. Recomputed from ``ticket_events`` now.
    """
    from .report_store import rebuild

    rebuild(db.conn)


@migrations()
def m014_queue_revision(db: sqlite_utils.Database) -> None:
    """A counter that moves whenever the set of waiting tickets may have changed.

    Every issue and every estimate needs the whole waiting queue; with a revision the
    server keeps the queue it read last and reads it again only when the revision moved
    (see :mod:`servicepoint.wait_store`). The triggers count every row that is or was
    waiting, whoever writes it (the server, the CLI, a technician's SQL).

    The estimate also counts the last hour's arrivals per service. Counting an hour of
    tickets for each issue grew with the hour's tickets; ``arrivals_by_minute`` keeps the
    counts per minute (the last two days, kept by the same trigger), and an index by issue
    time (covering the service and priority) counts the partial minute at the start.
    """
    statements = """
    CREATE INDEX tickets_issued ON tickets (issued_at, origin_service_id, priority);
    CREATE TABLE arrivals_by_minute (
        minute TEXT NOT NULL, service TEXT NOT NULL,
        n INTEGER NOT NULL, priority INTEGER NOT NULL,
        PRIMARY KEY (minute, service)
    ) WITHOUT ROWID;
    INSERT INTO arrivals_by_minute (minute, service, n, priority)
        SELECT substr(issued_at, 1, 16), origin_service_id, count(*), sum(priority != 'normal')
        FROM tickets WHERE issued_at >= strftime('%Y-%m-%dT%H:%M', 'now', '-2 days')
        GROUP BY 1, 2;
    CREATE TRIGGER tickets_arrivals_by_minute AFTER INSERT ON tickets
        BEGIN
            INSERT INTO arrivals_by_minute (minute, service, n, priority)
                VALUES (substr(NEW.issued_at, 1, 16), NEW.origin_service_id, 1,
                        NEW.priority != 'normal')
                ON CONFLICT (minute, service)
                DO UPDATE SET n = n + 1, priority = priority + excluded.priority;
            DELETE FROM arrivals_by_minute
                WHERE minute < strftime('%Y-%m-%dT%H:%M', NEW.issued_at, '-2 days');
        END;
    CREATE TABLE queue_revision (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
    INSERT INTO queue_revision (id, n) VALUES (1, 0);
    CREATE TRIGGER tickets_queue_revision_insert AFTER INSERT ON tickets
        WHEN NEW.state = 'waiting'
        BEGIN UPDATE queue_revision SET n = n + 1; END;
    CREATE TRIGGER tickets_queue_revision_update AFTER UPDATE ON tickets
        WHEN OLD.state = 'waiting' OR NEW.state = 'waiting'
        BEGIN UPDATE queue_revision SET n = n + 1; END;
    CREATE TRIGGER tickets_queue_revision_delete AFTER DELETE ON tickets
        WHEN OLD.state = 'waiting'
        BEGIN UPDATE queue_revision SET n = n + 1; END;
    """
    for statement in _split(statements):
        db.execute(statement)
