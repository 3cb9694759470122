"""The OCPP library's frame log never carries a payload (id tags) or a traceback, but
names the exception's type."""

from __future__ import annotations

import io
import logging

from ocpp.messages import Call

from evcare.ocpp.handlers import FRAME_LOG


def test_a_failing_frame_is_logged_by_action_without_payload_or_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    FRAME_LOG.addHandler(handler)
    try:
        call = Call(unique_id="m7", action="Authorize", payload={"idTag": "RFID-SECRET-42"})
        try:
            raise ValueError("handler blew up with RFID-SECRET-42")
        except ValueError:
            FRAME_LOG.exception("Error while handling request '%s'", call)
    finally:
        FRAME_LOG.removeHandler(handler)
    logged = stream.getvalue()
    assert "action=Authorize" in logged and "unique_id=m7" in logged
    assert "[ValueError]" in logged  # what failed, for diagnosis
    assert "RFID-SECRET-42" not in logged
    assert "Traceback" not in logged
