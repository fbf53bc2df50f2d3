"""``config export|import``, ``day close`` and ``retention run`` through click's CliRunner."""
from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from servicepoint.cli import cli
from servicepoint.db import connect
from servicepoint.timeutil import FixedClock, SystemClock
from servicepoint.usecases import act, call_next, issue_ticket
from tests.fixtures import make_ports


@pytest.fixture
def runner():
    return CliRunner()


def run(runner, db, *args):
    return runner.invoke(cli, ["--db", db, *args], catch_exceptions=False)


def test_export_then_import_into_a_new_branch(runner, demo_db, tmp_path):
    target = str(tmp_path / "new.db")
    assert run(runner, target, "init", "--timezone", "UTC").exit_code == 0
    path = str(tmp_path / "branch.toml")
    r = run(runner, demo_db, "config", "export", path)
    assert r.exit_code == 0 and f"to {path}" in r.output
    stdout = run(runner, demo_db, "config", "export", "-")
    assert stdout.output == (tmp_path / "branch.toml").read_text(encoding="utf-8")
    dry = run(runner, target, "config", "import", path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "create          service   A" in dry.output
    assert "Dry run: 16 change(s) would be made; nothing was written" in dry.output
    conn = connect(target)
    try:
        assert conn.execute("SELECT count(*) FROM services").fetchone()[0] == 0
    finally:
        conn.close()
    applied = run(runner, target, "config", "import", path)
    assert applied.exit_code == 0 and "Applied 16 change(s)" in applied.output
    again = run(runner, target, "config", "export", "-")
    assert again.output == stdout.output
    conn = connect(target)
    try:
        actors = {r[0] for r in conn.execute("SELECT actor FROM audit_log")}
    finally:
        conn.close()
    assert len(actors) == 1 and actors.pop().startswith("cli")


def test_a_bad_file_is_refused_with_its_lines(runner, demo_db, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('format = 1\n[[counters]]\ncode = "9"\nname = "Nine"\nservices = ["Z"]\n')
    r = runner.invoke(cli, ["--db", demo_db, "config", "import", str(path)])
    assert r.exit_code == 1
    assert "bad.toml:5: counters[0].services[0]: there is no service 'Z'" in r.output
    assert "nothing was changed" in r.output


def test_day_close_expires_what_is_open(runner, demo_db):
    ports = make_ports(demo_db, SystemClock(), timezone="Europe/Madrid")
    try:
        issue_ticket(ports, service="A")
        issue_ticket(ports, service="B")
        call_next(ports, counter="1")
    finally:
        ports.conn.close()
    r = run(runner, demo_db, "day", "close")
    assert r.exit_code == 0 and ": 2 ticket(s) expired" in r.output
    assert ": 0 ticket(s) expired" in run(runner, demo_db, "day", "close").output
    bad = runner.invoke(cli, ["--db", demo_db, "day", "close", "--day", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_retention_run_says_how_many_tickets_it_touched(runner, demo_db):
    old = FixedClock(SystemClock().now() - dt.timedelta(days=10))
    ports = make_ports(demo_db, old, timezone="Europe/Madrid")
    try:
        for _ in range(3):
            ticket = issue_ticket(ports, service="A", language="es").ticket
            act(ports, ticket_id=ticket.id, action="cancel")
    finally:
        ports.conn.close()
    assert "Anonymised 0 ticket(s)" in run(runner, demo_db, "retention", "run").output
    r = run(runner, demo_db, "retention", "run", "--days", "5")
    assert r.exit_code == 0 and "Anonymised 3 ticket(s)" in r.output and "(5 days)" in r.output
