"""Display announcements through the Flask test client: which calls, their WAV, the refusals,
and /healthz when espeak-ng is missing (a PATH without it, not a mock)."""
from __future__ import annotations

import io
import json
import os
import wave

import pytest

import servicepoint
from servicepoint import setup, usecases
from servicepoint.db import connect
from servicepoint.web_db import get_ports, get_setup_ports
from tests.support.require import require_espeak

URL = "/display/D1/announcements"


def issue_and_call(app, service="A", counter="1"):
    with app.test_request_context():
        ports = get_ports()
        usecases.issue_ticket(ports, service=service, language="en")
        return usecases.call_next(ports, counter=counter)


def recall(app, ticket, counter):
    with app.test_request_context():
        usecases.act(get_ports(), ticket_id=ticket.id, action="recall", counter=counter)


def configure(db_path, sql, params=()):
    """Change the display's row as its setup would."""
    conn = connect(db_path)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


def pending(client, after):
    r = client.get(f"{URL}?after={after}")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    return r.get_json()


def frames(data: bytes) -> int:
    with wave.open(io.BytesIO(data)) as w:
        assert len(w.readframes(w.getnframes())) == w.getnframes() * w.getsampwidth()
        return w.getnframes()


def test_a_new_display_starts_after_the_calls_already_made(app, client):
    issue_and_call(app)
    start = client.get(URL).get_json()
    assert start["items"] == [] and start["cursor"] > 0
    assert pending(client, start["cursor"])["items"] == []


def test_every_call_in_order_each_with_its_wav(app, client):
    require_espeak()
    cursor = client.get(URL).get_json()["cursor"]
    tickets = [issue_and_call(app, svc, counter) for svc, counter in (("A", "1"), ("B", "2"),
                                                                       ("B", "3"))]
    body = pending(client, cursor)
    assert body["speech"] is True and body["more"] is False
    items = body["items"]
    assert [i["number"] for i in items] == [t.number for t in tickets] == ["A001", "B001", "B002"]
    assert [i["counter"] for i in items] == ["1", "2", "3"]
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    assert body["cursor"] == items[-1]["id"]
    assert items[0]["audio"] == [{
        "lang": "en", "text": "Ticket A 0 0 1, please go to counter 1.",
        "url": f"{URL}/{items[0]['id']}/en.wav"}]
    for item in items:
        r = client.get(item["audio"][0]["url"])
        assert r.status_code == 200 and r.mimetype == "audio/wav"
        assert frames(r.data) > 22050  # more than a second of speech
    assert pending(client, body["cursor"])["items"] == []


def test_a_recall_is_announced_again(app, client):
    require_espeak()
    ticket = issue_and_call(app, "C", "4")
    first = pending(client, 0)["items"]
    assert [i["action"] for i in first] == ["call"]
    recall(app, ticket, "4")
    again = pending(client, first[-1]["id"])["items"]
    assert [(i["action"], i["number"]) for i in again] == [("recall", "C001")]
    assert again[0]["id"] > first[0]["id"]
    assert again[0]["audio"][0]["text"] == first[0]["audio"][0]["text"]
    r1 = client.get(first[0]["audio"][0]["url"])
    r2 = client.get(again[0]["audio"][0]["url"])
    assert r1.status_code == r2.status_code == 200 and r1.data == r2.data  # one cached phrase


def test_the_display_speaks_its_own_language_and_the_branch_number_style(app, client, demo_db):
    require_espeak()
    configure(demo_db, "UPDATE devices SET language = 'es' WHERE code = 'D1'")
    with app.test_request_context():  # the branch setting, through the setup use case
        assert setup.update_settings(get_setup_ports(), {"speech_numbers": "whole"}
                                     ).speech_numbers == "whole"
    issue_and_call(app, "B", "2")
    [item] = pending(client, 0)["items"]
    assert [(a["lang"], a["text"]) for a in item["audio"]] == [
        ("es", "Turno B 1, por favor diríjase al mostrador 2.")]
    r = client.get(item["audio"][0]["url"])
    assert r.status_code == 200 and frames(r.data) > 0
    assert client.get(f"{URL}/{item['id']}/en.wav").status_code == 404


def test_the_counter_is_announced_by_its_spoken_name_from_setup(app, client, demo_db):
    require_espeak()
    configure(demo_db, "UPDATE devices SET languages = ? WHERE code = 'D1'",
              (json.dumps(["en", "es"]),))
    with app.test_request_context():  # what a manager sets on the counter
        setup.update_counter(get_setup_ports(), "2", {"spoken": {"es": "a la ventanilla dos"}})
    issue_and_call(app, "B", "2")
    [item] = pending(client, 0)["items"]
    assert [(a["lang"], a["text"]) for a in item["audio"]] == [
        ("en", "Ticket B 0 0 1, please go to counter 2."),
        ("es", "Turno B 0 0 1, por favor diríjase a la ventanilla dos.")]
    plain = frames(client.get(item["audio"][0]["url"]).data)
    named = client.get(item["audio"][1]["url"])
    assert named.status_code == 200 and frames(named.data) > 0 and plain > 0


def test_a_display_announces_only_the_services_it_shows(app, client, demo_db):
    configure(demo_db, "UPDATE devices SET services = ? WHERE code = 'D1'", (json.dumps(["B"]),))
    issue_and_call(app, "A", "1")
    issue_and_call(app, "B", "2")
    body = pending(client, 0)
    assert [i["number"] for i in body["items"]] == ["B001"]
    hidden = body["cursor"] - 1  # the call of A001 came just before
    r = client.get(f"{URL}/{hidden}/en.wav")
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def test_old_calls_are_not_announced(app, client, clock):
    issue_and_call(app)
    clock.advance(minutes=6)
    body = pending(client, 0)
    assert body["items"] == []
    assert client.get(f"{URL}/1/en.wav").status_code == 404


@pytest.mark.parametrize("path", [
    "/display/D9/announcements", "/display/K1/announcements",
    "/display/D1/announcements/999999/en.wav", "/display/D1/announcements/1/xx.wav",
    "/display/D1/announcements/1/fr.wav", "/display/K1/announcements/1/en.wav",
])
def test_unknown_things_are_json_404s(app, client, path):
    issue_and_call(app)
    r = client.get(path)
    assert r.status_code == 404
    body = r.get_json()
    assert body["error"] == "not_found" and body["message"]


def test_an_id_beyond_sqlite_is_a_404_not_a_500(client):
    # The app's int converter refuses it before the view (a page 404, like any bad URL).
    assert client.get(f"{URL}/{'9' * 30}/en.wav").status_code == 404


def test_an_event_that_is_not_a_call_has_no_announcement(app, client):
    ticket = issue_and_call(app)
    call_id = pending(client, 0)["items"][0]["id"]
    with app.test_request_context():
        usecases.act(get_ports(), ticket_id=ticket.id, action="start", counter="1")
    assert client.get(f"{URL}/{call_id + 1}/en.wav").status_code == 404  # the start event
    assert client.get(f"{URL}/{call_id - 1}/en.wav").status_code == 404  # the issue event


@pytest.mark.parametrize("after", ["x", "-1", "1.5", "9" * 30, ""])
def test_a_bad_cursor_is_a_400(client, after):
    r = client.get(f"{URL}?after={after}")
    assert r.status_code == 400 and r.get_json()["error"] == "bad_after"


def test_a_cursor_from_another_database_restarts_from_now(app, client):
    issue_and_call(app)
    body = pending(client, 10_000)
    assert body["items"] == [] and body["cursor"] < 10_000


def test_the_wav_cache_lives_beside_the_database(app, client, demo_db):
    require_espeak()
    issue_and_call(app)
    item = pending(client, 0)["items"][0]
    assert client.get(item["audio"][0]["url"]).status_code == 200
    cache = os.path.join(os.path.dirname(demo_db), "speech-cache")
    assert len([f for f in os.listdir(cache) if f.endswith(".wav")]) == 1
    package = os.path.dirname(servicepoint.__file__)
    assert not os.path.exists(os.path.join(package, "speech-cache"))


def test_healthz_reports_speech(client):
    require_espeak()
    r = client.get("/healthz")
    check = r.get_json()["checks"]["speech"]
    assert r.status_code == 200 and check["ok"] is True and check["version"]


def test_without_espeak_ng_the_server_stays_up_and_the_display_chimes_alone(
        app, client, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without espeak-ng
    r = client.get("/healthz")
    body = r.get_json()
    assert r.status_code == 200 and body["ok"] is True
    assert body["checks"]["speech"]["ok"] is False
    assert "espeak-ng is not installed" in body["checks"]["speech"]["reason"]
    issue_and_call(app)
    pend = pending(client, 0)
    assert pend["speech"] is False and pend["items"][0]["audio"] == []
    r = client.get(f"{URL}/{pend['items'][0]['id']}/en.wav")
    assert r.status_code == 503 and r.get_json()["error"] == "speech_unavailable"
    assert client.get("/display/D1").status_code == 200
