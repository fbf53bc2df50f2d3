"""Staff sign-in and sign-out, CSRF on forms, the customer's tracking page."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from servicepoint.db import connect
from tests.support.web import assert_error, csrf_from, login


def test_login_page(client):
    r = client.get("/login")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'name="password"' in html and "Staff sign-in" in html


def test_wrong_password_is_401_with_a_message(client):
    r = login(client, "clerk", "wrong")
    assert r.status_code == 401
    assert "Wrong username or password." in r.get_data(as_text=True)
    with client.session_transaction() as s:
        assert "user" not in s
    r = login(client, "nobody", "clerk-demo")
    assert r.status_code == 401


def test_wrong_password_message_in_spanish(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login?lang=es", data={"username": "clerk", "password": "x",
                                            "csrf_token": token})
    assert r.status_code == 401 and "Usuario o contraseña incorrectos." in r.get_data(as_text=True)


def test_right_password_starts_a_session(client):
    r = login(client, "manager", "manager-demo")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    with client.session_transaction() as s:
        # The cookie carries only the session's secret; the role lives in the database.
        assert set(s) >= {"sid"} and "user" not in s and "manager" not in str(dict(s))
    page = client.get("/").get_data(as_text=True)
    assert "Marta Manager" in page and "Sign out" in page


def test_inactive_account_cannot_sign_in(client, demo_db):
    conn = connect(demo_db)
    conn.execute("UPDATE staff SET active = 0 WHERE username = 'clerk'")
    conn.close()
    assert login(client, "clerk", "clerk-demo").status_code == 401


@pytest.mark.parametrize("target", ["/counter", "//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "http:evil.example"])
def test_login_redirects_only_to_local_paths(client, target):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", query_string={"next": target},
                    data={"username": "clerk", "password": "clerk-demo", "csrf_token": token})
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert not location.path.startswith("//") and not location.path.startswith("/\\")
    if target == "/counter":
        assert location.path == "/counter"
    elif target.startswith(("//", "http")):
        assert location.path == "/"


def test_form_post_without_csrf_is_a_friendly_400(client):
    r = client.post("/login", data={"username": "clerk", "password": "clerk-demo"})
    assert r.status_code == 400
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "This form has expired" in html and "Go back to the start" in html
    with client.session_transaction() as s:
        assert "user" not in s


def test_logout(client, staff):
    assert login(client, "clerk", "clerk-demo").status_code == 302
    token = csrf_from(client.get("/").get_data(as_text=True))
    # Without the token the logout form is refused ...
    assert client.post("/logout").status_code == 400
    assert "Ana Clerk" in client.get("/").get_data(as_text=True)
    with client.session_transaction() as s:
        sid = s["sid"]
    # ... with it the session ends and the API no longer knows the caller.
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302
    with client.session_transaction() as s:
        assert "sid" not in s
        # Even the old cookie, replayed, is worth nothing now: the server forgot the session.
        s["sid"], s["csrf"] = sid, token
    assert_error(client.post("/api/v1/counters/1/call-next", headers={"X-CSRF-Token": token}), 401)
    assert client.get("/logout").status_code == 405  # a link cannot sign anyone out


def _state(html: str) -> str:
    import re

    inner = re.search(r'id="track-state"[^>]*>(.*?)</p>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", inner).split())


def test_tracking_page_follows_the_ticket(client, staff):
    a1 = client.post("/api/v1/tickets", json={"service": "A"}).get_json()
    a2 = client.post("/api/v1/tickets", json={"service": "A", "language": "es"}).get_json()
    path = a2["track_url"].replace("http://localhost", "")
    assert path.startswith("/t/")
    r = client.get(path)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "A002" in html and 'lang="es"' in html and "Consultas generales" in html
    assert _state(html).startswith("1 persona delante de usted.")
    assert "Espera estimada" in _state(html)
    client.post("/api/v1/counters/2/call-next", headers=staff)  # calls A001
    assert _state(client.get(path).get_data(as_text=True)).startswith("Usted es el siguiente.")
    client.post(f"/api/v1/tickets/{a1['id']}/no-show", headers=staff)
    client.post("/api/v1/counters/2/call-next", headers=staff)
    assert "Es su turno: acuda a Counter 2." in _state(client.get(path).get_data(as_text=True))
    # htmx re-fetches only the fragment.
    partial = client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and 'id="track-state"' in partial


def _nudge(html: str) -> str:
    """The nudge's text; the element stays (hidden, empty) so the live stream can fill it."""
    import re

    found = re.search(r'<p class="track-nudge" id="track-nudge"( hidden)?>(.*?)</p>', html, re.S)
    assert found is not None
    assert bool(found.group(1)) is (found.group(2) == "")
    return found.group(2)


@pytest.mark.parametrize("lang,two,one", [
    ("en", "Only 2 people ahead of you", "Only 1 person ahead of you"),
    ("es", "Solo 2 personas delante de usted", "Solo 1 persona delante de usted"),
    ("ar", "شخصان فقط قبلك", "شخص واحد فقط قبلك"),
])
def test_tracking_page_nudges_when_two_people_are_ahead(client, staff, lang, two, one):
    issued = [client.post("/api/v1/tickets", json={"service": "A", "language": lang}).get_json()
              for _ in range(4)]
    paths = [i["track_url"].replace("http://localhost", "") for i in issued]
    assert _nudge(client.get(paths[3]).get_data(as_text=True)) == ""  # 3 ahead
    assert two in client.get(paths[2]).get_data(as_text=True)
    assert one in client.get(paths[1]).get_data(as_text=True)
    assert _nudge(client.get(paths[0]).get_data(as_text=True)) == ""  # next
    html = client.get(paths[0]).get_data(as_text=True)
    assert 'id="track-branch"' in html and "ServicePoint Demo Branch" in html
    assert ('dir="rtl"' in html) is (lang == "ar")
    client.post("/api/v1/counters/2/call-next", headers=staff)  # calls the first
    called = client.get(paths[0]).get_data(as_text=True)
    assert 'id="called-screen"' in called and 'id="called-counter">Counter 2<' in called


def test_customer_cancels_from_the_tracking_page(client, staff):
    import re

    a1 = client.post("/api/v1/tickets", json={"service": "A"}).get_json()
    path = a1["track_url"].replace("http://localhost", "")
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(f"{path}/cancel").status_code == 400  # no CSRF token: refused
    assert client.get(f"/api/v1/tickets/{a1['id']}", headers=staff).get_json()["state"] == "waiting"
    r = client.post(f"{path}/cancel", data={"csrf_token": token})
    assert r.status_code == 302
    assert client.get(f"/api/v1/tickets/{a1['id']}", headers=staff).get_json()["state"] == "cancelled"
    html = client.get(path).get_data(as_text=True)
    assert _state(html) == "This ticket was cancelled." and "Your ticket is cancelled." in html
    assert "I no longer need this turn" not in html
    # A called ticket cannot be cancelled from the phone.
    a2 = client.post("/api/v1/tickets", json={"service": "A"}).get_json()
    client.post("/api/v1/counters/2/call-next", headers=staff)
    path2 = a2["track_url"].replace("http://localhost", "")
    client.post(f"{path2}/cancel", data={"csrf_token": token})
    assert client.get(f"/api/v1/tickets/{a2['id']}", headers=staff).get_json()["state"] == "called"
    assert "This ticket can no longer be cancelled." in client.get(path2).get_data(as_text=True)


def test_tracking_page_does_not_leak_by_id(client):
    client.post("/api/v1/tickets", json={"service": "A"})
    assert client.get("/t/1").status_code == 404
    r = client.get("/t/not-a-ticket")
    assert r.status_code == 404 and "We could not find that page." in r.get_data(as_text=True)


def test_index_links_the_faces(client):
    html = client.get("/").get_data(as_text=True)
    for href in ("/kiosk/K1", "/counter", "/display/D1", "/manager", "/hardware",
                 "/api/v1/openapi.json", "/healthz", "/metrics"):
        assert f'href="{href}"' in html


def test_html_404_page(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "We could not find that page." in r.get_data(as_text=True)
