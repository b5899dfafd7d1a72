"""Logs for operators: a caller's error is not logged as a failure; a real failure is."""
import io
import json
import logging
from types import SimpleNamespace

import pytest

from commonplace import logs
from commonplace.errors import Conflict, ServiceTimeout


@pytest.fixture
def captured():
    stream = io.StringIO()
    logs.configure("INFO", stream)
    yield stream
    logging.getLogger().handlers[:] = []
    logging.getLogger("nameko.containers").filters[:] = []


def _worker_failure(exc, entrypoint):
    """What nameko's container logs when a worker raises ``exc``."""
    worker_ctx = SimpleNamespace(entrypoint=entrypoint)
    try:
        raise exc
    except type(exc):
        logging.getLogger("nameko.containers").exception("error handling worker %s: %s", worker_ctx, exc)


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_errors_the_caller_caused_and_outages_leave_no_worker_traceback(captured):
    _worker_failure(Conflict("an organisation with slug 'x' exists"), SimpleNamespace())
    _worker_failure(ServiceTimeout("membership did not answer"), SimpleNamespace())
    assert _lines(captured) == []


def test_an_unexpected_error_is_logged_with_its_stack(captured):
    _worker_failure(ValueError("a bug"), SimpleNamespace())
    [line] = _lines(captured)
    assert line["level"] == "ERROR" and "ValueError: a bug" in line["exception"]


def test_an_entrypoint_that_reports_its_own_outcome_is_not_logged_twice(captured):
    _worker_failure(ValueError("a bug"), SimpleNamespace(reports_outcome=True))
    assert _lines(captured) == []


def test_extra_fields_become_keys(captured):
    logging.getLogger("commonplace.gateway").info("GET / 200", extra={"status": 200, "request_id": "r"})
    [line] = _lines(captured)
    assert (line["message"], line["status"], line["request_id"]) == ("GET / 200", 200, "r")
