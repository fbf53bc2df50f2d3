"""Helpers for the attack tests: a demo branch server with known credentials, and a
small browser-like HTTP client (cookies, CSRF token, a chosen source address).

Every attack runs against a real ``servicepoint serve`` process over TCP, as a
guest on the branch Wi-Fi would send it.
"""
from __future__ import annotations

import http.client
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit

from servicepoint import auth
from servicepoint.db import connect, set_setting
from servicepoint.timeutil import SystemClock, to_db
from tests.support.devices import cookie_name, pair
from tests.support.server import Response, ServerProcess, run_init

PUBLIC_URL = "https://queue.branch.example"
PASSWORDS = {"clerk": "clerk-demo", "manager": "manager-demo", "tech": "tech-demo"}


@dataclass
class Branch:
    """A running demo branch and the credentials the tests use."""

    server: ServerProcess
    db: Path
    staff_token: str
    manager_token: str
    device_token: str   # bound to kiosk K1, whose printer is driven by an agent
    technician_token: str

    @property
    def url(self) -> str:
        return self.server.url

    def connect(self) -> sqlite3.Connection:
        return connect(str(self.db))


def prepare_demo(db: Path, *, public_url: str | None = PUBLIC_URL, agent_printer: bool = True) -> dict:
    """``init --demo`` a database, set its public URL, make API tokens; returns the tokens."""
    run_init(db)
    conn = connect(str(db))
    now = to_db(SystemClock().now())
    try:
        with conn:
            if public_url:
                set_setting(conn, "public_url", public_url)
            if agent_printer:
                conn.execute("UPDATE printers SET mode = 'agent'")
        tokens = {
            "staff_token": auth.create_token(conn, "sec-staff", "staff", now=now),
            "manager_token": auth.create_token(conn, "sec-manager", "manager", now=now),
            "device_token": auth.create_token(conn, "sec-agent", "device", now=now,
                                              device_code="K1"),
            "technician_token": auth.create_token(conn, "sec-tech", "technician", now=now),
        }
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the .db file alone is complete
        return tokens
    finally:
        conn.close()


def start_branch(tmp: Path, env: Mapping[str, str] | None = None, **prepare) -> Branch:
    db = tmp / "branch.db"
    tokens = prepare_demo(db, **prepare)
    server = ServerProcess(db, init=False, env=env, extra_args=["--no-workers"]).start()
    return Branch(server=server, db=db, **tokens)


class Browser:
    """One visitor: keeps the session cookie and the page's CSRF token; never retries.

    ``source`` binds the client socket to another loopback address (127.0.0.2 …),
    so the server sees a second device on the network.
    """

    def __init__(self, base_url: str, source: str | None = None, timeout: float = 30.0):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.source = source
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []
        self.csrf: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout,
            source_address=(self.source, 0) if self.source else None)
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            raw_headers = resp.getheaders()
        finally:
            conn.close()
        for name, value in raw_headers:
            if name.lower() == "set-cookie":
                self.set_cookie_headers.append(value)
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value and "Max-Age=0" not in value and "expires=Thu, 01 Jan 1970" not in value:
                    self.cookies[cookie_name.strip()] = cookie_value
                else:
                    self.cookies.pop(cookie_name.strip(), None)
        response = Response(resp.status, {k.lower(): v for k, v in raw_headers}, payload)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', payload)
        if match:
            self.csrf = match.group(1).decode()
        return response

    def pair_as(self, db: Path | str, *codes: str) -> "Browser":
        """Become the branch's own screen for each device in ``codes`` (paired by code)."""
        for code in codes:
            self.cookies[cookie_name(code)] = pair(str(db), code)
        return self

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, data: Mapping[str, str], *, csrf: bool = True) -> Response:
        fields = dict(data)
        if csrf:
            fields.setdefault("csrf_token", self.csrf or "")
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path: str, body: Any = None, headers: Mapping[str, str] | None = None,
                  raw: bytes | None = None) -> Response:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        return self.request("POST", path, data, {"Content-Type": "application/json",
                                                 **(headers or {})})

    def sign_in(self, username: str, password: str | None = None) -> Response:
        """The real sign-in form: GET it (cookie + CSRF token), POST it."""
        self.get("/login")
        return self.post_form("/login", {"username": username,
                                         "password": password or PASSWORDS[username]})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
