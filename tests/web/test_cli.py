"""The ``servicepoint`` command line, through click's CliRunner on real database files."""
from __future__ import annotations

import sqlite3

import click
import pytest
from click.testing import CliRunner

from servicepoint import cli as cli_module
from servicepoint.auth import check_password
from servicepoint.cli import cli
from servicepoint.db import connect


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def fresh_db(tmp_path) -> str:
    return str(tmp_path / "instance" / "branch.db")


def run(runner, db, *args, **kw):
    return runner.invoke(cli, ["--db", db, *args], catch_exceptions=False, **kw)


def test_init_demo_is_idempotent(runner, fresh_db):
    first = run(runner, fresh_db, "init", "--demo", "--timezone", "Europe/Madrid")
    assert first.exit_code == 0, first.output
    assert "applied m001_initial" in first.output
    assert "Seeded the demo branch" in first.output and "clerk" in first.output
    second = run(runner, fresh_db, "init", "--demo", "--timezone", "UTC")
    assert second.exit_code == 0, second.output
    assert "up to date" in second.output and "already present" in second.output
    conn = connect(fresh_db)
    try:
        assert conn.execute("SELECT count(*) FROM services").fetchone()[0] == 4
        assert conn.execute("SELECT count(*) FROM staff").fetchone()[0] == 3
        # The second run kept the first time zone.
        tz = conn.execute("SELECT value FROM settings WHERE key='timezone'").fetchone()[0]
        assert tz == '"Europe/Madrid"'
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_init_refuses_an_unknown_time_zone(runner, fresh_db):
    r = runner.invoke(cli, ["--db", fresh_db, "init", "--timezone", "Mars/Olympus"])
    assert r.exit_code == 2 and "Mars/Olympus" in r.output


def test_commands_need_an_initialised_database(runner, tmp_path):
    r = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "user", "add", "bob",
                            "--password", "pw"])
    assert r.exit_code == 1 and "servicepoint --db" in r.output and "init" in r.output


def test_user_add_and_duplicate(runner, fresh_db):
    run(runner, fresh_db, "init", "--timezone", "UTC")
    r = run(runner, fresh_db, "user", "add", "bob", "--role", "manager", "--password", "s3cret",
            "--name", "Bob Boss")
    assert r.exit_code == 0 and "Created manager bob" in r.output
    dup = runner.invoke(cli, ["--db", fresh_db, "user", "add", "bob", "--password", "x"])
    assert dup.exit_code == 1 and "already exists" in dup.output
    conn = connect(fresh_db)
    try:
        row = conn.execute("SELECT * FROM staff WHERE username='bob'").fetchone()
        assert (row["role"], row["display_name"]) == ("manager", "Bob Boss")
        assert row["password_hash"].startswith("$argon2id$") and "s3cret" not in row["password_hash"]
        assert check_password(conn, "bob", "s3cret") is not None
        assert check_password(conn, "bob", "wrong") is None
    finally:
        conn.close()


def test_user_add_prompts_for_the_password(runner, fresh_db):
    run(runner, fresh_db, "init", "--timezone", "UTC")
    r = run(runner, fresh_db, "user", "add", "eve", input="pw-1\npw-1\n")
    assert r.exit_code == 0 and "Created staff eve" in r.output and "pw-1" not in r.output


def test_token_create_prints_a_working_token(runner, fresh_db, make_app):
    run(runner, fresh_db, "init", "--demo", "--timezone", "UTC")
    r = run(runner, fresh_db, "token", "create", "dashboard", "--role", "manager")
    assert r.exit_code == 0
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("sp_") and len(token) > 30
    conn = connect(fresh_db)
    try:
        stored = conn.execute("SELECT token_hash FROM api_tokens").fetchone()[0]
        assert token not in stored  # only the hash is kept
    finally:
        conn.close()
    client = make_app(DATABASE=fresh_db).test_client()
    assert client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/stats", headers={"Authorization": "Bearer sp_other"}).status_code == 401


def test_device_token_needs_a_known_device(runner, fresh_db):
    run(runner, fresh_db, "init", "--demo", "--timezone", "UTC")
    r = runner.invoke(cli, ["--db", fresh_db, "token", "create", "agent", "--role", "device"])
    assert r.exit_code == 1 and "--device" in r.output
    r = runner.invoke(cli, ["--db", fresh_db, "token", "create", "agent", "--role", "device",
                            "--device", "K9"])
    assert r.exit_code == 1 and "K9" in r.output
    r = run(runner, fresh_db, "token", "create", "agent", "--role", "device", "--device", "K1")
    assert r.exit_code == 0 and r.output.strip().startswith("sp_")


def test_backup_makes_a_readable_copy_and_never_overwrites(runner, fresh_db, tmp_path):
    run(runner, fresh_db, "init", "--demo", "--timezone", "UTC")
    target = tmp_path / "backups" / "b1.db"
    target.parent.mkdir()
    r = run(runner, fresh_db, "backup", str(target))
    assert r.exit_code == 0 and "pages" in r.output
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM services").fetchone()[0] == 4
        assert copy.execute("SELECT count(*) FROM staff").fetchone()[0] == 3
    finally:
        copy.close()
    before = target.read_bytes()
    again = runner.invoke(cli, ["--db", fresh_db, "backup", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert target.read_bytes() == before


def test_config_check_ok_on_the_demo(runner, fresh_db):
    run(runner, fresh_db, "init", "--demo", "--timezone", "Europe/Madrid")
    r = run(runner, fresh_db, "config", "check")
    assert r.exit_code == 0, r.output
    assert "time zone Europe/Madrid" in r.stdout
    assert "PROBLEM" not in r.output
    # The demo's published passwords and the missing public URL are warned about.
    assert "Configuration OK" not in r.stdout and "with 4 warning(s)" in r.stdout
    assert "demo account 'clerk' still has its published password" in r.output
    assert "no public URL" in r.output


def test_config_check_fails_when_a_service_has_no_counter(runner, fresh_db):
    run(runner, fresh_db, "init", "--demo", "--timezone", "UTC")
    conn = connect(fresh_db)
    conn.execute("INSERT INTO services (code, names) VALUES ('E', '{\"en\": \"Exports\"}')")
    conn.close()
    r = runner.invoke(cli, ["--db", fresh_db, "config", "check"])
    assert r.exit_code == 1
    assert "service E has no counter" in r.stderr
    assert "Configuration OK" not in r.output


def test_config_check_fails_without_services(runner, fresh_db):
    run(runner, fresh_db, "init", "--timezone", "UTC")
    r = runner.invoke(cli, ["--db", fresh_db, "config", "check"])
    assert r.exit_code == 1 and "no active services" in r.stderr
    assert "no manager or admin account" in r.stdout


def all_commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_every_command_has_help(runner):
    cli_module._attach_optional_commands()  # what main() adds when the hardware package is there
    paths = [()] + list(all_commands(cli))
    assert {("init",), ("serve",), ("user", "add"), ("token", "create"), ("backup",),
            ("config", "check")} <= set(paths)
    for path in paths:
        r = runner.invoke(cli, [*path, "--help"])
        assert r.exit_code == 0, (path, r.output)
        assert r.output.startswith("Usage:"), path
        command = cli
        for name in path:
            command = command.commands[name]
        assert (command.help or command.short_help or "").strip(), f"{path} has no help text"
