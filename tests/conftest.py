"""The test-suite's shared fixtures and hooks: the one way to get a database, a clock and an app.

Every fixture is defined once, here or in the conftest.py of the folder that
alone uses it (tests/e2e: Chromium and a live server; tests/hardware: printer
emulators and socat). Tests request fixtures by name and never import them;
plain helpers live in modules (tests/fixtures.py: the demo template and T0;
tests/support/web.py: sign_in, login, post, ...).

The test-suite's clock is the fixed ``clock`` (standing at T0 until a test moves
it). A test that needs the system clock says so: ``make_app(clock=SystemClock())``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# `tests.support` must import under `pytest` as well as `python -m pytest`.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from servicepoint import auth, create_app  # noqa: E402
from servicepoint.db import connect  # noqa: E402
from servicepoint.timeutil import FixedClock, to_db  # noqa: E402
from tests.fixtures import T0, copy_demo_db, make_ports  # noqa: E402
from tests.support.devices import pair, pair_client  # noqa: E402
from tests.support.require import chromium_path, require_all, socat_path  # noqa: E402
from tests.support.web import CSRF  # noqa: E402


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"servicepoint: chromium={chromium_path() or 'MISSING'} socat={socat_path() or 'MISSING'} "
        f"SERVICEPOINT_REQUIRE_ALL={'1 (missing tools fail)' if require_all() else '0 (missing tools skip)'}",
    ]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (where pyproject.toml is)."""
    return REPO_ROOT


# -- database and clock --------------------------------------------------------
@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at :data:`tests.fixtures.T0` until a test moves it."""
    return FixedClock(T0)


@pytest.fixture
def demo_db(tmp_path) -> str:
    """Path of this test's own copy of the demo-seeded SQLite database."""
    return copy_demo_db(tmp_path / "servicepoint.db")


@pytest.fixture
def ports(demo_db, clock):
    """Use-case ports on the test's database, with the fixed clock."""
    p = make_ports(demo_db, clock)
    yield p
    p.conn.close()


# -- the app -------------------------------------------------------------------
@pytest.fixture
def make_app(demo_db, clock):
    """``make_app(clock=…, **config)`` → a new app on this test's ``demo_db``.

    The clock defaults to the test's fixed ``clock``; pass ``SystemClock()`` for
    a test that needs real time. ``config`` overrides any setting (e.g.
    ``KIOSK_RATE_LIMIT=2``, or ``DATABASE=`` another file). Each call builds a
    fresh app, so rate limiters and the live broadcaster start empty.
    """
    def make(clock=clock, **config):
        return create_app({"DATABASE": demo_db, "TESTING": True, "SECRET_KEY": "test-secret",
                           "SSE_HEARTBEAT_S": 0.2, "CLOCK": clock, **config})
    return make


@pytest.fixture
def app(make_app):
    """The app with the default test settings, on ``demo_db`` and the fixed ``clock``."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client whose session already holds the CSRF token
    (:data:`tests.support.web.CSRF`), as a browser's does once it has loaded a page,
    and that is paired as the demo kiosks and display (K1, K2, D1), as the branch's
    own screens are. A stranger's browser is ``stranger``."""
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["csrf"] = CSRF
    pair_client(c)
    return c


@pytest.fixture
def stranger(app):
    """A browser that is paired as nothing (with a CSRF token in its session)."""
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["csrf"] = CSRF
    return c


# -- API tokens ----------------------------------------------------------------
@pytest.fixture
def make_token(demo_db, clock):
    """``make_token(role, name=None)`` → a bearer token for a new API token of that role."""
    def make(role: str, name: str | None = None) -> str:
        conn = connect(demo_db)
        try:
            return auth.create_token(conn, name or f"test-{role}", role, now=to_db(clock.now()))
        finally:
            conn.close()
    return make


@pytest.fixture
def bearer(make_token):
    """``bearer(role)`` → request headers carrying a new token of that role."""
    return lambda role: {"Authorization": f"Bearer {make_token(role)}"}


@pytest.fixture
def kiosk_bearer(demo_db):
    """``kiosk_bearer("K1")`` → request headers of a kiosk's print agent paired as that
    kiosk (a bearer device credential, obtained with a one-time code)."""
    return lambda code: {"Authorization": f"Bearer {pair(demo_db, code, transport='bearer')}"}


@pytest.fixture
def staff(bearer):
    """Request headers with a staff token."""
    return bearer("staff")


@pytest.fixture
def manager(bearer):
    """Request headers with a manager token."""
    return bearer("manager")
