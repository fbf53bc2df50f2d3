"""Account commands: ``user add|passwd|role|deactivate`` and ``token create``.

They attach to the ``servicepoint`` group in :mod:`servicepoint.cli`; account
changes end the account's open sessions at once.
"""
from __future__ import annotations

import click

from .cli import Context, _now, cli


@cli.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["staff", "manager", "technician", "admin"]),
              default="staff", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@click.option("--name", "display_name", default=None, help="Name shown on screens.")
@click.pass_obj
def user_add(obj: Context, username: str, role: str, password: str, display_name: str | None) -> None:
    """Create a staff account with an argon2-hashed password (audited as cli:<login>)."""
    from .cli_setup import _actor
    from .domain.branch import InvalidSetup
    from .setup import add_staff
    from .setup_store import setup_ports
    from .timeutil import SystemClock

    conn = obj.connect()
    try:
        add_staff(setup_ports(conn, SystemClock(), _actor()),
                  {"username": username, "password": password, "role": role,
                   "display_name": display_name or username}, min_password=1)
    except InvalidSetup as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    click.echo(f"Created {role} {username}")


@user.command("passwd")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@click.pass_obj
def user_passwd(obj: Context, username: str, password: str) -> None:
    """Set a new password; the account's open sessions end at once."""
    from .auth import set_password

    _account_change(obj, lambda conn: set_password(conn, username, password),
                    f"Password of {username} changed; its sessions ended")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["staff", "manager", "technician", "admin"]))
@click.pass_obj
def user_role(obj: Context, username: str, role: str) -> None:
    """Change an account's role; its open sessions end at once."""
    from .auth import set_role

    _account_change(obj, lambda conn: set_role(conn, username, role),
                    f"{username} is now {role}; its sessions ended")


@user.command("deactivate")
@click.argument("username")
@click.pass_obj
def user_deactivate(obj: Context, username: str) -> None:
    """Stop an account from signing in; its open sessions end at once."""
    from .auth import set_active

    _account_change(obj, lambda conn: set_active(conn, username, False),
                    f"{username} deactivated; its sessions ended")


def _account_change(obj: Context, change, done: str) -> None:
    from .auth import AuthError

    conn = obj.connect()
    try:
        change(conn)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    click.echo(done)


@cli.group()
def token() -> None:
    """API tokens for integrations and print agents."""


@token.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "manager", "technician", "admin", "device"]),
              default="staff", show_default=True)
@click.option("--device", default=None, help="For role device: the kiosk code this agent prints for.")
@click.pass_obj
def token_create(obj: Context, name: str, role: str, device: str | None) -> None:
    """Create a bearer token and print it (it is shown only once)."""
    from .auth import create_token

    conn = obj.connect()
    try:
        if device and conn.execute("SELECT 1 FROM devices WHERE code = ?", (device,)).fetchone() is None:
            raise click.ClickException(f"No device {device!r}")
        if role == "device" and not device:
            raise click.ClickException("A device token needs --device KIOSK")
        click.echo(create_token(conn, name, role, now=_now(), device_code=device))
    finally:
        conn.close()
