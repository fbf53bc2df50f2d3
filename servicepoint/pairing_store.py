"""The SQLite side of device pairing: requests, credentials, and the reads the pages need.

Codes, claim secrets and credentials are stored as SHA-256 hashes only (like
API tokens): a copy of the database pairs nothing and opens no screen. A device
credential is an ``api_tokens`` row of role ``device`` whose ``transport``
(``cookie`` or ``bearer``) is the only way it is accepted.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from typing import Any

from .auth import token_digest
from .db import immediate
from .domain.pairing import PairingRequest
from .setup_store import insert_audit
from .timeutil import from_db, to_db


@dataclasses.dataclass(frozen=True)
class Credential:
    """One device credential as the devices page lists it (never the secret)."""

    id: int
    device_code: str
    transport: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    address: str | None


def _request(row: sqlite3.Row) -> PairingRequest:
    return PairingRequest(id=row["id"], transport=row["transport"], wanted_code=row["wanted_code"],
                          address=row["address"], created_at=from_db(row["created_at"]),
                          expires_at=from_db(row["expires_at"]), device_code=row["device_code"],
                          claimed=row["claimed_at"] is not None)


class SqlitePairingStore:
    """Pairing rows and their audit entries on one connection; ``with store:`` is one
    ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._tx: Any = None

    def __enter__(self) -> "SqlitePairingStore":
        self._tx = immediate(self.conn)
        self._tx.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        tx, self._tx = self._tx, None
        tx.__exit__(exc_type, exc, tb)

    def device_kind(self, code: str) -> str | None:
        row = self.conn.execute("SELECT kind FROM devices WHERE code = ?", (code,)).fetchone()
        return row[0] if row else None

    def request_by_claim(self, claim: str) -> PairingRequest | None:
        row = self.conn.execute("SELECT * FROM pairing_requests WHERE claim_hash = ?",
                                (token_digest(claim),)).fetchone()
        return _request(row) if row else None

    def open_request_by_code(self, code: str, now: dt.datetime) -> PairingRequest | None:
        """The unexpired, not yet entered request showing ``code`` (newest first)."""
        row = self.conn.execute(
            "SELECT * FROM pairing_requests WHERE code_hash = ? AND expires_at > ?"
            " AND device_code IS NULL ORDER BY id DESC LIMIT 1",
            (token_digest(code), to_db(now))).fetchone()
        return _request(row) if row else None

    def code_in_use(self, code: str, now: dt.datetime) -> bool:
        return self.open_request_by_code(code, now) is not None

    def add_request(self, *, code: str, claim: str, transport: str, wanted_code: str | None,
                    address: str | None, now: dt.datetime, expires_at: dt.datetime) -> None:
        self.conn.execute(
            "INSERT INTO pairing_requests (code_hash, claim_hash, transport, wanted_code, address,"
            " created_at, expires_at) VALUES (?,?,?,?,?,?,?)",
            (token_digest(code), token_digest(claim), transport, wanted_code, address,
             to_db(now), to_db(expires_at)))

    def renew_request(self, request_id: int, code: str, expires_at: dt.datetime) -> None:
        """Give a request that expired unentered a new code and a new lifetime."""
        self.conn.execute("UPDATE pairing_requests SET code_hash = ?, expires_at = ? WHERE id = ?",
                          (token_digest(code), to_db(expires_at), request_id))

    def approve(self, request_id: int, device_code: str, actor: str, now: dt.datetime) -> None:
        self.conn.execute(
            "UPDATE pairing_requests SET device_code = ?, approved_by = ?, approved_at = ?"
            " WHERE id = ?", (device_code, actor, to_db(now), request_id))

    def mark_claimed(self, request_id: int, now: dt.datetime) -> None:
        self.conn.execute("UPDATE pairing_requests SET claimed_at = ? WHERE id = ?",
                          (to_db(now), request_id))

    def add_credential(self, *, device_code: str, transport: str, token: str, name: str,
                       address: str | None, now: dt.datetime) -> int:
        cur = self.conn.execute(
            "INSERT INTO api_tokens (name, role, token_hash, device_code, created_at, transport,"
            " address) VALUES (?, 'device', ?, ?, ?, ?, ?)",
            (name, token_digest(token), device_code, to_db(now), transport, address))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def revoke(self, device_code: str, now: dt.datetime, credential_id: int | None = None) -> int:
        """Revoke the device's credentials (or one of them); returns how many were live."""
        sql = ("UPDATE api_tokens SET revoked_at = ? WHERE device_code = ? AND role = 'device'"
               " AND revoked_at IS NULL")
        params: tuple = (to_db(now), device_code)
        if credential_id is not None:
            sql += " AND id = ?"
            params += (credential_id,)
        return self.conn.execute(sql, params).rowcount

    def audit(self, *, at: dt.datetime, actor: str, action: str, entity: str, key: str,
              before: dict | None, after: dict | None) -> None:
        insert_audit(self.conn, at=at, actor=actor, action=action, entity=entity, key=key,
                     before=before, after=after)


# -- reads ---------------------------------------------------------------------

def cookie_device(conn: sqlite3.Connection, code: str, token: str | None) -> bool:
    """True when ``token`` is a live browser credential of device ``code``."""
    if not token:
        return False
    row = conn.execute(
        "SELECT 1 FROM api_tokens t JOIN devices d ON d.code = t.device_code"
        " WHERE t.token_hash = ? AND t.device_code = ? AND t.role = 'device'"
        " AND t.transport = 'cookie' AND t.revoked_at IS NULL",
        (token_digest(token), code)).fetchone()
    return row is not None


def credentials(conn: sqlite3.Connection) -> dict[str, list[Credential]]:
    """Every live device credential, by device code (oldest first)."""
    out: dict[str, list[Credential]] = {}
    for row in conn.execute(
            "SELECT * FROM api_tokens WHERE role = 'device' AND revoked_at IS NULL"
            " AND device_code IS NOT NULL ORDER BY id"):
        out.setdefault(row["device_code"], []).append(Credential(
            id=row["id"], device_code=row["device_code"], transport=row["transport"],
            name=row["name"], created_at=from_db(row["created_at"]),
            last_used_at=from_db(row["last_used_at"]) if row["last_used_at"] else None,
            address=row["address"]))
    return out


def waiting_requests(conn: sqlite3.Connection, now: dt.datetime) -> list[PairingRequest]:
    """Screens and agents showing a code that nobody has entered yet (newest first)."""
    return [_request(r) for r in conn.execute(
        "SELECT * FROM pairing_requests WHERE device_code IS NULL AND expires_at > ?"
        " ORDER BY id DESC LIMIT 50", (to_db(now),))]
