"""``servicepoint print-agent`` against a real ``servicepoint serve`` process.

The branch server runs as a subprocess on the demo database; kiosk K2 is given
its own printer row (``mode='agent'``) whose URL is a TCP emulator in this test
process; a real ``print-agent`` subprocess with a device token for K2 pulls the
jobs over HTTP and prints them on the emulator. Tickets are issued over HTTP.
The agent is killed with SIGKILL and the server is restarted on the same
database and port: every ticket is printed exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from hardware.emulator import PrinterEmulator
from tests.support.server import (
    JsonClient,
    ServerProcess,
    free_port,
    run_init,
    servicepoint_cmd,
)

pytestmark = pytest.mark.slow

AGENT_PRINTER = "K2 counter-top printer"


def escpos_cache(folder: str, who: str) -> str:
    """A python-escpos capability cache folder of one process's own.

    python-escpos writes its cache file in place (open, slow YAML load, dump), so a
    process starting while another writes it reads a truncated pickle and dies with
    EOFError ("Aborted!"); the server and the agent must not share one.
    """
    path = os.path.join(folder, f"escpos-{who}")
    os.makedirs(path, exist_ok=True)
    return path


def child_env(folder: str, extra: dict | None = None) -> dict:
    """Environment for the agent (with its own python-escpos cache folder)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1",
               ESCPOS_CAPABILITIES_PICKLE_DIR=escpos_cache(folder, "agent"))
    env.pop("SERVICEPOINT_REQUIRE_ALL", None)
    env.update(extra or {})
    return env


class Agent:
    """The ``print-agent`` subprocess (output to log files, never to a pipe)."""

    def __init__(self, db: str, server_url: str, token: str, printer_url: str, folder: str):
        self.cmd = [sys.executable, "-m", "servicepoint", "--db", db, "print-agent",
                    "--server", server_url, "--token", token, "--printer", printer_url,
                    "--journal", os.path.join(folder, "agent-journal"), "--status-every", "0.5", "-v"]
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._log = None

    def start(self, env: dict | None = None) -> None:
        self._close()
        self.starts += 1
        self._log = open(os.path.join(self.folder, f"agent-{self.starts}.log"), "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=child_env(self.folder, env))

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        parts = []
        for i in range(1, self.starts + 1):
            path = os.path.join(self.folder, f"agent-{i}.log")
            with open(path, errors="replace") as fh:
                parts.append(f"--- agent run {i}:\n{fh.read()[-3000:]}")
        return "\n".join(parts)


class Branch:
    """Everything the tests share: DB, emulator, server, agent, an HTTP client."""

    def __init__(self, folder: str):
        self.folder = folder
        self.db = os.path.join(folder, "sp.db")
        self.emu = PrinterEmulator(name=f"agent-{uuid.uuid4().hex[:8]}", render_png=False)
        self.emu.start_tcp("127.0.0.1", 0)
        host, port = self.emu.tcp_address
        self.printer_url = f"tcp://{host}:{port}"
        self.server: ServerProcess | None = None
        self.client: JsonClient | None = None
        self.agent: Agent | None = None
        try:
            self._set_up()
        except BaseException:
            self.close()
            raise

    def _set_up(self) -> None:
        folder = self.folder
        run_init(self.db)
        out = subprocess.run(servicepoint_cmd("--db", self.db, "token", "create", "k2-agent",
                                              "--role", "device", "--device", "K2"),
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stderr
        self.token = out.stdout.strip().splitlines()[-1]
        conn = sqlite3.connect(self.db)
        try:
            with conn:
                self.printer_id = conn.execute(
                    "INSERT INTO printers (name, url, mode) VALUES (?, ?, 'agent')",
                    (AGENT_PRINTER, self.printer_url)).lastrowid
                conn.execute("UPDATE devices SET printer_id = ? WHERE code = 'K2'", (self.printer_id,))
        finally:
            conn.close()
        self.server = ServerProcess(self.db, port=free_port(), init=False, log_dir=folder,
                                    env={"ESCPOS_CAPABILITIES_PICKLE_DIR": escpos_cache(folder, "server")})
        self.server.start()
        self.client = JsonClient(self.server.url)
        self.agent = Agent(self.db, self.server.url, self.token, self.printer_url, folder)
        self.agent.start()

    def close(self) -> None:
        if self.agent is not None:
            self.agent.stop()
        if self.client is not None:
            self.client.close()
        if self.server is not None:
            self.server.stop()
        self.emu.stop()

    # -- helpers -----------------------------------------------------------------
    def issue(self, service: str = "A") -> dict:
        # Issued as kiosk K2's customer: only the kiosk's own credential may print there.
        r = self.client.post("/api/v1/tickets", {"service": service, "kiosk": "K2"},
                             headers={"Idempotency-Key": uuid.uuid4().hex,
                                      "Authorization": f"Bearer {self.token}"})
        assert r.status == 201, r.text
        return r.json

    def query(self, sql: str, args=()) -> list[sqlite3.Row]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def job(self, job_id: int) -> sqlite3.Row:
        return self.query("SELECT * FROM print_jobs WHERE id = ?", (job_id,))[0]

    def printer_status(self) -> str:
        return self.query("SELECT status FROM printers WHERE id = ?", (self.printer_id,))[0]["status"]

    def printed_numbers(self) -> list[str]:
        """Ticket numbers on the emulator's paper, in print order."""
        numbers = []
        for ticket in self.emu.tickets():
            found = [line.strip() for line in ticket.text.splitlines()
                     if line.strip()[:1] in "ABCD" and line.strip()[1:].isdigit()]
            numbers.append(found[0] if found else "?")
        return numbers

    def wait_printed(self, count: int, timeout: float) -> None:
        if not self.emu.wait_for_tickets(count, timeout=timeout):
            pytest.fail(f"{self.emu.printed_count} of {count} tickets printed after {timeout} s "
                        f"(printed {self.printed_numbers()})\n{self.agent.log()}\n{self.server.log_tail(3000)}")

    def wait_jobs_printed(self, job_ids: list[int], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {j: self.job(j)["state"] for j in job_ids}
            if all(s == "printed" for s in states.values()):
                return
            if time.monotonic() > deadline:
                pytest.fail(f"job states {states}\n{self.agent.log()}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def branch(tmp_path_factory):
    b = Branch(str(tmp_path_factory.mktemp("agent")))
    try:
        yield b
    finally:
        b.close()


def _assert_exactly_once(branch: Branch, issued: list[dict]) -> None:
    """Every issued ticket is on paper exactly once, and nothing else is."""
    time.sleep(0.5)  # a duplicate would show up by now
    numbers = branch.printed_numbers()
    assert sorted(numbers) == sorted(t["number"] for t in issued), numbers
    assert len(numbers) == len(set(numbers)), f"printed twice: {numbers}"
    branch.wait_jobs_printed([t["print"]["job_id"] for t in issued])
    rows = branch.query("SELECT state, attempts, bytes FROM print_jobs WHERE printer_id = ?",
                        (branch.printer_id,))
    assert len(rows) == len(issued)
    assert all(r["state"] == "printed" and r["attempts"] == 1 and r["bytes"] > 200 for r in rows), \
        [dict(r) for r in rows]


def test_agent_prints_each_ticket_once(branch):
    issued = []
    for service in "ABC":
        ticket = branch.issue(service)
        assert ticket["print"]["state"] == "queued", ticket
        issued.append(ticket)
        branch.wait_printed(len(issued), timeout=30)
    assert branch.printed_numbers() == [t["number"] for t in issued]
    _assert_exactly_once(branch, issued)
    # The QR on paper is the ticket's tracking page on this server.
    assert f"[QR: {issued[-1]['track_url']}]" in branch.emu.last_ticket().text
    assert branch.printer_status() == "ok"
    branch.issued = issued


def test_agent_killed_and_restarted_prints_new_tickets_once(branch):
    before = list(getattr(branch, "issued", []))
    # Kill the agent while it waits in a fresh long-poll (where an idle agent spends its time).
    warm = branch.issue("C")
    before.append(warm)
    branch.wait_jobs_printed([warm["print"]["job_id"]])
    time.sleep(0.5)  # the agent is back in its next 2 s claim request
    branch.agent.kill9()
    new = [branch.issue(s) for s in "ABD"]
    assert all(t["print"]["state"] == "queued" for t in new)
    branch.agent.start()
    branch.issued = before + new
    branch.wait_printed(len(before) + len(new), timeout=30)
    assert branch.printed_numbers()[len(before):] == [t["number"] for t in new]
    _assert_exactly_once(branch, before + new)


def test_agent_restart_prints_pending_tickets_once(branch):
    """The agent stopped (not mid-request): tickets issued meanwhile print once when it is back."""
    if branch.agent.proc is None or branch.agent.proc.poll() is not None:
        branch.agent.start()
    time.sleep(0.3)
    branch.emu.clear()
    done = branch.emu.printed_count
    branch.agent.kill9()
    time.sleep(2.5)  # longer than the agent's 2 s long-poll: no server request still waits
    new = [branch.issue(s) for s in "ABC"]
    branch.agent.start()
    branch.wait_printed(done + len(new), timeout=30)
    time.sleep(0.5)
    assert branch.printed_numbers() == [t["number"] for t in new]
    branch.wait_jobs_printed([t["print"]["job_id"] for t in new])


def test_agent_crashed_mid_print_reports_it_and_gets_back_unreceived_jobs(branch):
    """A dead agent process left two claimed jobs: one it had received (journal ``R``: it may be
    half printed, so it is failed, never resent) and one whose answer it never got (it goes
    back to the queue and is printed once by the restarted agent)."""
    branch.agent.stop()  # waits for the process to exit: no request of it is in flight
    half, lost = branch.issue("A"), branch.issue("B")
    done = branch.emu.printed_count
    with JsonClient(branch.server.url, headers={"Authorization": f"Bearer {branch.token}"}) as dead:
        claimed = [dead.post("/api/v1/print-jobs/claim",
                             {"wait_s": 0, "session": "deadbeef", "restart": i == 0}).json["job"]["id"]
                   for i in range(2)]
    assert claimed == [half["print"]["job_id"], lost["print"]["job_id"]]
    with open(os.path.join(branch.folder, "agent-journal"), "w") as journal:
        journal.write(f"R {claimed[0]}\n")  # received, printing had begun
    branch.agent.start()
    branch.wait_printed(done + 1, timeout=30)
    time.sleep(0.5)
    assert branch.emu.printed_count == done + 1
    assert branch.printed_numbers()[-1] == lost["number"]
    branch.wait_jobs_printed([claimed[1]])
    failed = branch.job(claimed[0])
    assert failed["state"] == "failed" and "stopped while printing" in failed["error"], dict(failed)
    assert branch.job(claimed[1])["attempts"] == 1  # the undelivered claim does not count


def test_agent_survives_server_restart(branch):
    done = branch.emu.printed_count
    branch.server.stop()
    time.sleep(0.5)  # the agent sees the server gone and backs off
    branch.server.start()  # same DB, same port
    branch.client.close()
    ticket = branch.issue("B")
    branch.wait_printed(done + 1, timeout=30)
    assert branch.printed_numbers()[-1] == ticket["number"]
    branch.wait_jobs_printed([ticket["print"]["job_id"]])
    assert branch.agent.proc.poll() is None, "the agent exited when the server went away"


def test_agent_reports_printer_status(branch):
    branch.emu.set_state("paper_out")
    try:
        deadline = time.monotonic() + 5
        while branch.printer_status() != "paper_out":
            assert time.monotonic() < deadline, \
                f"status {branch.printer_status()!r} after 5 s\n{branch.agent.log()}"
            time.sleep(0.1)
        ticket = branch.issue("A")
        assert (ticket["print"]["state"], ticket["print"]["reason"]) == ("not_printed", "paper_out")
        health = branch.client.get("/healthz").json
        assert AGENT_PRINTER in health["checks"]["printers"]["problems"]
    finally:
        branch.emu.set_state("ok")
    deadline = time.monotonic() + 5
    while branch.printer_status() != "ok":
        assert time.monotonic() < deadline, f"status {branch.printer_status()!r} after recovery"
        time.sleep(0.1)
    done = branch.emu.printed_count
    ticket = branch.issue("A")
    assert ticket["print"]["state"] == "queued"
    branch.wait_printed(done + 1, timeout=30)
    assert branch.printed_numbers()[-1] == ticket["number"]


def _agent_keeps_running(tmp_path, fresh_tmp) -> tuple[bool, str]:
    """Start print-agent with TMPDIR=fresh_tmp and no server; True if it checks its printer
    and keeps running (retrying the server), False if it died. Returns (alive, its output)."""
    env = child_env(str(tmp_path), {"TMPDIR": str(fresh_tmp)})
    env.pop("ESCPOS_CAPABILITIES_PICKLE_DIR")  # the default folder under TMPDIR, as in production
    emu = PrinterEmulator(name=f"lonely-{uuid.uuid4().hex[:8]}", render_png=False)
    emu.start_tcp("127.0.0.1", 0)
    host, port = emu.tcp_address
    log_path = tmp_path / "agent.log"
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "servicepoint", "--db", str(tmp_path / "none.db"), "print-agent",
                 "--server", f"http://127.0.0.1:{free_port()}", "--token", "sp_unused",
                 "--printer", f"tcp://{host}:{port}", "--journal", str(tmp_path / "journal"),
                 "--status-every", "0.5"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
            try:
                deadline = time.monotonic() + 10
                while not any(j.status_queries for j in emu.jobs()) and proc.poll() is None:
                    assert time.monotonic() < deadline, "the agent never asked its printer for status"
                    time.sleep(0.05)
                time.sleep(0.3)
                alive = proc.poll() is None and any(j.status_queries for j in emu.jobs())
            finally:
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(10)
    finally:
        emu.stop()
    return alive, log_path.read_text(errors="replace")[-2000:]


def test_agent_starts_on_a_fresh_machine(tmp_path):
    """No python-escpos cache yet (fresh machine, /tmp just cleaned): the agent checks its
    printer, keeps retrying the absent server, and leaves no cache folder behind on SIGTERM."""
    fresh_tmp = tmp_path / "tmp"
    fresh_tmp.mkdir()
    alive, output = _agent_keeps_running(tmp_path, fresh_tmp)
    assert alive, output
    assert "Print agent stopped" in output
    # (python-escpos itself leaves one empty mkdtemp() folder per process: its
    # environ.get(..., mkdtemp()) default is evaluated even when the variable is set.)
    assert [p.name for p in fresh_tmp.glob("servicepoint-escpos*")] == []


def test_an_agent_pairs_with_a_code_and_keeps_its_token(branch, tmp_path):
    """`print-agent --pair` shows a code; a technician enters it (`device pair CODE --as K2`);
    the agent gets its bearer token once, keeps it (mode 600) and starts printing."""
    token_file = tmp_path / "agent-token"
    cmd = [sys.executable, "-m", "servicepoint", "--db", branch.db, "print-agent",
           "--server", branch.server.url, "--pair", "--device", "K2",
           "--token-file", str(token_file), "--printer", branch.printer_url,
           "--journal", str(tmp_path / "journal")]
    agent = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             env=child_env(str(tmp_path)))
    try:
        first = agent.stdout.readline()
        assert first.startswith("Pairing code "), first
        code = first.split(":")[0].removeprefix("Pairing code ").replace(" ", "")
        out = subprocess.run(servicepoint_cmd("--db", branch.db, "device", "pair", code,
                                              "--as", "K2"),
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stderr
        assert agent.stdout.readline().strip() == "Paired as K2."
        assert agent.stdout.readline().startswith("Print agent: ")  # running
        assert token_file.stat().st_mode & 0o777 == 0o600
    finally:
        agent.terminate()
        agent.wait(30)
        agent.stdout.close()
    token = token_file.read_text().strip()
    rows = branch.query("SELECT device_code FROM api_tokens WHERE revoked_at IS NULL"
                        " AND device_code = 'K2' AND transport = 'bearer'")
    assert len(rows) >= 2  # the branch's own agent token and the paired one
    # The kept token is an agent's: it may ask for print jobs (none are waiting).
    r = branch.client.post("/api/v1/print-jobs/claim", {"wait_s": 0},
                           headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200, r.text
    # A second start reads the kept token and asks for no new code.
    again = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=child_env(str(tmp_path)))
    try:
        assert again.stdout.readline().startswith("Print agent: ")
    finally:
        again.terminate()
        again.wait(30)
        again.stdout.close()
