"""Signing secrets (``whsec_...``), kept encrypted at rest, and the Standard Webhooks
headers of an attempt, made by the ``standardwebhooks`` library.

A secret must be readable to sign, so it is stored encrypted (Fernet, with a key derived
from ``EVCARE_SECRET_KEY``), never hashed, never logged, and shown once. During a
rotation's overlap both the new and the previous secret sign, so ``webhook-signature``
carries two ``v1,`` signatures and a receiver holding either verifies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime

from cryptography.fernet import Fernet
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 24


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


class SecretBox:
    """Encrypts and decrypts signing secrets with a key derived from the app's secret."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"evcare-webhook-secrets\x00" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode("ascii")).decode()


def signed_headers(
    *, message_id: str, timestamp: datetime, body: str, secrets_in_use: list[str]
) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (one ``v1,``
    signature per secret in use, space separated)."""
    signatures = [Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_in_use]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "EVCare-Webhooks/1.0",
    }
