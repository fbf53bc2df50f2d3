"""The branch as a TOML file: export → import into an empty database → export gives the same file."""
from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicepoint import branch_file, demo, setup, setup_queries
from servicepoint.branch_file import ConfigFileError, export_text, import_text
from servicepoint.db import connect, init_db
from servicepoint.setup_store import setup_ports
from servicepoint.usecases import issue_ticket
from tests.fixtures import TIMEZONE


@pytest.fixture
def empty(tmp_path, clock):
    """An initialised database with no branch in it, and setup ports acting as ``head-office``."""
    path = str(tmp_path / "empty.db")
    init_db(path)
    conn = connect(path)
    demo.ensure_base_settings(conn, "UTC", "New branch")
    yield setup_ports(conn, clock, "head-office")
    conn.close()


@pytest.fixture
def sp(ports, clock):
    return setup_ports(ports.conn, clock, "manager")


def dump(conn) -> list[str]:
    return list(conn.iterdump())


def enrich(sp) -> None:
    """Everything a branch can configure, with awkward text."""
    setup.update_settings(sp, {"closing_time": "19:30", "trusted_proxies": ["10.0.0.0/24"],
                               "kiosk_languages": ["en", "es", "pt-BR"], "retention_days": 30,
                               "auto_no_show_recalls": 2, "priority_question": False})
    setup.create_service(sp, {
        "code": "E", "names": {"en": 'Say "hi" \\ wave', "es": "Añadir ✓", "pt-BR": "Olá"},
        "descriptions": {"en": "# not a comment = [x]"}, "icon": "box", "category": "Extra",
        "hours": {"fri": {"open": "09:00", "last_ticket": "12:45", "close": "13:00"},
                  "mon": {"open": "08:00", "close": "15:00"}},
        "service_level_goal": 0.95, "weight": 0.25})
    setup.create_counter(sp, {"code": "7", "name": "Window 7", "location": "First floor, left",
                              "services": ["E", "A"], "enabled": False})
    setup.save_printer(sp, {"name": "Back office", "url": "tcp://192.0.2.10:9100",
                            "paper_mm": 58, "mode": "server"})
    setup.save_device(sp, {"code": "K3", "kind": "kiosk", "name": "Back door",
                           "language": "pt-BR", "printer": "Back office", "services": ["E"]})


def test_export_import_export_gives_the_same_file(sp, ports, empty):
    enrich(sp)
    exported = export_text(ports.conn)
    assert tomllib.loads(exported)["services"][-1]["hours"]["fri"]["last_ticket"] == "12:45"
    report = import_text(empty, exported, source="branch.toml")
    assert ("create", "service", "E") in report.changes and not report.dry_run
    again = export_text(empty.store.conn)
    # The empty branch had its own time zone; the file brings the demo's.
    assert again == exported
    assert setup_queries.settings(empty.store.conn).timezone == TIMEZONE
    assert "argon2" not in exported and "clerk" not in exported and "[[staff]]" not in exported
    # Importing the same file again changes nothing (and audits nothing).
    assert import_text(empty, exported).changes == []


def test_the_import_is_audited_as_the_one_who_ran_it(ports, empty):
    import_text(empty, export_text(ports.conn), source="branch.toml")
    entries = setup_queries.audit_entries(empty.store.conn, limit=500)
    assert {e.actor for e in entries} == {"head-office"}
    assert (entries[0].action, entries[0].entity, entries[0].key) == ("import", "branch", "branch.toml")
    assert {(e.entity, e.key) for e in entries if e.action == "create"} >= {
        ("service", "A"), ("counter", "6"), ("printer", "Lobby printer (emulator)"),
        ("device", "K1")}


def test_a_malformed_file_changes_nothing_and_names_the_line(ports, empty):
    text = export_text(ports.conn)
    lines = text.splitlines()
    bad_code = next(i for i, line in enumerate(lines) if line == 'code = "C"')
    lines[bad_code] = 'code = "C9"'
    bad_weight = next(i for i, line in enumerate(lines) if line.startswith("weight = 1.2"))
    lines[bad_weight] = 'weight = "heavy"'
    bad_counter = next(i for i, line in enumerate(lines) if line == 'services = ["D"]')
    lines[bad_counter] = 'services = ["D", "Q"]'
    before = dump(empty.store.conn)
    with pytest.raises(ConfigFileError) as exc:
        import_text(empty, "\n".join(lines) + "\n", source="branch.toml")
    assert exc.value.lines()[:2] == [
        f"branch.toml:{bad_code + 1}: services[2].code: must be 1 to 3 letters A-Z "
        "(a digit would run into the ticket number)",
        f"branch.toml:{bad_weight + 1}: services[3].weight: must be a number"]
    assert f"branch.toml:{bad_counter + 1}: counters[5].services[1]: there is no service 'Q'" \
        in exc.value.lines()
    assert dump(empty.store.conn) == before


@pytest.mark.parametrize("text,line,words", [
    ('format = 1\n[branch]\nname = "x"\nname = "y"\n', 4, "not valid TOML"),
    ('format = 1\n\n[servces]\nx = 1\n', 3, "unknown section"),
    ('format = 2\n', 1, "format 1"),
    ('format = 1\n[[services]]\ncode = "Q"\n', 2, "services[0].names.en: a name"),
    ('format = 1\n[[services]]\ncode = "Q"\nnames = { en = "Q" }\n[services.hours]\n'
     'mon = { open = "10:00", close = "09:00" }\n', 6, "services[0].hours.mon.close"),
    ('format = 1\n[branch]\ntimezone = "Mars/Olympus"\n', 3, "branch.timezone"),
    ('format = 1\nservices = 3\n', 2, "[[services]]"),
])
def test_problems_name_their_line(empty, text, line, words):
    before = dump(empty.store.conn)
    with pytest.raises(ConfigFileError) as exc:
        import_text(empty, text, source="b.toml")
    message = "\n".join(exc.value.lines())
    assert message.startswith(f"b.toml:{line}: ") and words in message, message
    assert dump(empty.store.conn) == before


def test_a_dry_run_reports_and_writes_nothing(ports, empty):
    before = dump(empty.store.conn)
    report = import_text(empty, export_text(ports.conn), dry_run=True)
    assert report.dry_run and ("create", "counter", "3") in report.changes
    assert dump(empty.store.conn) == before


def test_services_and_counters_left_out_are_removed_or_disabled(sp, ports):
    issue_ticket(ports, service="D")
    data = export_text(ports.conn)
    # Drop service D (it has a ticket: disabled) and counter 6 (never used: deleted).
    blocks = data.split("\n\n")
    kept = [b for b in blocks if 'code = "D"' not in b and 'code = "6"' not in b]
    kept = [b.replace('services = ["C", "D"]', 'services = ["C"]')
            .replace('services = ["A", "C", "D"]', 'services = ["A", "C"]') for b in kept]
    report = import_text(sp, "\n\n".join(kept))
    assert ("disable", "service", "D") in report.changes
    assert ("delete", "counter", "6") in report.changes
    assert [s.enabled for s in setup_queries.services(ports.conn)] == [True, True, True, False]


def test_the_demo_is_built_from_the_shipped_file(ports):
    services = setup_queries.services(ports.conn)
    assert [s.code for s in services] == ["A", "B", "C", "D"]
    assert services[1].names == {"en": "Payments and cash", "es": "Pagos y caja",
                                 "fr": "Paiements et caisse", "ar": "المدفوعات والصندوق"}
    assert setup_queries.counters(ports.conn)[4].services == ("A", "C", "D")
    assert [(d.code, d.kind, d.printer) for d in setup_queries.devices(ports.conn)] == [
        ("D1", "display", None), ("K1", "kiosk", "Lobby printer (emulator)"),
        ("K2", "kiosk", "Lobby printer (emulator)")]
    assert tomllib.loads(demo.demo_text())["format"] == 1


@given(st.text(max_size=40))
def test_any_text_survives_the_writer(text):
    assert tomllib.loads(f"x = {branch_file._string(text)}\n")["x"] == text


def test_a_counter_spoken_name_goes_through_the_file(sp, ports):
    setup.update_counter(sp, "3", {"spoken": {"es": "a la ventanilla tres"}})
    data = export_text(ports.conn)
    assert 'spoken = { es = "a la ventanilla tres" }' in data or \
        'spoken = {es = "a la ventanilla tres"}' in data
    assert data.count("spoken =") == 1  # counters without one write nothing
    assert import_text(sp, data.replace("ventanilla tres", "caja tres")).changes
    assert setup_queries.counters(ports.conn)[2].spoken == {"es": "a la caja tres"}
    with pytest.raises(ConfigFileError) as exc:
        import_text(sp, data.replace('es = "a la ventanilla tres"', "es = 3"))
    assert "spoken.es" in str(exc.value)
    assert setup_queries.counters(ports.conn)[2].spoken == {"es": "a la caja tres"}
