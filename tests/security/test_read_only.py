"""Hole 6, second half: a database the server can read but not write (a read-only
mount, wrong ownership after a restore). The server runs in a private mount
namespace where its folder is bound read-only; later the test remounts it
read-write from inside that namespace.

While read-only: 503 JSON that says so, ``/healthz`` not ok with the reason; then
the branch recovers by itself (the read-only connections are replaced).
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time

import pytest

import tests.support.server as server_module
from tests.security.support import Browser, prepare_demo
from tests.support.require import require
from tests.support.server import ServerProcess, servicepoint_cmd

pytestmark = pytest.mark.slow


class ReadOnlyServer(ServerProcess):
    """``servicepoint serve`` that sees its database folder through a read-only bind mount."""

    def serve_command(self) -> list[str]:
        folder = str(self.db_path.parent)
        inner = servicepoint_cmd("--db", str(self.db_path), "serve", "--host", self.host,
                                 "--port", str(self.port), *self.extra_args)
        return ["unshare", "-rm", "sh", "-c",
                'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
                folder, *inner]

    def make_writable(self) -> None:
        subprocess.run(["nsenter", "-t", str(self.pid), "-U", "-m", "--preserve-credentials",
                        "mount", "-o", "remount,bind,rw", str(self.db_path.parent)],
                       check=True, capture_output=True, timeout=30)


def _answering(url: str, timeout: float = 15.0, proc=None, poll_interval: float = 0.05) -> float:
    """Like wait_healthy, but a 503 counts: this server is meant to start unable to save."""
    start = time.monotonic()
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        try:
            Browser(url, timeout=1).get("/healthz")
            return time.monotonic() - start
        except OSError:
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"{url} never answered") from None
            time.sleep(poll_interval)


def test_a_read_only_database_is_a_clear_503_and_recovers(tmp_path, monkeypatch):
    require(shutil.which("unshare") is not None and shutil.which("nsenter") is not None,
            "unshare and nsenter (util-linux) are needed for the read-only database test")
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "branch.db"
    prepare_demo(db, agent_printer=False)
    # A reader outside keeps the WAL index files in place, as a live server's would be.
    keeper = sqlite3.connect(db)
    keeper.execute("SELECT count(*) FROM services").fetchone()
    monkeypatch.setattr(server_module, "wait_healthy", _answering)
    server = ReadOnlyServer(db, init=False, extra_args=["--no-workers"],
                            env={"SERVICEPOINT_SECRET_KEY": "read-only-test"})
    try:
        server.start()
    except RuntimeError as exc:
        keeper.close()
        require(False, f"cannot bind-mount read-only in a private namespace: {exc}")
    try:
        guest = Browser(server.url)
        r = guest.post_json("/api/v1/tickets", {"service": "A"})
        assert r.status == 503, r.text
        assert r.json["error"] == "storage_unavailable" and "read-only" in r.json["message"]
        health = guest.get("/healthz")
        assert health.status == 503
        assert health.json["checks"]["database"]["reason"] == "read_only"
        assert guest.get("/api/v1/queue").status == 200  # reading still works

        server.make_writable()
        deadline = time.monotonic() + 30
        while guest.get("/healthz").status != 200:
            assert time.monotonic() < deadline, "never recovered"
            time.sleep(0.1)
        r = guest.post_json("/api/v1/tickets", {"service": "A"})
        assert r.status == 201 and r.json["number"] == "A001", r.text
    finally:
        server.stop()
        keeper.close()
