"""The ``servicepoint`` command line.

Every command takes the database from ``--db PATH``, else ``SERVICEPOINT_DB``,
else ``instance/servicepoint.db`` in the current folder.
"""
from __future__ import annotations

import os
import signal
import socket
import sys

import click

DEFAULT_DB = os.path.join("instance", "servicepoint.db")


def _now() -> str:
    from .timeutil import SystemClock, to_db

    return to_db(SystemClock().now())


def _local_timezone() -> str:
    """The machine's IANA zone name, or UTC when it cannot be told."""
    if os.environ.get("TZ") and "/" in os.environ["TZ"]:
        return os.environ["TZ"].lstrip(":")
    try:
        with open("/etc/timezone") as fh:
            name = fh.read().strip()
            if name:
                return name
    except OSError:
        pass
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


def _public_url_value(value: str) -> str:
    """click value_proc for the public URL prompt (empty = decide later)."""
    from .security import public_url_problem

    if value and public_url_problem(value):
        raise click.BadParameter(str(public_url_problem(value)))
    return value


class Context:
    def __init__(self, db: str):
        self.db = db

    def connect(self):
        from .db import connect, pending_migrations

        if not os.path.exists(self.db):
            raise click.ClickException(
                f"No database at {self.db}. Run `servicepoint --db {self.db} init` first.")
        if pending_migrations(self.db):
            raise click.ClickException(
                f"The database at {self.db} needs upgrading. Run `servicepoint --db {self.db} init`.")
        return connect(self.db)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", envvar="SERVICEPOINT_DB", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False),
              help="SQLite database file (also SERVICEPOINT_DB).")
@click.version_option(package_name="servicepoint")
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    """ServicePoint branch server: queue tickets, counters, displays and printers."""
    ctx.obj = Context(db)


@cli.command()
@click.option("--demo", is_flag=True, help="Also seed the demo branch (services A–D, 6 counters, "
              "3 staff accounts, 2 kiosks, 1 display, the printer emulator).")
@click.option("--timezone", default=None, help="The branch's IANA time zone (default: this machine's).")
@click.option("--branch-name", default="ServicePoint Branch", show_default=True)
@click.option("--public-url", default=None,
              help="The address phones and kiosks reach this server at, e.g. "
                   "https://queue.branch.example (QR codes and links use it; asked when not given "
                   "and none is set yet).")
@click.option("--history-days", default=0, show_default=True, type=click.IntRange(0, 120),
              help="With --demo: play this many past weekdays with the simulator, so the "
                   "dashboard, reports and staffing page have history (only while the branch "
                   "has no tickets yet).")
@click.pass_obj
def init(obj: Context, demo: bool, timezone: str | None, branch_name: str,
         public_url: str | None, history_days: int) -> None:
    """Create or upgrade the database; safe to run again."""
    from .db import connect, get_setting, init_db, set_setting
    from .demo import STAFF, ensure_base_settings, seed
    from .security import public_url_problem
    from .timeutil import zone

    timezone = timezone or _local_timezone()
    try:
        zone(timezone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timezone") from None
    if public_url is not None and public_url_problem(public_url):
        raise click.BadParameter(str(public_url_problem(public_url)), param_hint="--public-url")
    applied = init_db(obj.db)
    conn = connect(obj.db)
    try:
        ensure_base_settings(conn, timezone, branch_name)
        if public_url is None and get_setting(conn, "public_url") is None and sys.stdin.isatty():
            public_url = click.prompt(
                "Public URL of this server (what phones open from the ticket's QR code)",
                default="", show_default=False, value_proc=_public_url_value) or None
        if public_url is not None:
            with conn:
                set_setting(conn, "public_url", public_url.rstrip("/"))
        click.echo(f"Public URL: {get_setting(conn, 'public_url') or 'not set (see config check)'}")
        click.echo(f"Database {obj.db}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
        if demo:
            if seed(conn, _now()):
                click.echo("Seeded the demo branch.")
            else:
                click.echo("Demo branch already present; nothing seeded.")
            demo_users = [u for u in STAFF if conn.execute(
                "SELECT 1 FROM staff WHERE username = ? AND active", (u[0],)).fetchone()]
            if demo_users:
                click.echo("Demo staff sign-in (username / password):")
                for username, password, role, _name in demo_users:
                    click.echo(f"  {username:<8} / {password:<13} ({role})")
    finally:
        conn.close()
    if demo and history_days:
        _demo_history(obj.db, history_days)


def _demo_history(db: str, days: int) -> None:
    """Play ``days`` past weekdays of the demo branch (once; see ``servicepoint.sim.history``)."""
    import time

    from .sim.history import seed_history
    from .timeutil import SystemClock

    began = time.monotonic()
    summary = seed_history(db, days, SystemClock().now().date())
    if summary is None:
        click.echo("The branch already has tickets; no history played.")
        return
    click.echo(f"Played {days} past weekdays: {summary['tickets']} tickets, mean wait "
               f"{summary['mean_wait_s']:.0f} s ({time.monotonic() - began:.0f} s).")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 to serve the branch network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=32, show_default=True, type=click.IntRange(4, 1000),
              help="Worker threads of the Flask app (live streams take none).")
@click.option("--no-workers", is_flag=True, help="Do not start the print worker and printer monitor.")
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int, no_workers: bool) -> None:
    """Serve the branch and print the URLs of every screen.

    One port: the stream server (aiohttp) holds the live streams and passes every
    other request to the Flask app in waitress on a private loopback port.
    """
    obj.connect().close()
    os.environ["SERVICEPOINT_DB"] = os.path.abspath(obj.db)
    import secrets

    from waitress import create_server

    from . import create_app
    from .maintenance import Checkpointer, limit_malloc_arenas, raise_open_files_limit
    from .stream_server import FrontPeer, StreamServer

    limit_malloc_arenas()
    # Every open stream is a socket: thousands of phones need thousands of descriptors.
    raise_open_files_limit()
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else host
    app = create_app({"DATABASE": os.path.abspath(obj.db), "START_WORKERS": not no_workers,
                      # Checkpoints run in the background (below), not inside requests.
                      "SQLITE_AUTOCHECKPOINT": 20000,
                      # Links and QR codes when no public_url is set: this server's own
                      # address as started, never a request's Host header.
                      "PUBLIC_URL_FALLBACK": f"http://{shown}:{port}"})
    token = secrets.token_urlsafe(24)
    app.wsgi_app = FrontPeer(app.wsgi_app, token)
    checkpointer = Checkpointer(os.path.abspath(obj.db))
    checkpointer.start()
    from .dayclose import start_for_app

    # Closes each branch day at its closing time; at start it catches up a missed close.
    day_closer = start_for_app(app)
    backend = create_server(
        app, host="127.0.0.1", port=0, threads=threads,
        connection_limit=threads * 4,
        channel_request_lookahead=5,
        channel_timeout=120,
        # poll(), not select(): with thousands of streams open, the descriptors of the
        # stream server's connections to waitress pass select()'s limit of 1,024.
        asyncore_use_poll=True,
        # The largest body any route takes is a logo (LOGO_MAX_BYTES): refuse far larger
        # ones before they are spooled to disk.
        max_request_body_size=max(16 * 2**20, 4 * app.config["LOGO_MAX_BYTES"]),
        ident="servicepoint",
    )
    streams = StreamServer(app, host, port, backend.effective_port, token, threads)
    try:
        streams.start()
    except OSError as exc:
        backend.close()
        day_closer.stop()
        checkpointer.stop()
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    workers = app.extensions["servicepoint"].get("start_workers")
    if workers:
        workers()
    shown = "localhost" if host in ("0.0.0.0", "127.0.0.1", "::") else host
    base = f"http://{shown}:{streams.effective_port}"
    click.echo(f"Links and QR codes point to {app.config['PUBLIC_URL']}"
               + ("" if _has_public_url(obj.db) else
                  " (no public_url set: servicepoint init --public-url URL)"))
    click.echo(f"ServicePoint is serving {obj.db} on {base}")
    for name, path in (("Kiosk", "/kiosk/K1"), ("Counter", "/counter"), ("Display", "/display/D1"),
                       ("Manager", "/manager"), ("Hardware", "/hardware"), ("API", "/api/v1/openapi.json"),
                       ("Health", "/healthz")):
        click.echo(f"  {name:<9} {base}{path}")
    sys.stdout.flush()

    def _terminate(signum, frame):
        raise SystemExit(0)

    # systemd and test harnesses stop the server with SIGTERM: stop the workers and
    # clean up as on Ctrl-C instead of dying mid-write.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        backend.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop = app.extensions["servicepoint"].get("stop_workers")
        if stop:
            stop()
        streams.stop()
        backend.close()
        day_closer.stop()
        checkpointer.stop()


def _has_public_url(db: str) -> bool:
    from .db import connect, get_setting

    conn = connect(db)
    try:
        return bool(get_setting(conn, "public_url"))
    finally:
        conn.close()


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.pass_obj
def backup(obj: Context, path: str) -> None:
    """Copy the live database to PATH with SQLite's online backup (safe while serving)."""
    from .db import backup as do_backup

    obj.connect().close()
    try:
        pages = do_backup(obj.db, path)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {obj.db} to {path} ({pages} pages)")


@cli.group()
def config() -> None:
    """Branch configuration."""


@config.command("check")
@click.pass_obj
def config_check(obj: Context) -> None:
    """Check the database and the branch setup; exit 1 when something would stop the branch."""
    from .config_checks import check_branch

    conn = obj.connect()
    try:
        notes, warnings, problems = check_branch(conn)
    finally:
        conn.close()
    for note in notes:
        click.echo(f"  note: {note}")
    for warning in warnings:
        click.echo(f"  WARNING: {warning}", err=True)
    for problem in problems:
        click.echo(f"  PROBLEM: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    if warnings:
        click.echo(f"Configuration usable, with {len(warnings)} warning(s) above")
    else:
        click.echo("Configuration OK")


def _attach_optional_commands() -> None:
    """Commands that live in the hardware package, when it is installed."""
    try:
        from hardware.cli import printer
    except ImportError:
        return
    cli.add_command(printer)
    try:
        from hardware.agent import print_agent
    except ImportError:
        return
    cli.add_command(print_agent)


def register_app_commands(app) -> None:
    """Add ``flask --app servicepoint init-db`` (flaskr style) for developers."""

    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create or upgrade the configured database."""
        from .db import init_db

        applied = init_db(app.config["DATABASE"])
        click.echo(f"Applied: {', '.join(applied) or 'nothing (up to date)'}")


def main() -> None:
    # python-escpos caches its capability data in a fresh temporary folder per process
    # and never removes it. A shared folder is no cure: it writes the cache file in
    # place, so a second process can read it half-written. Give each process its own
    # folder and remove it at exit.
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
        import atexit
        import shutil
        import tempfile

        cache = tempfile.mkdtemp(prefix="servicepoint-escpos-")
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = cache
        atexit.register(shutil.rmtree, cache, True)
    _attach_optional_commands()
    cli(prog_name="servicepoint")


from . import (
    cli_accounts,  # noqa: E402,F401  (registers user, token)
    cli_reports,  # noqa: E402,F401  (registers reports rebuild)
    cli_setup,  # noqa: E402,F401  (registers config export/import, day close, retention run)
    cli_sim,  # noqa: E402,F401  (registers simulate)
)
