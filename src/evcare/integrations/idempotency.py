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
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, ValidationFailed
from evcare.integrations.idempotency_models import IdempotencyKey

RETENTION = timedelta(hours=24)
# How long a running request holds its key before a retry may take over.
LEASE = timedelta(seconds=60)
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Claim:
    id: int
    token: uuid.UUID


@dataclass(frozen=True)
class Outcome:
    status: int
    media_type: str | None
    body: bytes


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
    sessionmaker: async_sessionmaker[AsyncSession], *, user_id: int, key: str, fingerprint: str
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
                raise ValidationFailed(
                    "This Idempotency-Key was used with another request",
                    fields=[FieldError(HEADER, "already used with another request")],
                )
            if found.status == "completed":
                assert found.response_status is not None and found.response_body is not None
                return Outcome(found.response_status, found.response_type, found.response_body)
            if found.locked_until > now:
                raise Conflict("A request with this Idempotency-Key is still being processed")
            taken = await _take_over(session, found.id, now)
            if taken is not None:
                return taken
        raise Conflict("A request with this Idempotency-Key is still being processed")


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


async def record(session: AsyncSession, claim: Claim, outcome: Outcome) -> None:
    """Write the outcome in ``session`` (the request's, before it commits)."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim.id, IdempotencyKey.claim_token == claim.token)
        .values(
            status="completed",
            response_status=outcome.status,
            response_type=outcome.media_type,
            response_body=outcome.body,
        )
    )


async def record_apart(
    sessionmaker: async_sessionmaker[AsyncSession], claim: Claim, outcome: Outcome
) -> None:
    """Write the outcome of a request whose own transaction was rolled back (a refusal)."""
    async with sessionmaker() as session:
        await record(session, claim, outcome)
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
