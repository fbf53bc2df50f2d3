"""Hole 6: a full disk. The server runs with its database on a tiny tmpfs (in a
private mount namespace, ``unshare -rm``); the test fills the rest of that disk,
then frees it again.

While full: writes answer 503 JSON (the kiosk a friendly page), ``/healthz`` is
not ok and says why, ``/metrics`` shows it. Afterwards the branch recovers by
itself, and no acknowledged ticket is lost or duplicated.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.security.support import Browser, bearer, prepare_demo
from tests.support.devices import cookie_name, pair
from tests.support.require import require
from tests.support.server import ServerProcess, servicepoint_cmd

pytestmark = pytest.mark.slow

DISK = "2m"


def _can_mount_tmpfs(tmp_path: Path) -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    proc = subprocess.run([unshare, "-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"',
                           str(probe)], capture_output=True, timeout=30)
    return proc.returncode == 0


class TmpfsServer(ServerProcess):
    """``servicepoint serve`` whose database lives on a ``DISK``-sized tmpfs of its own."""

    def __init__(self, seed_db: Path, disk: Path, **kw):
        super().__init__(disk / "branch.db", init=False, extra_args=["--no-workers"],
                         env={"SERVICEPOINT_DISK_MIN_FREE_BYTES": "65536"}, **kw)
        self.seed_db, self.disk = seed_db, disk

    def serve_command(self) -> list[str]:
        script = ('mount -t tmpfs -o size=$0 tmpfs "$1" && cp "$2" "$1/branch.db" '
                  '&& shift 2 && exec "$@"')
        inner = servicepoint_cmd("--db", str(self.db_path), "serve", "--host", self.host,
                                 "--port", str(self.port), *self.extra_args)
        return ["unshare", "-rm", "sh", "-c", script, DISK, str(self.disk), str(self.seed_db),
                *inner]

    def inside(self, name: str) -> Path:
        """A path on the server's tmpfs, as seen through its mount namespace."""
        return Path(f"/proc/{self.pid}/root") / str(self.disk).lstrip("/") / name


def _fill(path: Path) -> int:
    """Write zeros to ``path`` until the disk is full; returns the bytes written."""
    written = 0
    chunk = b"\0" * 4096
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                written += os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return written
    finally:
        os.close(fd)


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


def test_a_full_disk_is_a_clear_503_and_the_branch_recovers_by_itself(tmp_path):
    require(_can_mount_tmpfs(tmp_path), "cannot mount a tmpfs in a private mount namespace "
                                        "(unshare -rm); the full-disk test needs one")
    seed = tmp_path / "seed.db"
    tokens = prepare_demo(seed, agent_printer=False)
    kiosk_token = pair(str(seed), "K2")  # the branch's own kiosk, paired before the disk fills
    disk = tmp_path / "disk"
    disk.mkdir()
    server = TmpfsServer(seed, disk).start()
    try:
        staff = bearer(tokens["staff_token"])
        guest = Browser(server.url)
        acked: list[dict] = []
        filler = server.inside("filler")
        assert _fill(filler) > 0
        # Issue until the disk refuses (the WAL has a little room left at first).
        refused = None
        for _ in range(400):
            r = guest.post_json("/api/v1/tickets", {"service": "A"})
            if r.status == 201:
                acked.append(r.json)
                continue
            refused = r
            break
        assert refused is not None, "the full disk never refused a write"
        assert refused.status == 503, refused.text
        assert refused.json["error"] == "storage_unavailable"
        assert "cannot save" in refused.json["message"] and "disk is full" in refused.json["message"]
        assert int(refused.headers["retry-after"]) > 0

        health = guest.get("/healthz")
        assert health.status == 503, health.text
        database = health.json["checks"]["database"]
        assert (database["ok"], database["writable"], database["reason"]) == (False, False,
                                                                              "disk_full")
        assert "cannot save" in database["error"]
        metrics = guest.get("/metrics").text
        assert _metric(metrics, "servicepoint_storage_writable") == 0
        assert _metric(metrics, 'servicepoint_storage_write_failures_total{reason="disk_full"}') >= 1

        # People get a friendly page in their language, not a bare 500.
        kiosk = Browser(server.url)
        kiosk.cookies[cookie_name("K2")] = kiosk_token
        page = kiosk.get("/kiosk/K2")
        key = page.text.split('name="key" value="', 1)[1].split('"', 1)[0]
        r = kiosk.post_form("/kiosk/K2/issue", {"service": "A", "key": key})
        assert r.status == 503 and "text/html" in r.headers["content-type"], r.text[:300]
        assert "no puede guardar ahora" in r.text

        # Space comes back: the branch recovers without a restart.
        filler.unlink()
        deadline = time.monotonic() + 30
        while guest.get("/healthz").status != 200:
            assert time.monotonic() < deadline, "never recovered"
            time.sleep(0.1)
        assert _metric(guest.get("/metrics").text, "servicepoint_storage_writable") == 1
        after = guest.post_json("/api/v1/tickets", {"service": "A"})
        assert after.status == 201, after.text
        acked.append(after.json)

        # Nothing acknowledged was lost; numbers have no gap and no duplicate.
        for ticket in acked:
            r = guest.get(f"/api/v1/tickets/{ticket['id']}", headers=staff)
            assert r.status == 200 and r.json["number"] == ticket["number"]
        numbers = [int(t["number"][1:]) for t in acked]
        assert numbers == list(range(1, len(acked) + 1)), numbers
    finally:
        server.stop()
