"""The OpenAPI document and the routes agree, both ways."""
from __future__ import annotations

import re

from servicepoint import api

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def documented(client) -> dict[str, set[str]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1") and spec["servers"] == [{"url": "/api/v1"}]
    return {path: {m.upper() for m in ops} for path, ops in spec["paths"].items()}


def routed(app) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        out.setdefault(path, set()).update(rule.methods - IGNORED_METHODS)
    return out


def test_path_conversion():
    class Rule:
        def __init__(self, rule):
            self.rule, self.methods = rule, {"GET", "HEAD"}

    class App:
        class url_map:
            @staticmethod
            def iter_rules():
                return [Rule("/api/v1/tickets/<int:ticket_id>/<action>"), Rule("/healthz")]

    assert routed(App) == {"/tickets/{ticket_id}/{action}": {"GET"}}


def test_every_api_route_is_documented(app, client):
    docs = documented(client)
    routes = routed(app)
    assert routes, "no API routes found"
    missing = {(p, m) for p, ms in routes.items() for m in ms if m not in docs.get(p, set())}
    assert missing == set()


def test_every_documented_path_exists(app, client):
    docs = documented(client)
    routes = routed(app)
    phantom = {(p, m) for p, ms in docs.items() for m in ms if m not in routes.get(p, set())}
    assert phantom == set()


def test_documented_core_paths_exist(app, client):
    """Everything §6 promises is both routed and documented."""
    docs, routes = documented(client), routed(app)
    for path, method in [("/tickets", "POST"), ("/tickets/{ticket_id}", "GET"),
                         ("/queue", "GET"), ("/counters/{counter}/call-next", "POST"),
                         ("/tickets/{ticket_id}/{action}", "POST"), ("/events", "GET"),
                         ("/stats", "GET"), ("/openapi.json", "GET")]:
        assert method in docs[path] and method in routes[path], (path, method)


def test_documented_actions_match_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/tickets/{ticket_id}/{action}"]["post"]
    enum = next(p for p in op["parameters"] if p["name"] == "action")["schema"]["enum"]
    assert set(enum) == api.ACTIONS


def test_schema_references_resolve(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"',
                          client.get("/api/v1/openapi.json").get_data(as_text=True)))
    assert refs and refs <= set(spec["components"]["schemas"])


def test_issued_ticket_fields_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    props = set(spec["components"]["schemas"]["IssuedTicket"]["properties"])
    body = client.post("/api/v1/tickets", json={"service": "A"}).get_json()
    assert set(body) <= props
