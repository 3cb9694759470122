"""A local stand-in for Twilio's Messages API, following its documented behaviour.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP Basic
``AccountSid:AuthToken``, form fields ``To``, ``Body`` and ``From`` or
``MessagingServiceSid``: 201 with the Message resource (``sid: SM...``, ``status:
queued``). A wrong account or token is a 401 ``{code: 20003, ...}``; a ``To`` that is no
E.164 number a 400 ``{code: 21211, ...}``; a missing ``From`` a 400 ``{code: 21603}``.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from evcare.engagement.sms import TwilioSender
from tests.factories.server import serve

E164 = re.compile(r"\+[1-9][0-9]{1,14}")


@dataclass
class TwilioStandIn:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    sender: str = "+15005550006"
    messages: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Messages.json",
                    self._create_message,
                    methods=["POST"],
                )
            ]
        )

    def client(self) -> TwilioSender:
        return TwilioSender(
            account_sid=self.account_sid,
            auth_token=self.auth_token,
            sender=self.sender,
            base_url=self.base_url,
        )

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        given = request.headers.get("authorization", "").removeprefix("Basic ")
        return request.path_params["account_sid"] == self.account_sid and hmac.compare_digest(
            given, expected
        )

    async def _create_message(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        form = await request.form()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        origin = form.get("From") or form.get("MessagingServiceSid")
        if not E164.fullmatch(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not origin:
            return _error(400, 21603, "A 'From' phone number is required.")
        sid = "SM" + secrets.token_hex(16)
        message = {"sid": sid, "to": to, "from": str(origin), "body": body, "status": "queued"}
        self.messages.append(message)
        return JSONResponse(
            message | {"account_sid": self.account_sid, "api_version": "2010-04-01"},
            status_code=201,
        )


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioStandIn]:
    stand_in = TwilioStandIn()
    async with serve(stand_in.app()) as base_url:  # type: ignore[arg-type]
        stand_in.base_url = base_url
        yield stand_in
