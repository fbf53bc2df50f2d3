"""Run a real ``servicepoint serve`` process for tests and benchmarks.

    with ServerProcess(tmp_path / "sp.db") as srv:       # init --demo, serve, wait for /healthz
        client = JsonClient(srv.url)
        r = client.post("/api/v1/tickets", {"service": "A"})
        assert r.status == 201, r.text
        srv.kill9()                                       # crash it
        srv.start()                                       # same DB, a fresh port

The process's stdout/stderr go to log files in a temporary directory (never to a
pipe, which could fill up and deadlock the server); :meth:`ServerProcess.log_tail`
shows them when something goes wrong. Servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
HEALTH_PATH = "/healthz"

# A plain set: a server dropped without stop() must still be killed at exit.
_live: "set[ServerProcess]" = set()


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def servicepoint_cmd(*args: str) -> list[str]:
    """``python -m servicepoint ARGS`` with the interpreter running the tests."""
    return [sys.executable, "-m", "servicepoint", *args]


def run_init(db_path: str | os.PathLike[str], *, demo: bool = True,
             env: Mapping[str, str] | None = None, timeout: float = 120.0) -> str:
    """Run ``servicepoint --db DB init [--demo]``; return its output, raise on failure."""
    cmd = servicepoint_cmd("--db", str(db_path), "init", *(["--demo"] if demo else []))
    proc = subprocess.run(cmd, env=_child_env(db_path, env), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{out}")
    return out


def _child_env(db_path: str | os.PathLike[str], env: Mapping[str, str] | None) -> dict[str, str]:
    child = dict(os.environ)
    child["SERVICEPOINT_DB"] = str(db_path)
    child["PYTHONUNBUFFERED"] = "1"
    child.pop("SERVICEPOINT_REQUIRE_ALL", None)  # a test-runner setting, not the server's
    # Load tests fire hundreds of anonymous API tickets from one address.
    child.setdefault("SERVICEPOINT_API_TICKET_RATE_LIMIT", "0")
    if env:
        child.update(env)
    return child


def wait_healthy(url: str, timeout: float = 15.0, proc: subprocess.Popen | None = None,
                 poll_interval: float = 0.05) -> float:
    """Poll ``url + /healthz`` until it answers 200; return seconds waited.

    Raises ``TimeoutError`` (or ``RuntimeError`` if ``proc`` exits first).
    """
    start = time.monotonic()
    deadline = start + timeout
    last = "no answer yet"
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url + HEALTH_PATH, timeout=1.0) as resp:
                body = resp.read()
                if resp.status == 200:
                    return time.monotonic() - start
                last = f"HTTP {resp.status}: {body[:200]!r}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300]!r}"
            exc.close()
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url}{HEALTH_PATH} not healthy after {timeout:.0f} s (last: {last})")
        time.sleep(poll_interval)


class ServerProcess:
    """One ``servicepoint serve`` process on a loopback port.

    ``init=True`` runs ``servicepoint --db DB init --demo`` first (``demo=False``
    for a bare ``init``); it is idempotent, so restarting on the same DB is fine.
    ``port=None`` picks a free port at every :meth:`start`.
    """

    def __init__(self, db_path: str | os.PathLike[str], port: int | None = None,
                 env: Mapping[str, str] | None = None, extra_args: Iterable[str] = (),
                 *, init: bool = True, demo: bool = True, host: str = LOOPBACK,
                 startup_timeout: float = 15.0, log_dir: str | os.PathLike[str] | None = None,
                 poll_interval: float = 0.05):
        if host not in (LOOPBACK, "localhost", "::1"):
            raise ValueError("test servers listen on loopback only")
        self.db_path = Path(db_path)
        self.fixed_port = port
        self.env = dict(env or {})
        self.extra_args = tuple(extra_args)
        self.init = init
        self.demo = demo
        self.host = host
        self.startup_timeout = startup_timeout
        self.poll_interval = poll_interval
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="sp-server-"))
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.init_output = ""
        self.startup_s: float | None = None
        self.starts = 0
        self._logs: list[Any] = []
        self.stdout_path: Path | None = None
        self.stderr_path: Path | None = None

    # -- lifecycle -------------------------------------------------------
    def start(self) -> "ServerProcess":
        if self.running:
            raise RuntimeError("server already running")
        self._close_logs()
        if self.init:
            self.init_output = run_init(self.db_path, demo=self.demo, env=self.env)
        self.port = self.fixed_port or free_port(self.host)
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self.log_dir / f"serve-{self.starts}.out.log"
        self.stderr_path = self.log_dir / f"serve-{self.starts}.err.log"
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        self._logs = [out, err]
        cmd = self.serve_command()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=_child_env(self.db_path, self.env),
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _live.add(self)
        try:
            wait_healthy(self.url, self.startup_timeout, self.proc, self.poll_interval)
        except (TimeoutError, RuntimeError) as exc:
            self.stop()
            raise RuntimeError(f"{' '.join(cmd)}: {exc}\n{self.log_tail()}") from None
        self.startup_s = time.monotonic() - t0
        return self

    def serve_command(self) -> list[str]:
        """The server's command line (a subclass may run another server)."""
        return servicepoint_cmd("--db", str(self.db_path), "serve", "--host", self.host,
                                "--port", str(self.port), *self.extra_args)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; return the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self._close_logs()
        _live.discard(self)
        return proc.returncode

    def kill9(self) -> None:
        """``kill -9`` the server (a crash: no shutdown code runs)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        self._close_logs()
        _live.discard(self)

    def restart(self) -> "ServerProcess":
        self.stop()
        return self.start()

    def _close_logs(self) -> None:
        for f in self._logs:
            f.close()
        self._logs = []

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- info ------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("server not started")
        return self.proc.pid

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def log_text(self, which: str = "both") -> str:
        parts = []
        for name, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            if path is None or which not in ("both", name):
                continue
            try:
                parts.append(f"--- server {name} ({path}):\n"
                             + path.read_text(errors="replace"))
            except OSError:
                pass
        return "\n".join(parts)

    def log_tail(self, chars: int = 6000) -> str:
        text = self.log_text()
        return text if len(text) <= chars else "...\n" + text[-chars:]

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerProcess {state} {self.url if self.port else '-'} db={self.db_path}>"


@atexit.register
def _stop_leftovers() -> None:  # a crashed test must not leave servers behind
    for srv in list(_live):
        try:
            srv.stop(timeout=3)
        except Exception:  # pragma: no cover
            pass


# -- a tiny JSON HTTP client -------------------------------------------------
@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_s: float = 0.0
    _json: Any = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def json(self) -> Any:
        if self._json is None and self.body:
            self._json = json.loads(self.body)
        return self._json

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class JsonClient:
    """Keep-alive JSON client over ``http.client`` (one connection; not thread-safe).

    Idempotent requests (GET/HEAD) are retried once on a dropped keep-alive
    connection; a POST is never retried: the caller decides (pass an
    ``Idempotency-Key`` to make it safe).
    """

    def __init__(self, base_url: str, timeout: float = 10.0,
                 headers: Mapping[str, str] | None = None):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"need an http:// URL, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout
        self.headers = {"Accept": "application/json", **(headers or {})}
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def request(self, method: str, path: str, body: Any = None,
                headers: Mapping[str, str] | None = None) -> Response:
        hdrs = dict(self.headers)
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if headers:
            hdrs.update(headers)
        attempts = 2 if method in ("GET", "HEAD", "OPTIONS") else 1
        for attempt in range(attempts):
            conn = self._connection()
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt + 1 >= attempts:
                    raise
                continue
            elapsed = time.perf_counter() - t0
            if resp.will_close:
                self.close()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                            payload, elapsed)
        raise AssertionError("unreachable")

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.request("POST", path, body, **kw)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "JsonClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
