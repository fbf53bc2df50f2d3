"""One demo branch server shared by the attack tests that only read or issue tickets.

Tests that need a server of their own (sign-in limits, sessions, a full disk)
start one themselves, so no attack's traces leak into another test.
"""
from __future__ import annotations

import pytest

from tests.security.support import Branch, start_branch


@pytest.fixture(scope="package")
def branch(tmp_path_factory) -> Branch:
    b = start_branch(tmp_path_factory.mktemp("sec-branch"))
    yield b
    b.server.stop()
