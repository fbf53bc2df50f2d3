"""Schemathesis over the OpenAPI document, as an anonymous guest, a staff token and a
print agent's device token, against a real server: no input yields a 5xx, every
status the API answers is one the document lists, and errors are JSON.

Bounded in time: a fixed number of examples per operation (derandomized, so a
failure replays), short request timeouts, and the event stream left out (it never
ends by design; its bad inputs have their own test in test_bad_input.py).
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    status_code_conformance,
)

from servicepoint.openapi import spec
from tests.security.support import bearer, start_branch
from tests.support.server import JsonClient

pytestmark = pytest.mark.slow

EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_branch(tmp_path_factory):
    b = start_branch(tmp_path_factory.mktemp("fuzz"))
    yield b
    b.server.stop()


# The document the server serves (a test below checks they are the same); built here so
# that every operation is its own test item, known before any server starts.
SCHEMA = schemathesis.openapi.from_dict(spec()).exclude(path="/events")
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _fuzz(case, branch, headers: dict[str, str]) -> None:
    if case.path == "/print-jobs/claim" and isinstance(case.body, dict):
        wait = case.body.get("wait_s")
        if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait > 0.2:
            case.body["wait_s"] = 0.2  # a long-poll would only make the run slow
    case.call_and_validate(
        base_url=branch.url + "/api/v1", headers=headers, timeout=15,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance])


def test_the_fuzzed_document_is_the_served_one(fuzz_branch):
    with JsonClient(fuzz_branch.url) as client:
        assert client.get("/api/v1/openapi.json").json == spec()


@pytest.mark.parametrize("caller", ["anonymous", "staff", "device"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_input_yields_a_server_error(operation, caller, fuzz_branch):
    headers = {"anonymous": {}, "staff": bearer(fuzz_branch.staff_token),
               "device": bearer(fuzz_branch.device_token)}[caller]

    @FUZZ
    @given(case=operation.as_strategy())
    def run(case):
        _fuzz(case, fuzz_branch, headers)

    run()


SETUP_PATHS = ("/services", "/counters", "/staff", "/settings", "/devices", "/pairing")
SETUP_OPERATIONS = [op for op in OPERATIONS
                    if op.path.startswith(SETUP_PATHS) and op.path != "/counters"
                    or (op.path == "/counters" and op.method.upper() == "POST")]


@pytest.mark.parametrize("operation", SETUP_OPERATIONS, ids=lambda op: op.label)
def test_no_setup_input_yields_a_server_error_even_from_a_manager(operation, fuzz_branch):
    """As a manager, whose bodies reach the setup rules: every bad one is a 4xx JSON."""
    headers = bearer(fuzz_branch.manager_token)

    @FUZZ
    @given(case=operation.as_strategy())
    def run(case):
        _fuzz(case, fuzz_branch, headers)

    run()
