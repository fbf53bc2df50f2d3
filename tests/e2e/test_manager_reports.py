"""In Chromium: a manager opens last month's report, sees labelled charts, narrows them with
a filter and downloads CSV files that parse."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Iterator

import pytest

from servicepoint.db import connect, immediate
from servicepoint.report_store import rebuild
from tests.e2e.conftest import VIEWPORT, sign_in
from tests.fixtures import TIMEZONE, copy_demo_db
from tests.support.history import write_days
from tests.support.server import ServerProcess


@pytest.fixture
def history_server(tmp_path) -> Iterator[ServerProcess]:
    """A server whose database holds last month and this month so far."""
    db = copy_demo_db(tmp_path / "sp.db")
    today = dt.datetime.now(dt.timezone.utc).date()
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    conn = connect(db)
    try:
        write_days(conn, first, (today - first).days, 60, tz=TIMEZONE)
        with immediate(conn):
            rebuild(conn)
    finally:
        conn.close()
    with ServerProcess(db, log_dir=tmp_path) as server:
        yield server


@pytest.fixture
def manager_page(browser: Any, history_server: ServerProcess) -> Iterator[Any]:
    ctx = browser.new_context(base_url=history_server.url, viewport=VIEWPORT, locale="en-US",
                              accept_downloads=True)
    ctx.set_default_timeout(15_000)
    try:
        page = ctx.new_page()
        sign_in(page, "manager", "manager-demo", "/manager")
        yield page
    finally:
        ctx.close()


def _bars(page, chart: str) -> int:
    return page.locator(f"#{chart} svg rect.bar").count()


def test_last_month_report_with_charts_filters_and_csv(manager_page, screenshot):
    page = manager_page
    page.goto("/manager", wait_until="load")
    page.click("#reports-link")
    page.wait_for_url("**/manager/reports")
    page.select_option("#r-preset", "last_month")
    page.click("#r-apply")
    page.wait_for_url("**preset=last_month**")
    # Every chart is an SVG with a title, labelled axes and a table of its figures.
    for chart in ("chart-wait-days", "chart-sl-days", "chart-counters", "chart-staff",
                  "chart-waits", "heat-arrivals", "heat-waits"):
        svg = page.locator(f"#{chart} svg")
        assert svg.get_attribute("role") == "img"
        assert (svg.locator("title").first.text_content() or "").strip()
        assert page.locator(f"#{chart} details table").count() == 1
    assert page.locator("#chart-wait-days .axis-title").count() == 2
    days = _bars(page, "chart-wait-days")
    assert days >= 20  # a month of opening days
    issued_all = int(page.locator("#r-issued").inner_text())
    assert issued_all > 1000
    screenshot(page, "manager-reports-last-month")

    page.select_option("#r-service", "B")
    page.click("#r-apply")
    page.wait_for_url("**service=B**")
    assert int(page.locator("#r-issued").inner_text()) < issued_all
    assert page.locator("#r-service-A").count() == 0 and page.locator("#r-service-B").count() == 1
    screenshot(page, "manager-reports-service-b")

    for link, column in (("#csv-kpis", "service"), ("#csv-days", "day"),
                         ("#csv-tickets", "number"), ("#csv-events", "action")):
        with page.expect_download() as info:
            page.click(link)
        with open(info.value.path(), encoding="utf-8") as f:
            rows = list(csv.DictReader(io.StringIO(f.read())))
        assert rows and column in rows[0], link
        if link == "#csv-kpis":
            assert [r["service"] for r in rows] == ["B", "ALL"]  # the filter holds
