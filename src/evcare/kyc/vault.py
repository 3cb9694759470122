"""Document numbers encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, the
``cryptography`` library), the key from ``EVCARE_KYC_ENCRYPTION_KEY``."""

from __future__ import annotations

from cryptography.fernet import Fernet


class NumberVault:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, number: str) -> str:
        return self._fernet.encrypt(number.encode()).decode("ascii")
