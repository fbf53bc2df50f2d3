"""Flask test-client fixtures on a real, demo-seeded SQLite file with a fixed clock."""
from __future__ import annotations

import pytest

import servicepoint
from servicepoint import auth
from servicepoint.db import connect
from servicepoint.timeutil import to_db
from tests.fixtures import T0, clock, demo_db  # noqa: F401


@pytest.fixture
def app(demo_db, clock):  # noqa: F811
    return servicepoint.create_app({"DATABASE": demo_db, "TESTING": True, "SECRET_KEY": "x",
                                    "CLOCK": clock, "SSE_HEARTBEAT_S": 0.2})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_token(demo_db):  # noqa: F811
    """``make_token(role)`` → a bearer token for a new API token of that role."""
    def make(role: str, name: str | None = None) -> str:
        conn = connect(demo_db)
        try:
            return auth.create_token(conn, name or f"test-{role}", role, now=to_db(T0))
        finally:
            conn.close()
    return make


@pytest.fixture
def bearer(make_token):
    """``bearer(role)`` → request headers carrying a token of that role."""
    return lambda role: {"Authorization": f"Bearer {make_token(role)}"}


@pytest.fixture
def staff(bearer):
    return bearer("staff")


@pytest.fixture
def manager(bearer):
    return bearer("manager")
