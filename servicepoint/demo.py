"""The demo branch that ``servicepoint init --demo`` seeds, and the settings every branch starts with."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from importlib import resources

from .branch_file import import_text
from .setup import add_staff
from .setup_store import setup_ports
from .timeutil import FixedClock

STAFF = [
    # username, password, role, display name
    ("clerk", "clerk-demo", "staff", "Ana Clerk"),
    ("manager", "manager-demo", "manager", "Marta Manager"),
    ("tech", "tech-demo", "technician", "Tomás Technician"),
]
DEMO_FILE = "demo_branch.toml"

def ensure_base_settings(conn: sqlite3.Connection, timezone: str, branch_name: str) -> None:
    """Settings every branch needs; existing values are kept."""
    with conn:
        for key, value in (("timezone", timezone), ("branch_name", branch_name),
                           ("ticket_template", {"show_qr": True, "show_wait": True,
                                                "greeting": {"en": "Welcome", "es": "Bienvenido"},
                                                "footer": {"en": "Thank you for waiting",
                                                           "es": "Gracias por su espera"}})):
            conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                         (key, json.dumps(value)))


def demo_text() -> str:
    """The demo branch's configuration file, shipped in the package."""
    return resources.files("servicepoint").joinpath(DEMO_FILE).read_text(encoding="utf-8")


def seed(conn: sqlite3.Connection, now: str) -> bool:
    """Seed the demo branch unless services already exist. Returns True if it seeded.

    The branch comes from :data:`DEMO_FILE` through the same import as
    ``servicepoint config import``; the accounts through the staff use case.
    Everything is audited as done by ``init --demo``.
    """
    if conn.execute("SELECT count(*) FROM services").fetchone()[0]:
        return False
    ports = setup_ports(conn, FixedClock(dt.datetime.fromisoformat(now)), "init --demo")
    import_text(ports, demo_text(), source=DEMO_FILE)
    for username, password, role, name in STAFF:
        if ports.store.staff(username) is None:
            add_staff(ports, {"username": username, "password": password, "role": role,
                              "display_name": name})
    return True
