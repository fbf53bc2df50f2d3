"""In Chromium: a manager opens the what-if staffing page from the dashboard, picks an hour
and has the simulator check one service's staffing."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

import pytest

from servicepoint.db import connect
from tests.e2e.conftest import VIEWPORT, format_violations, sign_in
from tests.fixtures import TIMEZONE, copy_demo_db
from tests.support.history import write_days
from tests.support.server import ServerProcess


@pytest.fixture
def history_server(tmp_path) -> Iterator[ServerProcess]:
    """A server whose database holds the last four weeks."""
    db = copy_demo_db(tmp_path / "sp.db")
    today = dt.datetime.now(dt.timezone.utc).date()
    conn = connect(db)
    try:
        write_days(conn, today - dt.timedelta(days=28), 28, 120, tz=TIMEZONE)
    finally:
        conn.close()
    with ServerProcess(db, log_dir=tmp_path) as server:
        yield server


@pytest.fixture
def manager_page(browser: Any, history_server: ServerProcess) -> Iterator[Any]:
    ctx = browser.new_context(base_url=history_server.url, viewport=VIEWPORT, locale="en-US")
    ctx.set_default_timeout(30_000)
    try:
        page = ctx.new_page()
        sign_in(page, "manager", "manager-demo", "/manager")
        yield page
    finally:
        ctx.close()


def test_staffing_what_if(manager_page, screenshot, axe):
    page = manager_page
    page.goto("/manager", wait_until="load")
    page.click("#staffing-link")
    page.wait_for_url("**/manager/staffing")
    page.select_option("#st-weekday", "1")  # Tuesday
    page.click("#st-show")
    page.wait_for_url("**weekday=1**")
    rows = page.locator("#st-table tbody tr")
    assert rows.count() >= 6  # the opening hours with arrivals
    first_hour = rows.first.get_attribute("data-hour")
    assert 8 <= int(first_hour) <= 10
    for service in "ABCD":
        cell = rows.first.locator(f"td[data-service={service}] .needed")
        assert int(cell.inner_text()) >= 1
    # Pick the first hour: its choices appear, the answer marked.
    rows.first.locator("th a").click()
    page.wait_for_url(f"**hour={first_hour}**")
    assert page.locator("#st-choices-title").inner_text().startswith(f"At {int(first_hour):02d}:00")
    card = page.locator("#st-card-A")
    needed_row = card.locator("tr.needed")
    assert needed_row.count() == 1 and "needed" in needed_row.inner_text()
    needed = int(needed_row.get_attribute("data-counters"))
    for row in card.locator("tbody tr").all():  # fewer miss the goal, the answer and more meet it
        fewer = int(row.get_attribute("data-counters")) < needed
        assert ("misses" if fewer else "meets") in row.get_attribute("class")
    screenshot(page, "manager-staffing")
    violations = axe(page, selector="main")
    assert not violations, format_violations(violations)
    # The simulator checks service A with the counters needed.
    page.click("#st-simulate-A")
    page.wait_for_selector("#st-sim-A")
    text = page.locator("#st-sim-A").inner_text()
    assert text.startswith("Simulated with ") and "mean wait" in text
    screenshot(page, "manager-staffing-simulated")
