"""The branch settings a kiosk follows: the languages offered and the priority question."""
from __future__ import annotations

import re

from servicepoint import setup
from servicepoint.setup_store import setup_ports
from tests.fixtures import make_ports
from tests.support.web import csrf_from


def configure(demo_db, clock, **changes) -> None:
    ports = make_ports(demo_db, clock)
    try:
        setup.update_settings(setup_ports(ports.conn, clock, "manager"), changes)
    finally:
        ports.conn.close()


def issue_priority(client) -> str:
    html = client.get("/kiosk/K1").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)
    r = client.post("/kiosk/K1/issue", data={"service": "A", "key": key, "priority": "priority",
                                             "csrf_token": csrf_from(html)})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def test_without_the_priority_question_nobody_gets_priority_at_the_kiosk(client, demo_db, clock):
    assert 'name="priority"' in client.get("/kiosk/K1").get_data(as_text=True)
    assert "ticket-service" in issue_priority(client)
    configure(demo_db, clock, priority_question=False)
    assert 'name="priority"' not in client.get("/kiosk/K1").get_data(as_text=True)
    issue_priority(client)
    ports = make_ports(demo_db, clock)
    try:
        priorities = [r[0] for r in ports.conn.execute("SELECT priority FROM tickets ORDER BY id")]
    finally:
        ports.conn.close()
    assert priorities == ["priority", "normal"]


def test_the_kiosk_offers_the_branch_languages_only(client, demo_db, clock):
    assert 'hreflang="es"' in client.get("/kiosk/K1").get_data(as_text=True)
    configure(demo_db, clock, kiosk_languages=["en"])
    html = client.get("/kiosk/K1").get_data(as_text=True)
    assert 'hreflang="en"' in html and 'hreflang="es"' not in html
