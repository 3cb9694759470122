"""Text messages through Twilio's Messages API over httpx, when ``EVCARE_TWILIO_*`` is set.

``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``,
``Body`` and ``From`` (or ``MessagingServiceSid``), HTTP Basic ``AccountSid:AuthToken``.
Twilio answers 201 with the Message resource (``sid``, ``status``); a refusal is a 4xx
``{code, message, more_info, status}``. Without an account no SMS is sent at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from evcare.core.config import Settings

TIMEOUT_SECONDS = 10.0


class SmsRefused(Exception):
    """Twilio did not accept the message; ``code`` is Twilio's error code (never the text)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"HTTP {status} code {code}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class TwilioSender:
    account_sid: str
    auth_token: str
    sender: str  # an E.164 number, or a Messaging Service SID (MG...)
    base_url: str = "https://api.twilio.com"

    async def send(self, *, to: str, body: str) -> str:
        """Hand one message to Twilio; the SID it gave the message."""
        origin = (
            {"MessagingServiceSid": self.sender}
            if self.sender.startswith("MG")
            else {"From": self.sender}
        )
        url = f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.post(
                url,
                data={"To": to, "Body": body[:1600], **origin},
                auth=(self.account_sid, self.auth_token),
            )
        if response.status_code != 201:
            raise SmsRefused(response.status_code, _error_code(response))
        sid: str = str(response.json().get("sid", ""))[:64]
        return sid


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", "unknown"))[:20]
    except ValueError:
        return "unknown"


def sender_for(settings: Settings) -> TwilioSender | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
        return None
    return TwilioSender(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        sender=settings.twilio_from,
        base_url=settings.twilio_base_url,
    )
