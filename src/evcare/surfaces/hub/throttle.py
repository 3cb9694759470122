"""The hub's own request limit, per caller: the access token's subject, or the client IP
when the request carries no valid token. Counted in the rate limiter's storage (memory,
or Redis across processes); past the limit a 429 in the hub's error shape with
``Retry-After``."""

from __future__ import annotations

import math
import time

from fastapi import Request, Response
from limits import parse
from limits.aio.strategies import FixedWindowRateLimiter

from evcare.core.errors import TooManyRequests, Unauthorized
from evcare.core.ratelimit import client_ip
from evcare.core.runtime import Runtime


class CallerLimit:
    """App-wide dependency of the hub: counts the request, adds ``X-RateLimit-*``."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.item = parse(settings.hub_rate_limit)
        self.enabled = settings.rate_limit_enabled
        self._limiter = FixedWindowRateLimiter(runtime.rate_limiter.storage)
        self._tokens = runtime.credentials.access_tokens
        self._trust_forwarded_for = settings.trust_forwarded_for
        self._prefix = f"{settings.redis_namespace}:hub"

    async def __call__(self, request: Request, response: Response) -> None:
        if not self.enabled:
            return
        key = f"{self._prefix}:{self._caller(request)}"
        allowed = await self._limiter.hit(self.item, key)
        stats = await self._limiter.get_window_stats(self.item, key)
        if not allowed:
            raise TooManyRequests(retry_after=math.ceil(stats.reset_time - time.time()))
        response.headers["X-RateLimit-Limit"] = str(self.item.amount)
        response.headers["X-RateLimit-Remaining"] = str(max(stats.remaining, 0))
        response.headers["X-RateLimit-Reset"] = str(math.ceil(stats.reset_time))

    def _caller(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            try:
                # The signature is enough to name the caller; revocation is checked later.
                return f"user:{self._tokens.verify(token.strip()).user_id}"
            except Unauthorized:
                pass  # a bad token does not buy a counter of its own: count the IP
        return f"ip:{client_ip(request.scope, trust_forwarded_for=self._trust_forwarded_for)}"
