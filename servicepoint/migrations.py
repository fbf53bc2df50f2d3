"""The schema, as numbered migrations applied in order by :func:`servicepoint.db.init_db`.

Each migration runs once per database (sqlite-utils records it by name); a new
one takes the next free number and never changes one that has shipped.
"""
from __future__ import annotations

import sqlite3

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("servicepoint")

TICKET_STATES = "'waiting','called','serving','parked','done','no_show','cancelled','expired'"


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    """Services, counters, staff, devices, printers, tickets, events, counters, jobs, settings."""
    statements = f"""
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL            -- JSON
    );
    CREATE TABLE services (
        code TEXT PRIMARY KEY CHECK (code GLOB '[A-Z]*' AND length(code) BETWEEN 1 AND 3),
        names TEXT NOT NULL,           -- JSON {{"en": "...", "es": "..."}}
        target_wait_s INTEGER NOT NULL DEFAULT 600 CHECK (target_wait_s > 0),
        default_service_s INTEGER NOT NULL DEFAULT 300 CHECK (default_service_s > 0),
        weight REAL NOT NULL DEFAULT 1.0 CHECK (weight > 0),
        active INTEGER NOT NULL DEFAULT 1,
        sort INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('staff','manager','technician','admin')),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('staff','manager','technician','admin','device')),
        token_hash TEXT NOT NULL UNIQUE,   -- sha256 of the token; the token itself is shown once
        device_code TEXT,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE TABLE counters (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('open','closed','break')),
        staff_username TEXT,
        changed_at TEXT
    );
    CREATE TABLE counter_services (
        counter_code TEXT NOT NULL REFERENCES counters(code) ON DELETE CASCADE,
        service_code TEXT NOT NULL REFERENCES services(code),
        PRIMARY KEY (counter_code, service_code)
    );
    CREATE TABLE counter_events (
        id INTEGER PRIMARY KEY,
        counter_code TEXT NOT NULL REFERENCES counters(code),
        action TEXT NOT NULL CHECK (action IN ('open','close','break','resume')),
        at TEXT NOT NULL,
        staff_username TEXT
    );
    CREATE TABLE printers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        paper_mm INTEGER NOT NULL DEFAULT 80 CHECK (paper_mm IN (58, 80)),
        profile TEXT NOT NULL DEFAULT 'default',
        mode TEXT NOT NULL DEFAULT 'server' CHECK (mode IN ('server','agent')),
        enabled INTEGER NOT NULL DEFAULT 1,
        status TEXT NOT NULL DEFAULT 'unknown',
        status_detail TEXT,
        status_at TEXT
    );
    CREATE TABLE devices (
        code TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('kiosk','display')),
        name TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT 'en',
        printer_id INTEGER REFERENCES printers(id) ON DELETE SET NULL,
        services TEXT,                 -- JSON list of service codes; NULL = all
        created_at TEXT NOT NULL,
        last_seen_at TEXT
    );
    CREATE TABLE day_counters (
        service_code TEXT NOT NULL,
        day TEXT NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (service_code, day)
    );
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        public_id TEXT NOT NULL UNIQUE,
        number TEXT NOT NULL,
        origin_service_id TEXT NOT NULL REFERENCES services(code),
        service_id TEXT NOT NULL REFERENCES services(code),
        day TEXT NOT NULL,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ({TICKET_STATES})),
        priority TEXT NOT NULL CHECK (priority IN ('appointment','priority','normal')),
        prank INTEGER NOT NULL,
        language TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        rank_at TEXT NOT NULL,
        front INTEGER NOT NULL DEFAULT 0,
        counter_id TEXT REFERENCES counters(code),
        target_counter_id TEXT REFERENCES counters(code),
        called_at TEXT,
        recalls INTEGER NOT NULL DEFAULT 0,
        outcome TEXT,
        device_code TEXT,
        idempotency_key TEXT UNIQUE,
        updated_at TEXT NOT NULL,
        UNIQUE (origin_service_id, day, seq),
        UNIQUE (day, number)
    );
    CREATE INDEX tickets_waiting ON tickets (service_id, front DESC, prank, rank_at, id)
        WHERE state = 'waiting';
    CREATE INDEX tickets_held ON tickets (counter_id) WHERE counter_id IS NOT NULL;
    CREATE INDEX tickets_day ON tickets (day, origin_service_id);
    CREATE TABLE ticket_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        action TEXT NOT NULL,
        at TEXT NOT NULL,
        service_id TEXT NOT NULL,
        counter_id TEXT,
        staff_username TEXT,
        from_state TEXT,
        to_state TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{{}}'
    );
    CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
    CREATE INDEX ticket_events_at ON ticket_events (at);
    CREATE INDEX ticket_events_service_action ON ticket_events (service_id, action, id);
    CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
        BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
    CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
        BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
    CREATE TABLE print_jobs (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER REFERENCES tickets(id),
        printer_id INTEGER REFERENCES printers(id) ON DELETE SET NULL,
        kind TEXT NOT NULL DEFAULT 'ticket' CHECK (kind IN ('ticket','reprint','test')),
        state TEXT NOT NULL CHECK (state IN ('pending','sent','printed','failed')),
        payload TEXT NOT NULL,         -- JSON: what the layout needs, frozen at issue time
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        sent_at TEXT,
        printed_at TEXT,
        claimed_by TEXT,
        claim_expires_at TEXT,
        bytes INTEGER
    );
    CREATE INDEX print_jobs_pending ON print_jobs (printer_id, id) WHERE state IN ('pending','sent');
    CREATE INDEX print_jobs_ticket ON print_jobs (ticket_id);
    """
    for statement in _split(statements):
        db.execute(statement)


def _split(script: str) -> list[str]:
    """Split a schema script into complete statements (trigger bodies stay whole)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"Incomplete SQL statement in schema: {buf.strip()[:60]}")
    return out


@migrations()
def m002_covering_waiting_index(db: sqlite_utils.Database) -> None:
    """Make the waiting-queue index covering (target counter included).

    "People ahead" counts the waiting tickets that rank before a ticket; without
    ``target_counter_id`` in the index every counted row was a table lookup.
    """
    db.execute("DROP INDEX tickets_waiting")
    db.execute("CREATE INDEX tickets_waiting ON tickets"
               " (service_id, front DESC, prank, rank_at, id, target_counter_id)"
               " WHERE state = 'waiting'")


@migrations()
def m003_print_job_state_index(db: sqlite_utils.Database) -> None:
    """Find pending and sent print jobs by index.

    The partial index of m001 is not used for ``state = 'pending'`` (SQLite does
    not see that it implies ``state IN ('pending','sent')``), so the print worker's
    checks scanned the whole, ever-growing job history.
    """
    db.execute("DROP INDEX print_jobs_pending")
    db.execute("CREATE INDEX print_jobs_state ON print_jobs (state, printer_id)")


@migrations()
def m004_service_codes_letters_only(db: sqlite_utils.Database) -> None:
    """Service codes are letters only.

    A code ending in a digit ("A1") makes ticket A1·001 read "A1001", the same as
    service A's ticket 1001. The m001 CHECK only looked at the first letter; a
    trigger closes the gap without rebuilding the table.
    """
    for event in ("INSERT", "UPDATE OF code"):
        name = "services_code_insert" if event == "INSERT" else "services_code_update"
        db.execute(f"CREATE TRIGGER {name} BEFORE {event} ON services"
                   " WHEN NEW.code GLOB '*[^A-Z]*' OR length(NEW.code) NOT BETWEEN 1 AND 3"
                   " BEGIN SELECT RAISE(ABORT, 'service codes are 1 to 3 letters A-Z'); END")


@migrations()
def m005_fewer_write_indexes(db: sqlite_utils.Database) -> None:
    """Drop indexes no query uses: every index is one more page written per ticket.

    ``tickets (day, origin_service_id)`` duplicates the UNIQUE ``(day, number)``
    index for per-day queries; reports find their tickets by day through that
    one too, and nothing searches events by time alone.
    """
    db.execute("DROP INDEX tickets_day")
    db.execute("DROP INDEX ticket_events_at")


@migrations()
def m006_queue_counts(db: sqlite_utils.Database) -> None:
    """Keep the number of tickets waiting in each service's open queue, maintained by triggers.

    Counting a queue with ``count(*)`` reads every waiting ticket; kiosks, displays
    and every new ticket ask for it, so it grew with the queue. Triggers update the
    count in the same transaction as the ticket, so it can never drift from the rows.
    (Tickets sent to a named counter are not in their service's open queue.)
    """
    db.execute("CREATE TABLE queue_counts (service_id TEXT PRIMARY KEY, waiting INTEGER NOT NULL)")
    db.execute("INSERT INTO queue_counts (service_id, waiting) SELECT s.code, (SELECT count(*)"
               " FROM tickets t WHERE t.state = 'waiting' AND t.target_counter_id IS NULL"
               " AND t.service_id = s.code) FROM services s")
    db.execute("CREATE TRIGGER queue_counts_service AFTER INSERT ON services BEGIN"
               " INSERT OR IGNORE INTO queue_counts (service_id, waiting) VALUES (NEW.code, 0); END")
    db.execute("CREATE TRIGGER queue_counts_insert AFTER INSERT ON tickets"
               " WHEN NEW.state = 'waiting' AND NEW.target_counter_id IS NULL BEGIN"
               " UPDATE queue_counts SET waiting = waiting + 1 WHERE service_id = NEW.service_id; END")
    db.execute("CREATE TRIGGER queue_counts_update AFTER UPDATE OF state, service_id, target_counter_id"
               " ON tickets WHEN (OLD.state = 'waiting' AND OLD.target_counter_id IS NULL)"
               " OR (NEW.state = 'waiting' AND NEW.target_counter_id IS NULL) BEGIN"
               " UPDATE queue_counts SET waiting = waiting - 1 WHERE service_id = OLD.service_id"
               "  AND OLD.state = 'waiting' AND OLD.target_counter_id IS NULL;"
               " UPDATE queue_counts SET waiting = waiting + 1 WHERE service_id = NEW.service_id"
               "  AND NEW.state = 'waiting' AND NEW.target_counter_id IS NULL; END")


@migrations()
def m007_branch_setup(db: sqlite_utils.Database) -> None:
    """What a branch configures without SQL, the audit log, day closes and retention.

    Services gain descriptions, an icon, a category, opening hours and a
    service-level goal; counters a location text, an order for the services they
    serve and an enabled flag. ``audit_log`` is append-only like
    ``ticket_events``. ``day_closes`` records every close so that closing twice
    is harmless and a missed close is found on start-up. Retention may clear
    personal keys from an event's ``data`` (and nothing else), so the
    append-only trigger now allows exactly that: ``data`` may only shrink.
    """
    statements = """
    ALTER TABLE services ADD COLUMN descriptions TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE services ADD COLUMN icon TEXT NOT NULL DEFAULT '';
    ALTER TABLE services ADD COLUMN category TEXT NOT NULL DEFAULT '';
    ALTER TABLE services ADD COLUMN hours TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE services ADD COLUMN service_level_goal REAL NOT NULL DEFAULT 0.8
        CHECK (service_level_goal > 0 AND service_level_goal <= 1);
    ALTER TABLE counters ADD COLUMN location TEXT NOT NULL DEFAULT '';
    ALTER TABLE counters ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE counter_services ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tickets ADD COLUMN anonymised_at TEXT;
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_key TEXT NOT NULL DEFAULT '',
        before TEXT,                   -- JSON, NULL when created
        after TEXT                     -- JSON, NULL when deleted
    );
    CREATE INDEX audit_log_entity ON audit_log (entity, entity_key, id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TABLE day_closes (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        at TEXT NOT NULL,
        expired INTEGER NOT NULL,
        trigger TEXT NOT NULL          -- schedule | start-up | manual | cli
    );
    CREATE INDEX day_closes_day ON day_closes (day);
    DROP TRIGGER ticket_events_no_update;
    CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
        WHEN NEW.id IS NOT OLD.id OR NEW.ticket_id IS NOT OLD.ticket_id
          OR NEW.action IS NOT OLD.action OR NEW.at IS NOT OLD.at
          OR NEW.service_id IS NOT OLD.service_id OR NEW.counter_id IS NOT OLD.counter_id
          OR NEW.staff_username IS NOT OLD.staff_username
          OR NEW.from_state IS NOT OLD.from_state OR NEW.to_state IS NOT OLD.to_state
          OR length(NEW.data) > length(OLD.data) OR NOT json_valid(NEW.data)
        BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
    UPDATE counter_services SET position = (
        SELECT count(*) FROM counter_services o
        WHERE o.counter_code = counter_services.counter_code
          AND o.service_code < counter_services.service_code);
    """
    for statement in _split(statements):
        db.execute(statement)


@migrations()
def m008_staff_sessions(db: sqlite_utils.Database) -> None:
    """Server-side staff sessions, so that signing out, deactivation, a password reset
    or a role change ends them at once (a signed cookie alone cannot be taken back).

    Only a hash of each session's secret is stored, like API tokens.
    """
    db.execute("""CREATE TABLE staff_sessions (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        address TEXT
    )""")
    db.execute("CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id)")


@migrations()
def m009_counter_and_display_setup(db: sqlite_utils.Database) -> None:
    """Why a counter took a break, and each display's own configuration.

    ``counter_events.reason`` keeps the reason a clerk chose from the branch's
    list. A display covers some services (``devices.services``, as before) and
    some counters (``counters``, JSON, NULL = all), speaks ``languages`` (JSON,
    NULL = its one ``language``), stands in an ``orientation`` (NULL =
    landscape) and shows a ``message`` line (NULL = none). Tickets sent to a named
    counter are counted apart from their service's open queue, through a small
    index of their own.
    """
    statements = """
    ALTER TABLE counter_events ADD COLUMN reason TEXT;
    ALTER TABLE devices ADD COLUMN counters TEXT;
    ALTER TABLE devices ADD COLUMN languages TEXT;
    ALTER TABLE devices ADD COLUMN orientation TEXT
        CHECK (orientation IS NULL OR orientation IN ('landscape', 'portrait'));
    ALTER TABLE devices ADD COLUMN message TEXT;
    CREATE INDEX tickets_reserved ON tickets (service_id, target_counter_id)
        WHERE state = 'waiting' AND target_counter_id IS NOT NULL;
    """
    for statement in _split(statements):
        db.execute(statement)


# Registered in number order: the devices and reports era follows in its own module.
from . import migrations_devices  # noqa: E402,F401
