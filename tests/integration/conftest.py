"""Fixtures for the integration tests: real SQLite files, the fixed clock, use-case ports."""
from tests.fixtures import clock, demo_db, ports  # noqa: F401
