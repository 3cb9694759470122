"""Per-IP rate limiting on ``/api/`` with the ``limits`` library (memory or Redis)."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evcare.core.config import Settings


@dataclass
class RateLimiter:
    item: RateLimitItem
    storage: Storage
    enabled: bool = True
    prefix: str = "/api/"

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        storage: Storage
        if settings.redis_url:
            storage = RedisStorage(_async_redis_uri(settings.redis_url))
        else:
            storage = MemoryStorage()
        return cls(
            item=parse(settings.rate_limit), storage=storage, enabled=settings.rate_limit_enabled
        )

    async def hit(self, key: str) -> tuple[bool, int, float]:
        """Count one request for ``key``: (allowed, remaining, reset time as epoch seconds).

        A fixed window, as ``limits.FixedWindowRateLimiter`` keeps it (the same storage
        keys and expiry), in two storage calls instead of its three: the count the
        increment answers is the one the remaining figure is computed from."""
        counter = self.item.key_for(key)
        count = await self.storage.incr(counter, self.item.get_expiry())
        reset = await self.storage.get_expiry(counter)
        return count <= self.item.amount, max(self.item.amount - count, 0), float(reset)

    async def reset(self) -> None:
        await self.storage.reset()

    async def close(self) -> None:
        if isinstance(self.storage, MemoryStorage):
            await self.storage.reset()


def _async_redis_uri(url: str) -> str:
    return url if url.startswith("async+") else f"async+{url}"


class RateLimitMiddleware:
    """Adds ``X-RateLimit-*`` headers under the prefix and answers 429 past the limit."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, *, trust_forwarded_for: bool) -> None:
        self.app = app
        self.limiter = limiter
        self.trust_forwarded_for = trust_forwarded_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.limiter.enabled
            or not scope["path"].startswith(self.limiter.prefix)
        ):
            await self.app(scope, receive, send)
            return
        allowed, remaining, reset = await self.limiter.hit(self._client_ip(scope))
        headers = [
            (b"x-ratelimit-limit", str(self.limiter.item.amount).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", str(math.ceil(reset)).encode()),
        ]
        if not allowed:
            retry_after = max(math.ceil(reset - time.time()), 1)
            body = json.dumps(
                {
                    "success": False,
                    "message": "Too many requests, please try again later",
                    "statusCode": 429,
                    "retryAfter": retry_after,
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        *headers,
                        (b"retry-after", str(retry_after).encode()),
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _client_ip(self, scope: Scope) -> str:
        return client_ip(scope, trust_forwarded_for=self.trust_forwarded_for)


def client_ip(scope: Scope, *, trust_forwarded_for: bool) -> str:
    """The caller's address; ``X-Forwarded-For`` only when told to trust it (behind a proxy)."""
    if trust_forwarded_for:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return str(value.decode("latin-1").split(",")[0].strip())
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
