"""Setup commands: ``config export|import``, ``day close``, ``retention run`` and ``device``.

They attach to the ``servicepoint`` group in :mod:`servicepoint.cli` and act as
``cli:<login name>`` in the audit log.
"""
from __future__ import annotations

import getpass
import os
import tempfile

import click

from .cli import Context, cli, config


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (a container without a passwd entry)
        return "cli"


def _ports(conn):
    from .dayclose import UpkeepPorts
    from .db import get_setting
    from .timeutil import SystemClock

    return UpkeepPorts(conn=conn, clock=SystemClock(),
                       timezone=get_setting(conn, "timezone", "UTC"))


@config.command("export")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_obj
def config_export(obj: Context, path: str) -> None:
    """Write the branch setup (settings, services, counters, printers, devices) to PATH as TOML.

    Accounts and passwords are never written. PATH "-" writes to standard output.
    """
    from .branch_file import export_text

    conn = obj.connect()
    try:
        text = export_text(conn)
    finally:
        conn.close()
    if path == "-":
        click.echo(text, nl=False)
        return
    # Write beside the target and rename, so a failed export never leaves half a file.
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".branch-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    click.echo(f"Exported the branch setup to {path}")


@config.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check the file and list the changes; change nothing.")
@click.pass_obj
def config_import(obj: Context, path: str, dry_run: bool) -> None:
    """Apply a branch file (from `config export`) in one transaction, audited.

    Problems are listed with the file's line and field and nothing is changed.
    Services and counters the file does not list are removed (disabled when they
    have history); printers and devices it does not list are kept.
    """
    from .branch_file import ConfigFileError, import_text
    from .setup_store import setup_ports
    from .timeutil import SystemClock

    with click.open_file(path, encoding="utf-8") as fh:
        try:
            text = fh.read()
        except UnicodeDecodeError:
            raise click.ClickException(f"{path} is not UTF-8 text") from None
    conn = obj.connect()
    try:
        ports = setup_ports(conn, SystemClock(), _actor())
        report = import_text(ports, text, source=os.path.basename(path), dry_run=dry_run)
    except ConfigFileError as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        raise click.ClickException(
            f"{len(exc.problems)} problem(s); nothing was changed") from None
    finally:
        conn.close()
    for action, entity, key in report.changes:
        click.echo(f"  {action:<15} {entity:<9} {key}")
    if dry_run:
        click.echo(f"Dry run: {len(report.changes)} change(s) would be made; nothing was written")
    else:
        click.echo(f"Applied {len(report.changes)} change(s) from {path}")


@cli.group()
def day() -> None:
    """The branch day."""


@day.command("close")
@click.option("--day", "day_", default=None, metavar="YYYY-MM-DD",
              help="The branch day to close (default: today). Earlier days close too.")
@click.pass_obj
def day_close(obj: Context, day_: str | None) -> None:
    """Expire every waiting, called and parked ticket of the day now (safe to repeat)."""
    import datetime as dt

    from .dayclose import close_day

    if day_ is not None:
        try:
            dt.date.fromisoformat(day_)
        except ValueError:
            raise click.BadParameter("use YYYY-MM-DD", param_hint="--day") from None
    conn = obj.connect()
    try:
        result = close_day(_ports(conn), day=day_, trigger="cli", actor=_actor())
    finally:
        conn.close()
    click.echo(f"Closed {result.day}: {result.expired} ticket(s) expired")


@cli.group()
def retention() -> None:
    """Anonymising old visits."""


@retention.command("run")
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="Keep personal fields this many days (default: the branch's retention_days).")
@click.pass_obj
def retention_run(obj: Context, days: int | None) -> None:
    """Anonymise ended visits older than the retention period; timings stay for reports."""
    from .retention import run_retention

    conn = obj.connect()
    try:
        result = run_retention(_ports(conn), days=days)
    finally:
        conn.close()
    click.echo(f"Anonymised {result.tickets} ticket(s) issued before "
               f"{result.cutoff.isoformat(timespec='seconds')} ({result.days} days); "
               f"{result.events} event(s) and {result.print_jobs} print job(s) cleaned")


@cli.group()
def device() -> None:
    """Kiosks, displays and print agents: pairing and revoking."""


def _pairing_ports(conn):
    from .pairing import PairingPorts
    from .pairing_store import SqlitePairingStore
    from .timeutil import SystemClock

    return PairingPorts(store=SqlitePairingStore(conn), clock=SystemClock(), actor=_actor())


@device.command("pair")
@click.argument("code")
@click.option("--as", "as_", required=True, metavar="DEVICE",
              help="The kiosk or display (its code, e.g. K1) the screen showing CODE becomes.")
@click.pass_obj
def device_pair(obj: Context, code: str, as_: str) -> None:
    """Pair the screen or print agent showing CODE as DEVICE (it opens within a second)."""
    from .domain.branch import InvalidSetup
    from .pairing import approve

    conn = obj.connect()
    try:
        approve(_pairing_ports(conn), code, as_)
    except InvalidSetup as exc:
        raise click.ClickException(
            "; ".join(f"{e.field}: {e.message}" for e in exc.errors)) from None
    finally:
        conn.close()
    click.echo(f"Paired {as_}: the screen showing {code} receives its credential now")


@device.command("revoke")
@click.argument("code")
@click.pass_obj
def device_revoke(obj: Context, code: str) -> None:
    """End every credential of kiosk or display CODE at once."""
    from .pairing import revoke
    from .ports import NotFound

    conn = obj.connect()
    try:
        count = revoke(_pairing_ports(conn), code)
    except NotFound:
        raise click.ClickException(f"there is no device {code!r}") from None
    finally:
        conn.close()
    click.echo(f"Revoked {count} credential(s) of {code}")


@device.command("list")
@click.pass_obj
def device_list(obj: Context) -> None:
    """The branch's kiosks and displays and how many credentials each holds."""
    from . import setup_queries
    from .pairing_store import credentials

    conn = obj.connect()
    try:
        creds = credentials(conn)
        for spec in setup_queries.devices(conn):
            held = creds.get(spec.code, [])
            state = f"{len(held)} credential(s)" if held else "not paired"
            click.echo(f"{spec.code}\t{spec.kind}\t{spec.name}\t{state}")
    finally:
        conn.close()
