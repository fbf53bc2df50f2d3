"""`servicepoint printer ...` commands: test, status, ports, emulate.

The group is attached to the main CLI by the server package
(``cli.add_command(printer)``); ``python -m hardware.cli`` runs it alone.

Exit codes: 0 success / printer ready, 1 printer not ready (paper out, cover
open, no status reply, error), 2 bad usage or bad printer URL, 3 printer
offline (refused, unplugged, vanished).
"""

from __future__ import annotations

import json
import signal
import sys
import time

import click

from hardware.emulator import STATES as EMULATOR_STATES

EXIT_NOT_READY = 1
EXIT_USAGE = 2
EXIT_OFFLINE = 3

URL_HELP = (
    "Printer URLs: serial:/dev/ttyUSB0?baudrate=19200, tcp://192.0.2.10:9100, usb:04b8:0e15, "
    "file:/tmp/out.bin, emulator: (add ?profile=TM-T88V, ?paper=58 or ?status=off as needed)."
)


def _spec_or_usage_error(url: str):
    from hardware.printer_url import PrinterURLError, parse_printer_url

    try:
        return parse_printer_url(url)
    except PrinterURLError as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None


@click.group("printer", help=f"Configure, test and emulate ticket printers.\n\n{URL_HELP}")
def printer() -> None:
    """Printer commands."""


@printer.command("test", help=f"Print a test page on the printer at URL.\n\n{URL_HELP}\n\n"
                              "Exit status: 0 printed, 1 printer not ready, 2 bad URL, 3 printer offline.")
@click.argument("url")
@click.option("--name", default=None, help="Printer name to print on the page (default: the URL).")
@click.option("--profile", default=None, help="python-escpos capability profile, e.g. TM-T88V (overrides the URL).")
@click.option("--paper", type=click.Choice(["58", "80"]), default=None,
              help="Paper width in mm when the profile does not know it (overrides the URL).")
@click.option("--timeout", type=click.FloatRange(0.1, 60), default=3.0, show_default=True,
              help="Connect/write timeout in seconds.")
@click.option("--status-timeout", type=click.FloatRange(0.05, 10), default=0.3, show_default=True,
              help="Seconds to wait for the status reply before the page is sent.")
def test_command(url: str, name: str | None, profile: str | None, paper: str | None, timeout: float,
                 status_timeout: float) -> None:
    from datetime import datetime, timezone

    from hardware.layout import build_test_layout
    from hardware.printers import PrinterNotReady, PrinterOffline, send_bytes
    from hardware.render_escpos import render_escpos

    spec = _spec_or_usage_error(url)
    try:
        data = render_escpos(build_test_layout(name or url, url, now=datetime.now(timezone.utc)),
                             profile=profile or spec.profile, paper_mm=int(paper or spec.paper_mm))
    except (KeyError, ValueError) as exc:
        raise click.BadParameter(str(exc).strip("'\""), param_hint="--profile/--paper") from None
    try:
        report = send_bytes(spec, data, timeout=timeout, status_timeout=status_timeout)
    except PrinterNotReady as exc:
        click.echo(f"Test page NOT printed: {exc.reason}", err=True)
        sys.exit(EXIT_NOT_READY)
    except PrinterOffline as exc:
        click.echo(f"Test page NOT printed: printer offline: {exc.reason}", err=True)
        sys.exit(EXIT_OFFLINE)
    click.echo(f"Test page sent to {url} ({len(data)} bytes); printer status: {report}")


@printer.command("status", help=f"Show the status of the printer at URL.\n\n{URL_HELP}\n\n"
                                "Exit status: 0 ready (ok or paper low), 1 not ready (paper out, cover open, "
                                "no reply), 2 bad URL, 3 offline.")
@click.argument("url")
@click.option("--timeout", type=click.FloatRange(0.05, 10), default=0.3, show_default=True,
              help="Seconds to wait for each status reply.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_command(url: str, timeout: float, as_json: bool) -> None:
    from hardware.printers import query_status
    from servicepoint.domain.printing import PrinterStatus

    spec = _spec_or_usage_error(url)
    report = query_status(spec, timeout=timeout)
    if as_json:
        click.echo(json.dumps({"url": url, "status": report.status.value, "detail": report.detail,
                               "ready": report.ready, "checked_at": report.checked_at.isoformat()}))
    else:
        click.echo(f"{url}: {report.status.value} ({report.detail})")
    if report.ready:
        return
    sys.exit(EXIT_OFFLINE if report.status is PrinterStatus.OFFLINE else EXIT_NOT_READY)


@printer.command("ports", help=(
    "List serial ports (built-in ports and USB-serial adapters) as printer URLs, with their description "
    "and hardware id.\n\nAdd ?baudrate=N to the URL when the printer is not set to 9600 baud (its "
    "self-test page shows the setting). USB printers that are not serial adapters are not listed: "
    "use usb:VENDOR:PRODUCT with the ids shown by lsusb."))
def ports_command() -> None:
    from hardware.printers import list_serial_ports

    found = list_serial_ports()
    if not found:
        click.echo("No serial ports found. USB printers that are not serial adapters use usb:VID:PID (see lsusb).")
        return
    for port in found:
        details = ", ".join(x for x in (port["description"], port["hwid"]) if x and x != "n/a")
        click.echo(f"serial:{port['device']}" + (f"  {details}" if details else ""))


@printer.command("emulate", help=(
    "Run a printer emulator until Ctrl-C. It records jobs, answers status queries and saves "
    "printed tickets (text and PNG).\n\n"
    "Without --tcp or --serial it listens on TCP port 9100. For serial, create a pseudo-terminal pair "
    "first, e.g. `socat -d -d pty,raw,echo=0,link=/tmp/printer pty,raw,echo=0,link=/tmp/emulator`, "
    "run `printer emulate --serial /tmp/emulator` and print to serial:/tmp/printer.\n\n"
    f"Control port (--control): send lines `state {'|'.join(EMULATOR_STATES)}`, `state`, "
    "`count`, `jobs`, `last`, `clear`, `help`, `quit`; replies start with OK or ERR. "
    "`last` answers `OK <seq> <n>` followed by n lines of the last ticket."))
@click.option("--tcp", "tcp_port", type=click.IntRange(0, 65535), default=None,
              help="TCP port for print jobs (0 = any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--serial", "serial_paths", multiple=True, metavar="PATH",
              help="Serial port / pty to serve (repeatable).")
@click.option("--baudrate", type=click.IntRange(300, 1_000_000), default=None,
              help="Throttle serial reading to this line speed.")
@click.option("--control", "control_port", type=click.IntRange(0, 65535), default=None,
              help="TCP port for the line-based control protocol (0 = any free port).")
@click.option("--out", "output_dir", type=click.Path(file_okay=False), default=None,
              help="Directory to save ticket-NNNN.bin/.txt/.png files.")
@click.option("--state", type=click.Choice(EMULATOR_STATES),
              default="ok", show_default=True, help="Initial printer state.")
@click.option("--name", default="default", show_default=True, help="Emulator name (URL emulator:NAME in-process).")
@click.option("--paper", type=click.Choice(["58", "80"]), default="80", show_default=True,
              help="Paper width for the rendered tickets.")
def emulate_command(tcp_port: int | None, host: str, serial_paths: tuple[str, ...], baudrate: int | None,
                    control_port: int | None, output_dir: str | None, state: str, name: str, paper: str) -> None:
    from hardware.emulator import PrinterEmulator, register_emulator
    from hardware.render_escpos import PAPER_DOTS

    emulator = PrinterEmulator(name=name, state=state, output_dir=output_dir, paper_dots=PAPER_DOTS[int(paper)])
    if tcp_port is None and not serial_paths:
        tcp_port = 9100
    try:
        if tcp_port is not None:
            port = emulator.start_tcp(host, tcp_port)
            click.echo(f"TCP printer listening on {host}:{port}  (URL tcp://{host}:{port})")
        for path in serial_paths:
            emulator.start_serial(path, baudrate=baudrate)
            click.echo(f"Serial printer on {path}")
        if control_port is not None:
            port = emulator.start_control(host, control_port)
            click.echo(f"Control port on {host}:{port}")
    except OSError as exc:
        emulator.stop()
        raise click.ClickException(f"cannot listen: {exc}") from None
    register_emulator(emulator)
    if output_dir:
        click.echo(f"Tickets are saved in {output_dir}")
    click.echo(f"State: {state}. Press Ctrl-C to stop.")
    sys.stdout.flush()

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            for ticket in emulator.tickets():
                if ticket.seq > seen:
                    seen = ticket.seq
                    click.echo(f"ticket #{ticket.seq} printed ({len(ticket.data)} bytes, job {ticket.job_id})")
                    sys.stdout.flush()
    except KeyboardInterrupt:
        click.echo("Stopping emulator.")
    finally:
        signal.signal(signal.SIGTERM, previous)
        emulator.stop()


if __name__ == "__main__":  # pragma: no cover - manual use: python -m hardware.cli
    printer()
