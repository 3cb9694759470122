"""Idempotency keys with Stripe's semantics, for any surface's money POSTs.

A key is scoped to its user and lives 24 hours. The first request with a key claims it
(committed at once, so a concurrent twin sees the claim) and runs; its outcome (status,
body) is written **in the request's own transaction**, so it exists exactly when the
request's changes were committed. Then:

* same key, same request (method, path, body): the first response is replayed;
* same key, another request: 422;
* same key while the first still runs: 409;
* a request that failed validation or crashed leaves no outcome: the key is released
  and may be retried. A request refused by a business rule (4xx) is an outcome, and is
  replayed like a success.

Stored bodies are sealed (Fernet: AES-128-CBC + HMAC-SHA256, keyed from the app's secret
key): a response may carry a secret shown once (a partner's client secret), which must
not sit readable in the database for the key's 24 hours.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evcare.core.clock import utcnow
from evcare.core.errors import (
    FieldError,
    IdempotencyInProgress,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
)
from evcare.integrations.idempotency_models import IdempotencyKey

RETENTION = timedelta(hours=24)
# How long a running request holds its key before a retry may take over.
LEASE = timedelta(seconds=60)
HEADER = "Idempotency-Key"
_IN_PROGRESS = "A request with this Idempotency-Key is still being processed"


@dataclass(frozen=True)
class Claim:
    id: int
    token: uuid.UUID


@dataclass(frozen=True)
class Outcome:
    status: int
    media_type: str | None
    body: bytes


class Sealer:
    """Encrypts stored response bodies with a key derived from the app's secret key."""

    def __init__(self, secret_key: str) -> None:
        derived = hashlib.sha256(b"evcare.idempotency.v1\0" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, body: bytes) -> bytes:
        return self._fernet.encrypt(body)

    def open(self, sealed: bytes) -> bytes | None:
        """The body, or None when it was sealed under another secret key."""
        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken:
            return None


@functools.lru_cache(maxsize=4)
def sealer_for(secret_key: str) -> Sealer:
    return Sealer(secret_key)


def require(key: str | None) -> str:
    """``key`` itself; a route that must not run twice by accident refuses to run without."""
    if key is None:
        raise IdempotencyKeyRequired(
            "This request needs an Idempotency-Key header (any unique string)",
            fields=[FieldError(HEADER, "required")],
        )
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The request's identity: method, path and the body as canonical JSON (raw if not)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    *,
    user_id: int,
    key: str,
    fingerprint: str,
) -> Claim | Outcome:
    """Claim ``key`` for a new request, or answer the outcome to replay.

    Raises 422 (another request used the key) or 409 (the first is still running)."""
    async with sessionmaker() as session:
        for _ in range(3):
            now = utcnow()
            row = IdempotencyKey(
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                status="running",
                locked_until=now + LEASE,
                created_at=now,
                expires_at=now + RETENTION,
            )
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
            else:
                return Claim(row.id, row.claim_token)
            found = await _existing(session, user_id=user_id, key=key)
            if found is None:
                continue  # released meanwhile: claim again
            if found.expires_at <= now:
                await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == found.id))
                await session.commit()
                continue
            if found.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used with another request",
                    fields=[FieldError(HEADER, "already used with another request")],
                )
            if found.status == "completed":
                assert found.response_status is not None and found.response_body is not None
                body = sealer.open(found.response_body)
                if body is None:
                    raise IdempotencyKeyReused(
                        "The first response to this Idempotency-Key can no longer be read "
                        "(the server's key changed); use a new key",
                        fields=[FieldError(HEADER, "cannot be replayed")],
                    )
                return Outcome(found.response_status, found.response_type, body)
            if found.locked_until > now:
                raise IdempotencyInProgress(
                    "A request with this Idempotency-Key is still being processed"
                )
            taken = await _take_over(session, found.id, now)
            if taken is not None:
                return taken
        raise IdempotencyInProgress(_IN_PROGRESS)


async def _existing(session: AsyncSession, *, user_id: int, key: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
    )
    result = await session.scalars(query.execution_options(populate_existing=True))
    found = result.one_or_none()
    await session.commit()
    return found


async def _take_over(session: AsyncSession, key_id: int, now: object) -> Claim | None:
    """A running claim whose lease ran out (its request died uncommitted): ours now."""
    token = uuid.uuid4()
    result = await session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == key_id,
            IdempotencyKey.status == "running",
            IdempotencyKey.locked_until <= now,
        )
        .values(claim_token=token, locked_until=utcnow() + LEASE)
    )
    await session.commit()
    return Claim(key_id, token) if getattr(result, "rowcount", 0) else None


async def record(session: AsyncSession, sealer: Sealer, claim: Claim, outcome: Outcome) -> None:
    """Write the outcome in ``session`` (the request's, before it commits), sealed."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim.id, IdempotencyKey.claim_token == claim.token)
        .values(
            status="completed",
            response_status=outcome.status,
            response_type=outcome.media_type,
            response_body=sealer.seal(outcome.body),
        )
    )


async def record_apart(
    sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, claim: Claim, outcome: Outcome
) -> None:
    """Write the outcome of a request whose own transaction was rolled back (a refusal)."""
    async with sessionmaker() as session:
        await record(session, sealer, claim, outcome)
        await session.commit()


async def release(sessionmaker: async_sessionmaker[AsyncSession], claim: Claim) -> None:
    """Forget a claim whose request left no outcome, so the key can be retried."""
    async with sessionmaker() as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == claim.id, IdempotencyKey.claim_token == claim.token
            )
        )
        await session.commit()
