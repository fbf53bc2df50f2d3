"""Background upkeep for a serving process: WAL checkpoints and a lean allocator.

Checkpoints move the WAL's pages into the database file and fsync it. Left to
SQLite they run inside whichever commit crosses the threshold — a kiosk's
ticket request — so `serve` raises that threshold and checkpoints here, once a
second, off the request path.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading

from .db import checkpoint, connect

log = logging.getLogger(__name__)

# Keep the WAL file from staying huge after a burst (bytes).
JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024


class Checkpointer:
    """A daemon thread that checkpoints the WAL every ``interval_s``."""

    def __init__(self, db_path: str, interval_s: float = 1.0):
        self.db_path = db_path
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        conn = None
        try:
            while not self._stop.wait(self.interval_s):
                try:
                    if conn is None:
                        conn = connect(self.db_path)
                        conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
                    checkpoint(conn, "PASSIVE")
                except Exception:  # busy, a full disk, a read-only file: try again next second
                    log.exception("WAL checkpoint failed")
                    # A fresh connection next time: one opened read-only stays read-only.
                    if conn is not None:
                        conn.close()
                    conn = None
            if conn is not None:
                checkpoint(conn, "PASSIVE")
        except Exception:
            log.exception("final WAL checkpoint failed")
        finally:
            if conn is not None:
                conn.close()


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Ask glibc for at most ``arenas`` malloc arenas; True if it agreed.

    glibc gives busy threads arenas of their own (up to 8 per core) and rarely
    returns their memory; with ~100 waitress threads that alone adds tens of MB
    of resident memory for no speed gain here.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        m_arena_max = -8
        return bool(libc.mallopt(m_arena_max, arenas))
    except (OSError, AttributeError):
        return False


def raise_open_files_limit(wanted: int = 16384) -> int:
    """Raise this process's open-file limit towards ``wanted`` (within the hard limit).

    Each live stream is a socket; many systems start processes with a soft limit of
    1,024, which a branch of phones passes. Returns the soft limit now in force.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
        except (ValueError, OSError):
            pass
    return soft
