"""``join-session`` with ids that are no session key: a clear refusal, no traceback."""

from __future__ import annotations

import logging

import httpx
import pytest

from evcare.core.runtime import Runtime
from tests.factories.identity import login, make_user
from tests.factories.realtime import connected

NO_SESSION = [
    "²",
    "SES²",
    "\u0661",
    "SES\u0661\u0662",
    "2147483648",
    "99999999999999999999",
    "SES000000",
    "-1",
]


@pytest.mark.parametrize("session_id", [*NO_SESSION, 2147483648, -1, 0])
async def test_an_id_that_is_no_session_key_is_refused_as_not_found_without_a_traceback(
    live_server: str,
    runtime: Runtime,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    session_id: str | int,
) -> None:
    user = await make_user(runtime)
    with caplog.at_level(logging.WARNING):
        async with connected(live_server, token=await login(client, user)) as socket:
            ack = await socket.call("join-session", {"sessionId": session_id})
            refusal = await socket.next("join-session-failed")
    message = f"Session {session_id} not found"
    assert ack == {"success": False, "sessionId": session_id, "message": message}
    assert refusal == {"sessionId": session_id, "message": message}
    assert [
        r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ] == []
