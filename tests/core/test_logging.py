"""Logs are one JSON object per line with their facts as fields: a path cannot forge a line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from evcare.core.config import Settings
from evcare.core.observability import configure_logging
from evcare.core.runtime import Runtime
from tests.factories.identity import login, make_user

FORGED_TEXT = "2026-12-01 07:00:00,000 INFO evcare.audit identity.password_changed user_id=1"


@pytest.fixture
def log_output(settings: Settings) -> Iterator[io.StringIO]:
    """What the app's configured log handler writes, at INFO."""
    buffer = io.StringIO()
    configure_logging("INFO", stream=buffer)
    yield buffer
    configure_logging(settings.log_level)


def records(buffer: io.StringIO) -> list[dict[str, Any]]:
    lines = buffer.getvalue().splitlines()
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]


async def _audit_records(buffer: io.StringIO) -> list[dict[str, Any]]:
    for _ in range(100):  # the outbox dispatcher writes the audit record after commit
        audits = [r for r in records(buffer) if r["logger"] == "evcare.audit"]
        if audits:
            return audits
        await asyncio.sleep(0.05)
    return []


async def test_a_path_with_crlf_and_an_audit_text_is_one_json_line_and_no_audit_record(
    client: httpx.AsyncClient, runtime: Runtime, log_output: io.StringIO
) -> None:
    user = await make_user(runtime)
    await login(client, user)  # a real audit record, to tell it from the forged one
    response = await client.get("/x%0D%0A" + FORGED_TEXT)
    assert response.status_code == 404

    audits = await _audit_records(log_output)
    assert [(a["audit_event"], a["user_id"]) for a in audits] == [
        ("identity.user_logged_in", user.id)
    ]
    assert audits[0]["message"] == "audit"  # the facts are fields, never text
    lines = records(log_output)  # every line parses as JSON
    (request_line,) = [r for r in lines if str(r.get("path", "")).startswith("/x")]
    assert request_line["path"] == "/x\r\n" + FORGED_TEXT
    assert request_line["message"] == "request"
    assert request_line["status"] == 404
    assert {"method", "latency_ms", "request_id"} <= request_line.keys()
    # (the test's own httpx client logs the URL it sent, escaped the same way)
    app_lines = [r for r in lines if r["logger"].startswith("evcare")]
    assert not any("identity.password_changed" in r["message"] for r in app_lines)


def test_an_exception_is_logged_by_its_type_never_its_traceback() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    configure_logging("INFO", stream=buffer)
    try:
        try:
            raise ValueError("password=hunter2")
        except ValueError:
            logging.getLogger("evcare.test").exception("failed\nINFO evcare.audit forged")
    finally:
        configure_logging("WARNING")
        handler.close()
    (line,) = buffer.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["exc_type"] == "ValueError"
    assert "hunter2" not in line and "Traceback" not in line
