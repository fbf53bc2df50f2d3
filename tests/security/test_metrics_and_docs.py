"""Holes 8 and 9: /metrics cannot be inflated by made-up methods and passes promtool;
the OpenAPI document lists the statuses the API gives; config check warns about the demo."""
from __future__ import annotations

import re
import subprocess

from tests.security.support import Browser
from tests.support.require import require_promtool
from tests.support.server import servicepoint_cmd


def _series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_made_up_methods_do_not_mint_metric_series(branch):
    """Attack: 2,000 made-up HTTP methods made 2,000 label values (memory for ever)."""
    browser = Browser(branch.url)
    browser.request("BREW", "/")  # one of them first, so the count below is steady
    before = len(_series(browser.get("/metrics").text))
    for i in range(50):
        browser.request(f"X{i:03d}ATTACK", f"/made-up/{i}")
    after_text = browser.get("/metrics").text
    assert "ATTACK" not in after_text and "made-up" not in after_text
    # At most the /metrics scrape itself and one "other"/"unmatched" series are new.
    assert len(_series(after_text)) - before <= 2, set(_series(after_text))


def test_metrics_pass_promtool(branch):
    promtool = require_promtool()
    Browser(branch.url).post_json("/api/v1/tickets", {"service": "A"})
    text = Browser(branch.url).get("/metrics").text
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), (
        proc.stdout + proc.stderr)
    assert re.search(r"^servicepoint_storage_writable 1$", text, re.M)


def test_openapi_documents_the_statuses_the_api_gives(branch):
    spec = Browser(branch.url).get("/api/v1/openapi.json").json
    issue = spec["paths"]["/tickets"]["post"]["responses"]
    assert {"201", "400", "404", "409", "413", "429", "503"} <= set(issue)
    read = spec["paths"]["/tickets/{ticket_id}"]["get"]
    assert {"200", "401", "404"} <= set(read["responses"])
    assert any(p["name"] == "X-Ticket-Secret" for p in read["parameters"])


def test_config_check_warns_about_the_demo_passwords(branch):
    proc = subprocess.run(servicepoint_cmd("--db", str(branch.db), "config", "check"),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert "Configuration OK" not in out
    for username in ("clerk", "manager", "tech"):
        assert f"demo account '{username}' still has its published password" in out
    assert "public URL https://queue.branch.example" in out
