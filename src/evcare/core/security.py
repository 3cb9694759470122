"""Password hashing (Argon2id), signed access tokens (JWT) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from evcare.core.clock import utcnow
from evcare.core.config import Settings
from evcare.core.errors import TokenExpired, Unauthorized


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
        self._throwaway = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify_or_waste(self, password_hash: str | None, password: str) -> bool:
        """Like :meth:`verify`; without a hash (unknown login, no password set) it spends
        the same time on a throwaway hash, so timing does not tell the cases apart."""
        if password_hash is None:
            self.verify(self._throwaway, password)
            return False
        return self.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


# How many verified access tokens' claims one process keeps (a few MB at most).
VERIFIED_TOKENS_KEPT = 4096
# The cookie the web console keeps its signed-in user's access token in (HttpOnly): read
# by the console's pages and by socket.io's handshake from the console's own pages.
ACCESS_COOKIE = "evcare_access"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: uuid.UUID
    role: str
    scopes: frozenset[str]
    expires_at: datetime
    # The partner integration the token was obtained through (claim ``itg``): what the
    # hub's per-integration rate limit counts before the database is read.
    integration_id: str | None = None


class AccessTokens:
    def __init__(self, settings: Settings) -> None:
        self._key = settings.secret_key.get_secret_value()
        self._algorithm = settings.jwt_algorithm
        self._verified: dict[str, AccessClaims] = {}

    def issue(
        self,
        *,
        user_id: int,
        session_id: uuid.UUID,
        role: str,
        scopes: frozenset[str],
        lifetime: timedelta,
        integration_id: str | None = None,
    ) -> tuple[str, datetime]:
        now = utcnow()
        expires = now + lifetime
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "sid": str(session_id),
            "role": role,
            "scope": " ".join(sorted(scopes)),
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
            "typ": "access",
        }
        if integration_id is not None:
            claims["itg"] = integration_id
        return jwt.encode(claims, self._key, algorithm=self._algorithm), expires

    def verify(self, token: str) -> AccessClaims:
        """The claims of a well-signed, unexpired access token; otherwise Unauthorized.

        Every request checks its token: the claims of tokens already verified are kept
        (signature checks are deterministic for one key), so a repeat costs a dictionary
        look-up instead of PyJWT's decode. Expiry is checked on every use."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._decode(token)
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]  # the oldest entry
            self._verified[token] = claims
        elif int(claims.expires_at.timestamp()) <= int(utcnow().timestamp()):
            raise TokenExpired("Token expired")
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            # Expiry is checked against evcare's clock below so tests can move time; so
            # PyJWT's own wall-clock checks (exp, and iat "not yet valid") are off.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "require": ["sub", "sid", "exp"],
                },
            )
        except jwt.PyJWTError as error:
            raise Unauthorized("Invalid or malformed token") from error
        if claims.get("typ") != "access":
            raise Unauthorized("Not an access token")
        if int(claims["exp"]) <= int(utcnow().timestamp()):
            raise TokenExpired("Token expired")
        try:
            return AccessClaims(
                user_id=int(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                role=str(claims.get("role", "")),
                scopes=frozenset(str(claims.get("scope", "")).split()),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
                integration_id=str(claims["itg"]) if claims.get("itg") else None,
            )
        except (ValueError, TypeError) as error:
            raise Unauthorized("Invalid token claims") from error


@dataclass(frozen=True)
class Credentials:
    """Everything needed to sign people in, built once per process from settings."""

    passwords: Passwords
    access_tokens: AccessTokens
    refresh_lifetime: timedelta
    # Each surface's sign-in issues access tokens of the lifetime its document promises.
    cms_access_lifetime: timedelta
    revcare_access_lifetime: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        return cls(
            passwords=Passwords(settings),
            access_tokens=AccessTokens(settings),
            refresh_lifetime=timedelta(days=settings.refresh_token_days),
            cms_access_lifetime=timedelta(minutes=settings.cms_access_token_minutes),
            revcare_access_lifetime=timedelta(minutes=settings.revcare_access_token_minutes),
        )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(48)


def hash_token(token: str) -> str:
    """Refresh tokens and other bearer secrets are stored as SHA-256 only."""
    return hashlib.sha256(token.encode()).hexdigest()


# How a generated secret's stored hash starts (anything else is an Argon2 hash).
GENERATED_SECRET_SCHEME = "sha256$"


def hash_generated_secret(secret: str) -> str:
    """The stored form of a secret EVCare generated itself (a charger's OCPP password:
    192 random bits). Like :func:`hash_token`, SHA-256 and no slow hash: a slow hash
    protects guessable human passwords; nobody can enumerate 2**192 candidates either
    way, and checking it costs microseconds instead of Argon2's ~25 ms of CPU, which
    10,000 chargers reconnecting after a restart would otherwise pay at once."""
    return GENERATED_SECRET_SCHEME + hash_token(secret)


def generated_secret_matches(stored: str, secret: str) -> bool:
    """Constant-time check of ``secret`` against :func:`hash_generated_secret`'s form."""
    return hmac.compare_digest(stored.encode(), hash_generated_secret(secret).encode())
