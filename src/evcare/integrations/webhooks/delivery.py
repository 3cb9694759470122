"""The delivery runner: claims due deliveries, signs and POSTs each attempt, records it,
and schedules the next one.

- Retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (eight attempts in all);
  then the delivery is ``failed`` (``recover`` sends it again).
- ``410 Gone`` disables the endpoint at once; an endpoint whose attempts have failed
  without a success for five days is disabled, and its organization's admins notified.
- Each attempt: SSRF guard (DNS resolved once, connect to that address), 15 s for all
  of it, redirects not followed, at most 1 KiB of the response read.
- A slow endpoint never delays another: at most ``webhook_endpoint_concurrency``
  attempts per endpoint are in flight; an endpoint at its limit is left out of the next
  claim, and every attempt runs in its own task.
- N runners (``evcare worker`` processes) share the work: on PostgreSQL a claim locks
  its rows ``FOR UPDATE SKIP LOCKED`` and leases them (``LEASE``, longer than an
  attempt can take), so no attempt is made twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
import uuid
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import certifi
import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evcare.core.background import start_task, stop_task
from evcare.core.clock import utcnow
from evcare.core.config import Settings
from evcare.core.db import is_postgresql
from evcare.core.errors import WebhookUrlRefused
from evcare.core.runtime import Runtime
from evcare.integrations.webhooks import network, outcomes, repository
from evcare.integrations.webhooks.models import (
    WebhookDelivery,
    WebhookEndpoint,
)
from evcare.integrations.webhooks.outcomes import Outcome
from evcare.integrations.webhooks.service import UrlPolicy
from evcare.integrations.webhooks.signing import SecretBox, signed_headers

log = logging.getLogger("evcare.webhooks")

EXCERPT_BYTES = 1024
LEASE = timedelta(seconds=90)
BATCH = 100
MAX_CLIENTS = 1024
_TASK_KEY = "webhooks.runner"


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    claim_token: uuid.UUID
    endpoint_id: str
    url: str
    body: str
    attempt: int  # this attempt's number (1 for the first)
    secrets: list[str]


async def _excerpt(response: httpx.Response) -> str:
    """At most EXCERPT_BYTES of the body; the rest is never read."""
    taken = bytearray()
    async for chunk in response.aiter_raw():
        taken += chunk
        if len(taken) >= EXCERPT_BYTES:
            break
    return bytes(taken[:EXCERPT_BYTES]).decode("utf-8", errors="replace")


class DeliveryRunner:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        box: SecretBox,
        *,
        settings: Settings,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 15.0,
        endpoint_concurrency: int = 4,
        max_in_flight: int = 256,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._box = box
        # Read at every attempt, so a changed setting applies to the next one.
        self._settings = settings
        self._poll_seconds = poll_seconds
        self._timeout = timeout_seconds
        self._per_endpoint = endpoint_concurrency
        self._max_in_flight = max_in_flight
        self._in_flight: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ended = 0  # attempts ended so far (each one's outcome recorded or given up)
        self._wakeup = asyncio.Event()
        # One claim at a time per runner: a drain then sees the attempts a concurrent
        # claim started (on PostgreSQL it would otherwise skip their locked rows).
        self._claiming = asyncio.Lock()
        self._outcomes: asyncio.Queue[tuple[Claim, Outcome, asyncio.Future[None]]] = asyncio.Queue()
        self._recorder: asyncio.Task[None] | None = None
        # One HTTP client per endpoint (its own small pool): a pool shared by hundreds
        # of connections costs every request a scan of them all, and one endpoint's
        # stuck connections never sit in another's pool.
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        # Loaded once: each client would otherwise read the CA bundle again.
        self._tls = ssl.create_default_context(cafile=certifi.where())

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> DeliveryRunner:
        settings = runtime.settings
        return cls(
            runtime.sessionmaker,
            SecretBox(settings.secret_key.get_secret_value()),
            settings=settings,
            poll_seconds=settings.webhook_poll_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
            endpoint_concurrency=settings.webhook_endpoint_concurrency,
            max_in_flight=settings.webhook_max_in_flight,
        )

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                await self.claim_and_start()
            except Exception as error:
                log.warning("webhook claim failed (%s); will retry", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wakeup.wait()
            self._wakeup.clear()

    def _client_for(self, endpoint_id: str) -> httpx.AsyncClient:
        client = self._clients.get(endpoint_id)
        if client is None:
            # Never follows redirects; no proxy or netrc from the environment.
            client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                verify=self._tls,
                timeout=httpx.Timeout(self._timeout),
                limits=httpx.Limits(
                    max_connections=self._per_endpoint,
                    max_keepalive_connections=self._per_endpoint,
                ),
            )
            self._clients[endpoint_id] = client
            self._forget_idle_clients()
        self._clients.move_to_end(endpoint_id)
        return client

    def _forget_idle_clients(self) -> None:
        """Close the least recently used clients of endpoints with nothing in flight."""
        for endpoint_id in list(self._clients):
            if len(self._clients) <= MAX_CLIENTS:
                return
            if self._in_flight[endpoint_id] == 0:
                client = self._clients.pop(endpoint_id)
                task = asyncio.create_task(client.aclose())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._recorder is not None:
            self._recorder.cancel()
            await asyncio.gather(self._recorder, return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def drain(self) -> None:
        """Attempt everything due now, and wait for the attempts (tests, the bench).

        Done only when a claim found nothing while no attempt was in flight or ended: an
        attempt that ended during the claim (this runner's background loop may have
        started it) can have settled a delivery after the claim read the rows, and so
        freed its successor about the same resource, which this claim could not see."""
        while True:
            ended = self._ended
            started = await self.claim_and_start()
            if not started and not self._tasks and self._ended == ended:
                return
            if self._tasks:
                await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def claim_and_start(self) -> int:
        """Claim due deliveries while there is room, each attempt in its own task."""
        async with self._claiming:
            return await self._claim_while_room()

    async def _claim_while_room(self) -> int:
        total = 0
        while (room := self._max_in_flight - sum(self._in_flight.values())) > 0:
            claims = await self._claim(min(room, BATCH))
            for claim in claims:
                self._in_flight[claim.endpoint_id] += 1
                task = asyncio.create_task(self._attempt(claim), name="evcare-webhook")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            total += len(claims)
            if not claims:
                break
        return total

    async def _claim(self, limit: int) -> list[Claim]:
        now = utcnow()
        saturated = {e for e, n in self._in_flight.items() if n >= self._per_endpoint}
        async with self._sessionmaker() as session:
            rows = await repository.claim_due(
                session,
                now=now,
                lease_until=now + LEASE,
                limit=limit,
                saturated=saturated,
                skip_locked=is_postgresql(session),
            )
            endpoints = await repository.endpoints_by_id(session, {r.endpoint_id for r in rows})
            taken: Counter[str] = Counter()
            claims: list[Claim] = []
            extra: list[str] = []
            for row in rows:
                room = self._per_endpoint - self._in_flight[row.endpoint_id]
                endpoint = endpoints.get(row.endpoint_id)
                if endpoint is None or taken[row.endpoint_id] >= room:
                    extra.append(row.id)
                    continue
                taken[row.endpoint_id] += 1
                claims.append(self._claim_of(row, endpoint, now))
            if extra:
                await repository.release(session, extra, rows[0].claim_token)
            await session.commit()
        return claims

    def _claim_of(self, row: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> Claim:
        secrets = [self._box.open(endpoint.secret_encrypted)]
        if (
            endpoint.previous_secret_encrypted is not None
            and endpoint.previous_secret_expires_at is not None
            and endpoint.previous_secret_expires_at > now
        ):
            secrets.append(self._box.open(endpoint.previous_secret_encrypted))
        assert row.claim_token is not None
        return Claim(
            delivery_id=row.id,
            claim_token=row.claim_token,
            endpoint_id=endpoint.id,
            url=endpoint.url,
            body=json.dumps(row.payload, separators=(",", ":"), sort_keys=True),
            attempt=row.attempt_count + 1,
            secrets=secrets,
        )

    async def _attempt(self, claim: Claim) -> None:
        try:
            outcome = await self._send(claim)
            await self._record(claim, outcome)
        except Exception as error:
            log.warning(
                "webhook attempt not recorded delivery=%s (%s)",
                claim.delivery_id,
                type(error).__name__,
            )
        finally:
            self._ended += 1
            self._in_flight[claim.endpoint_id] -= 1
            if self._in_flight[claim.endpoint_id] <= 0:
                del self._in_flight[claim.endpoint_id]
            self.wake()

    async def _send(self, claim: Claim) -> Outcome:
        attempted_at = utcnow()
        started = time.perf_counter()
        status_code: int | None = None
        excerpt: str | None = None
        error: str | None = None
        try:
            policy = policy_of(self._settings)
            async with asyncio.timeout(self._timeout):
                vetted = await network.vet(
                    claim.url,
                    require_https=policy.require_https,
                    allow_private=policy.allow_private,
                )
                headers = signed_headers(
                    message_id=claim.delivery_id,
                    timestamp=attempted_at,
                    body=claim.body,
                    secrets_in_use=claim.secrets,
                )
                request = network.pinned_request(
                    vetted, content=claim.body.encode(), headers=headers
                )
                response = await self._client_for(claim.endpoint_id).send(request, stream=True)
                try:
                    status_code = response.status_code
                    excerpt = await _excerpt(response)
                finally:
                    await response.aclose()
        except WebhookUrlRefused as refused:
            error = refused.detail
        except TimeoutError:
            error = f"timed out after {self._timeout:g} s"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        latency_ms = round((time.perf_counter() - started) * 1000)
        return Outcome(attempted_at, latency_ms, status_code, excerpt, error)

    async def _record(self, claim: Claim, outcome: Outcome) -> None:
        """Hand the outcome to the recorder; returns once it is committed."""
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_forever(), name="evcare-webhook-log")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._outcomes.put((claim, outcome, done))
        await done

    async def _record_forever(self) -> None:
        """Group commit: every outcome waiting when a write begins goes into it, so a
        busy runner writes one transaction per batch, not one per attempt."""
        while True:
            batch = [await self._outcomes.get()]
            while not self._outcomes.empty() and len(batch) < BATCH:
                batch.append(self._outcomes.get_nowait())
            failure: Exception | None = None
            try:
                await self._record_batch([(claim, outcome) for claim, outcome, _ in batch])
            except Exception as error:
                failure = error
            for _, _, done in batch:
                if done.done():
                    continue
                if failure is None:
                    done.set_result(None)
                else:
                    done.set_exception(failure)

    async def _record_batch(self, batch: list[tuple[Claim, Outcome]]) -> None:
        now = utcnow()
        async with self._sessionmaker() as session:
            try:
                await outcomes.record_attempts(session, batch, now=now)
                recorded = batch
            except IntegrityError:
                # Another runner recorded one of these attempts (its lease ran out on
                # us): record the others one at a time.
                await session.rollback()
                recorded = []
                for item in batch:
                    try:
                        async with session.begin_nested():
                            await outcomes.record_attempts(session, [item], now=now)
                    except IntegrityError:
                        continue
                    recorded.append(item)
            # Reads after the writes: on SQLite a read first would pin a snapshot that
            # the write could not upgrade once another connection had committed.
            endpoints = await repository.endpoints_by_id(
                session, {claim.endpoint_id for claim, _ in recorded}
            )
            for claim, outcome in recorded:
                endpoint = endpoints.get(claim.endpoint_id)
                if endpoint is not None:
                    await outcomes.judge_endpoint(session, endpoint, outcome, now=now)
            await session.commit()


def policy_of(settings: Settings) -> UrlPolicy:
    return UrlPolicy(
        require_https=settings.environment == "production",
        allow_private=settings.webhook_allow_private_networks,
    )


def runner_of(runtime: Runtime) -> DeliveryRunner:
    """The runtime's delivery runner (made on first use)."""
    runner = runtime.extras.get("webhooks.runner_object")
    if not isinstance(runner, DeliveryRunner):
        runner = DeliveryRunner.for_runtime(runtime)
        runtime.extras["webhooks.runner_object"] = runner
        runtime.outbox.after_batch(runner.wake)
    return runner


async def start(runtime: Runtime) -> None:
    """Deliver in this process (the embedded default, and ``evcare worker``)."""
    runner = runner_of(runtime)
    start_task(runtime, _TASK_KEY, runner.run, name="evcare-webhooks")


async def stop(runtime: Runtime) -> None:
    await stop_task(runtime, _TASK_KEY)
    runner = runtime.extras.pop("webhooks.runner_object", None)
    if isinstance(runner, DeliveryRunner):
        await runner.close()
