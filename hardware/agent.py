"""``servicepoint print-agent``: prints a kiosk's tickets on the printer plugged into the kiosk PC.

The agent pulls its kiosk's jobs from the branch server over HTTP (long-poll),
sends the ESC/POS bytes to the local printer, and reports the outcome and the
printer's real-time status. It survives the server restarting and the network
dropping: it simply retries with a back-off.

Exactly-once printing across an agent restart: the agent journals (fsynced)
each job it receives before printing and each job the printer accepted, and on
start it first reports what the journal holds. Its first claim then supersedes
the dead process's session, so jobs the dead process claimed but never received
go back to the queue. A job that reached the agent is never handed out again, so
a crash at any point prints a ticket at most once, and none is lost in between.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request

import click

from servicepoint.domain.printing import PrinterStatus

from .printer_url import PrinterURLError, parse_printer_url
from .printers import (
    PrinterError,
    PrinterNotReady,
    PrinterOffline,
    query_status,
    send_bytes,
)

log = logging.getLogger("servicepoint.print_agent")


class ServerUnavailable(Exception):
    """The branch server could not be reached or answered 5xx; try again later."""


class Journal:
    """What this agent received and printed but has not yet confirmed, fsynced.

    One line per step: ``R <id>`` when a job arrives (before a byte goes to the
    printer) and ``P <id>`` once the printer accepted it. After a crash, ``P``
    jobs are confirmed printed and ``R``-only jobs are reported failed (they may
    be half printed; never resend them).
    """

    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def entries(self) -> dict[int, str]:
        """job id → "received" or "printed"."""
        out: dict[int, str] = {}
        try:
            with open(self.path) as fh:
                for line in fh:
                    kind, _, job = line.strip().partition(" ")
                    if job.isdigit() and kind in ("R", "P"):
                        out[int(job)] = "printed" if kind == "P" or out.get(int(job)) == "printed" else "received"
        except FileNotFoundError:
            pass
        return out

    def _append(self, line: str) -> None:
        with open(self.path, "a") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def received(self, job_id: int) -> None:
        self._append(f"R {job_id}")

    def printed(self, job_id: int) -> None:
        self._append(f"P {job_id}")

    def forget(self, job_id: int) -> None:
        remaining = {j: k for j, k in self.entries().items() if j != job_id}
        tmp = self.path + ".tmp"
        with open(tmp, "w") as fh:
            for job, kind in remaining.items():
                fh.write(f"R {job}\n" + (f"P {job}\n" if kind == "printed" else ""))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


class Client:
    """A tiny JSON client for the branch server's print API (stdlib only)."""

    def __init__(self, server: str, token: str, timeout: float = 30.0):
        self.base = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    def post(self, path: str, body: dict, timeout: float | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.token:  # none yet while pairing
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            f"{self.base}/api/v1{path}", data=json.dumps(body).encode(), method="POST",
            headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            exc.close()
            if exc.code >= 500:
                raise ServerUnavailable(f"server error {exc.code}: {detail}") from None
            raise click.ClickException(f"The server refused {path}: {exc.code} {detail}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise ServerUnavailable(str(exc)) from None


class PrintAgent:
    """The agent loop; ``run()`` until ``stop()``."""

    def __init__(self, client: Client, printer_url: str, journal: Journal, *,
                 status_every_s: float = 2.0, poll_s: float = 10.0, send_timeout: float = 5.0):
        self.client = client
        self.spec = parse_printer_url(printer_url)
        self.journal = journal
        self.status_every_s = status_every_s
        self.poll_s = poll_s
        self.send_timeout = send_timeout
        self.printer_id: int | None = None
        self.last_status: str | None = None
        self._next_status = 0.0
        self._stop = threading.Event()
        self.printed = 0
        self.session = secrets.token_hex(8)
        # The first claim of a process (or after a lost answer) supersedes older ones.
        self.restart = True

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                self.confirm_journal()
                self.report_status()
                self.run_once(self.poll_s)
                backoff = 1.0
            except ServerUnavailable as exc:
                log.warning("server unavailable (%s); retrying in %.0f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def confirm_journal(self) -> None:
        """Tell the server what happened to jobs received before a crash or a lost connection."""
        for job_id, kind in self.journal.entries().items():
            if kind == "printed":
                self.client.post(f"/print-jobs/{job_id}/result", {"ok": True})
            else:
                self.client.post(f"/print-jobs/{job_id}/result",
                                 {"ok": False, "sent": True,
                                  "error": "the print agent stopped while printing; reprint if needed"})
            self.journal.forget(job_id)

    def report_status(self) -> str | None:
        """Query the local printer (at most every ``status_every_s``) and report its status
        to the server when it changed; returns the last status seen."""
        now = time.monotonic()
        if now < self._next_status:
            return self.last_status
        self._next_status = now + self.status_every_s
        report = query_status(self.spec, timeout=0.3, connect_timeout=1.0)
        if self.printer_id is not None and report.status.value != self.last_status:
            self.client.post(f"/printers/{self.printer_id}/status",
                             {"status": report.status.value, "detail": report.detail[:400]})
            self.last_status = report.status.value
        return report.status.value

    def run_once(self, wait_s: float) -> bool:
        """Claim and print at most one job; True if there was one."""
        try:
            claim = self.client.post("/print-jobs/claim", {"wait_s": wait_s, "session": self.session,
                                                           "restart": self.restart},
                                     timeout=wait_s + 10)
        except ServerUnavailable:
            # The answer may have carried a job we never saw: start a new session so
            # the server puts such a job back in the queue.
            self.session = secrets.token_hex(8)
            self.restart = True
            raise
        self.restart = False
        self.printer_id = claim.get("printer", {}).get("id", self.printer_id)
        job = claim.get("job")
        if not job:
            return False
        data = base64.b64decode(job["bytes_b64"])
        self.journal.received(job["id"])
        try:
            report = send_bytes(self.spec, data, timeout=self.send_timeout)
        except PrinterNotReady as exc:
            self._not_printed(job["id"], exc.reason, sent=False, status=exc.status.status)
        except PrinterOffline as exc:
            self._not_printed(job["id"], exc.reason, sent=getattr(exc, "sent", True), status=PrinterStatus.OFFLINE)
        except PrinterError as exc:
            self._not_printed(job["id"], exc.reason, sent=True)
        else:
            self.journal.printed(job["id"])
            self.client.post(f"/print-jobs/{job['id']}/result",
                             {"ok": True, "size": len(data), "status": report.status.value})
            self.journal.forget(job["id"])
            self.printed += 1
            self.last_status = report.status.value
            log.info("printed job %s (ticket %s, %d bytes)", job["id"], job.get("ticket_number"), len(data))
        return True

    def _not_printed(self, job_id: int, error: str, *, sent: bool, status: PrinterStatus | None = None) -> None:
        """Report a job the printer did not print (``sent``: bytes may have reached it)."""
        log.warning("job %s not printed: %s", job_id, error)
        body: dict[str, object] = {"ok": False, "error": error[:490], "sent": sent}
        if status:
            body["status"] = status.value
            self.last_status = status.value
        self.client.post(f"/print-jobs/{job_id}/result", body)
        self.journal.forget(job_id)


def pair(client: Client, device: str | None, *, every_s: float = 1.0) -> str:
    """Ask the server for a pairing code, show it, and wait until a technician enters it.

    Returns the agent's bearer token (the server hands it out once). Raises
    :class:`click.ClickException` when the code expires or the server refuses.
    """
    started = client.post("/pairing", {"device": device} if device else {})
    click.echo(f"Pairing code {started['code']}: enter it on {client.base}{started['enter_at']}"
               f" (valid until {started['expires_at']}).", err=True)
    while True:
        try:
            answer = client.post("/pairing/claim", {"claim": started["claim"]})
        except ServerUnavailable:
            answer = {}  # a server restart while waiting: ask again
        if answer.get("state") == "paired":
            click.echo(f"Paired as {answer['device']}.", err=True)
            return str(answer["token"])
        time.sleep(every_s)


def _token(server: str, token: str | None, token_file: str, pairing: bool,
           device: str | None) -> str:
    """The token given, else the one kept from an earlier pairing, else a new pairing."""
    if token:
        return token
    if os.path.exists(token_file):
        with open(token_file) as fh:
            kept = fh.read().strip()
        if kept:
            return kept
    if not pairing:
        raise click.UsageError("give --token, or --pair to pair this agent with a code")
    new = pair(Client(server, ""), device)
    # Only this user may read it: it lets anyone print as this kiosk.
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(new + "\n")
    return new


@click.command("print-agent")
@click.option("--server", required=True, envvar="SERVICEPOINT_SERVER",
              help="Branch server base URL, e.g. http://192.0.2.5:8000.")
@click.option("--token", default=None, envvar="SERVICEPOINT_TOKEN",
              help="Device token from `servicepoint token create NAME --role device --device KIOSK`"
                   " (or pair with --pair).")
@click.option("--pair", "pairing", is_flag=True,
              help="Without a token: show a pairing code to enter on /hardware/devices, then keep"
                   " the token in --token-file.")
@click.option("--device", default=None, help="With --pair: the kiosk this agent prints for, e.g. K1.")
@click.option("--token-file", default=None,
              help="Where a paired agent keeps its token (default: ~/.servicepoint-agent-token).")
@click.option("--printer", "printer_url", required=True,
              help="Local printer URL, e.g. serial:/dev/ttyUSB0?baudrate=19200 or usb:04b8:0e15.")
@click.option("--journal", default=None,
              help="File for printed-but-unconfirmed job ids (default: ~/.servicepoint-agent-journal).")
@click.option("--status-every", default=2.0, show_default=True, type=click.FloatRange(0.2, 60),
              help="Seconds between printer status checks.")
@click.option("-v", "--verbose", is_flag=True, help="Log every job.")
def print_agent(server: str, token: str | None, pairing: bool, device: str | None,
                token_file: str | None, printer_url: str, journal: str | None,
                status_every: float, verbose: bool) -> None:
    """Print this kiosk's tickets on a printer attached to this PC."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s")
    try:
        parse_printer_url(printer_url)  # a typo is found before anyone enters a code
    except PrinterURLError as exc:
        raise click.BadParameter(str(exc), param_hint="--printer") from None
    token = _token(server, token, token_file or os.path.expanduser("~/.servicepoint-agent-token"),
                   pairing, device)
    try:
        agent = PrintAgent(Client(server, token), printer_url,
                           Journal(journal or os.path.expanduser("~/.servicepoint-agent-journal")),
                           status_every_s=status_every, poll_s=max(status_every, 2.0))
    except PrinterURLError as exc:
        raise click.BadParameter(str(exc), param_hint="--printer") from None
    signal.signal(signal.SIGTERM, lambda *_: agent.stop())
    click.echo(f"Print agent: {printer_url} ← {server}")
    try:
        agent.run()
    except KeyboardInterrupt:
        pass
    click.echo(f"Print agent stopped after {agent.printed} tickets.")
