"""SQLite storage: connections, applying the schema migrations, and online backups.

WAL mode lets displays read while a kiosk writes. Connections run in
autocommit mode (``isolation_level=None``) so that every write transaction is an
explicit ``BEGIN IMMEDIATE``: taking the write lock up front is what keeps
number allocation and call-next free of "database is locked" upgrades and of
duplicates (docs/architecture.md, *Storage*).
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from typing import Callable

import sqlite_utils

from .migrations import migrations


def connect(path: str, *, synchronous: str = "NORMAL", readonly: bool = False,
            autocheckpoint: int | None = None) -> sqlite3.Connection:
    """Open a connection with the pragmas every part of the server relies on.

    ``synchronous=NORMAL`` in WAL mode survives a killed process (the WAL is in
    the OS cache); FULL also survives a power cut, at the cost of an fsync per
    commit. ``autocheckpoint`` (pages) overrides SQLite's 1000: the server sets a
    high value on request connections and checkpoints from a background thread,
    because a checkpoint (with its fsyncs) inside a kiosk's request triples its
    commit time.
    """
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False, timeout=10)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"Unknown synchronous mode {synchronous!r}")
    conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    if autocheckpoint is not None:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
    return conn


class ConnectionPool:
    """A bounded set of connections to one database, most recently used first.

    Threads borrow a connection for a request and give it back; keeping the
    connections open avoids SQLite deleting and re-creating the WAL (and its
    sync) whenever the last one closes, and the bound keeps memory flat however
    many waitress threads there are.
    """

    def __init__(self, path: str, *, size: int = 16, **connect_kw):
        self.path, self.size, self.connect_kw = path, size, connect_kw
        self._idle: list[sqlite3.Connection] = []
        self._created = 0
        self._cond = threading.Condition()
        self._generation = 0
        self._born: dict[int, int] = {}  # id(connection) -> generation it was opened in

    def acquire(self, timeout: float = 30.0) -> sqlite3.Connection:
        """Borrow a connection; raises TimeoutError when none frees up in ``timeout`` s."""
        with self._cond:
            while not self._idle:
                if self._created < self.size:
                    self._created += 1
                    break
                if not self._cond.wait(timeout):
                    raise TimeoutError(f"no free database connection within {timeout} s")
            else:
                return self._idle.pop()
        try:
            conn = connect(self.path, **self.connect_kw)
            with self._cond:
                self._born[id(conn)] = self._generation
            return conn
        except BaseException:
            with self._cond:
                self._created -= 1
                self._cond.notify()
            raise

    def release(self, conn: sqlite3.Connection, *, discard: bool = False) -> None:
        """Give a connection back (an open transaction is rolled back first).

        ``discard`` closes it instead (one that found the file read-only stays so;
        the next borrower gets a fresh one).
        """
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            discard = True
        with self._cond:
            if self._born.get(id(conn)) != self._generation:
                discard = True
            if discard:
                self._created -= 1
                self._born.pop(id(conn), None)
            else:
                self._idle.append(conn)
            self._cond.notify()
        if discard:
            conn.close()

    def renew(self) -> None:
        """Close every connection: idle ones now, borrowed ones when they come back.

        SQLite shares a database's WAL index between all connections of a process;
        once opened read-only it stays so until the last of them closes. After the
        file is writable again, only fresh connections can write.
        """
        with self._cond:
            self._generation += 1
            idle, self._idle = self._idle, []
            self._created -= len(idle)
            for conn in idle:
                self._born.pop(id(conn), None)
            self._cond.notify_all()
        for conn in idle:
            conn.close()


def get_setting(conn: sqlite3.Connection, key: str, default=None):
    """A branch setting from the ``settings`` table (JSON-decoded), or ``default``."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def set_setting(conn: sqlite3.Connection, key: str, value) -> None:
    """Store a branch setting (JSON-encoded), replacing any earlier value."""
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))


def checkpoint(conn: sqlite3.Connection, mode: str = "PASSIVE") -> tuple[int, int, int]:
    """Run a WAL checkpoint; returns (busy, wal pages, pages checkpointed)."""
    return tuple(conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone())


# Writers inside this process queue on a lock instead of on SQLite's busy handler,
# which sleeps in growing steps (1, 2, 5, 10 … 100 ms) and turns a burst of kiosk
# taps into a long latency tail. Other processes still meet busy_timeout.
_WRITE_LOCK = threading.RLock()


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection, on_commit: Callable[[], None] | None = None):
    """A ``BEGIN IMMEDIATE`` write transaction: commit on success, roll back on error.
    ``on_commit`` runs after the commit, while this process's writers still wait."""
    with _WRITE_LOCK:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
            if on_commit is not None:
                on_commit()
        except BaseException:
            # SQLite may already have rolled back by itself (a full disk does that);
            # a second ROLLBACK would hide the real error behind "no transaction".
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def init_db(path: str) -> list[str]:
    """Create the database file if needed, switch it to WAL and apply pending migrations.

    Returns the names of the migrations applied now (empty when up to date).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        db = sqlite_utils.Database(conn)
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
        return pending
    finally:
        conn.close()


def pending_migrations(path: str) -> list[str]:
    """Names of migrations not yet applied to the database at ``path``."""
    conn = sqlite3.connect(path)
    try:
        return [m.name for m in migrations.pending(sqlite_utils.Database(conn))]
    finally:
        conn.close()


def backup(src_path: str, dest_path: str) -> int:
    """Copy the live database to ``dest_path`` with SQLite's online backup API.

    Safe while the server runs: readers and writers carry on. Returns the number
    of pages copied. Raises ``FileExistsError`` rather than overwrite a file.
    """
    if os.path.exists(dest_path):
        raise FileExistsError(f"{dest_path} already exists; choose a new file name")
    src = sqlite3.connect(src_path)
    dest = sqlite3.connect(dest_path)
    try:
        src.backup(dest, pages=256)
        pages = dest.execute("PRAGMA page_count").fetchone()[0]
        return pages
    finally:
        dest.close()
        src.close()
