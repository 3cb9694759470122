"""The hub's own request limits, counted in the rate limiter's storage (memory, or Redis
across processes), before the database is read:

* a partner integration: its client-credentials token and the token of every user it
  signed in share one counter (``EVCARE_HUB_INTEGRATION_RATE_LIMIT``), named by the
  token's signed ``itg`` claim;
* any other caller: the access token's subject, or the client IP when the request carries
  no valid token (``EVCARE_HUB_RATE_LIMIT``).

Every answer carries the counter it was charged to, twice: ``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds until the window resets, as the
IETF draft has it) with ``RateLimit-Policy``, and the older ``X-RateLimit-*`` (reset as
epoch seconds). Past the limit: 429 ``RATE_LIMITED`` with the same headers and
``Retry-After``."""

from __future__ import annotations

import math
import time

from fastapi import Request, Response
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter

from evcare.core.errors import TooManyRequests, Unauthorized
from evcare.core.ratelimit import client_ip
from evcare.core.runtime import Runtime


class CallerLimit:
    """App-wide dependency of the hub: counts the request against its caller's limit."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.item = parse(settings.hub_rate_limit)
        self.integration_item = parse(settings.hub_integration_rate_limit)
        self.enabled = settings.rate_limit_enabled
        self._limiter = FixedWindowRateLimiter(runtime.rate_limiter.storage)
        self._tokens = runtime.credentials.access_tokens
        self._trust_forwarded_for = settings.trust_forwarded_for
        self._prefix = f"{settings.redis_namespace}:hub"

    async def __call__(self, request: Request, response: Response) -> None:
        if not self.enabled:
            return
        caller, item = self._caller(request)
        key = f"{self._prefix}:{caller}"
        allowed = await self._limiter.hit(item, key)
        stats = await self._limiter.get_window_stats(item, key)
        reset_in = max(math.ceil(stats.reset_time - time.time()), 1)
        headers = {
            "RateLimit-Limit": str(item.amount),
            "RateLimit-Remaining": str(max(stats.remaining, 0)),
            "RateLimit-Reset": str(reset_in),
            "RateLimit-Policy": f"{item.amount};w={item.get_expiry()}",
            "X-RateLimit-Limit": str(item.amount),
            "X-RateLimit-Remaining": str(max(stats.remaining, 0)),
            "X-RateLimit-Reset": str(math.ceil(stats.reset_time)),
        }
        if not allowed:
            raise TooManyRequests(retry_after=reset_in, headers=headers)
        response.headers.update(headers)

    def _caller(self, request: Request) -> tuple[str, RateLimitItem]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            try:
                # The signature is enough to name the caller; revocation is checked later.
                claims = self._tokens.verify(token.strip())
            except Unauthorized:
                pass  # a bad token does not buy a counter of its own: count the IP
            else:
                if claims.integration_id is not None:
                    return f"integration:{claims.integration_id}", self.integration_item
                return f"user:{claims.user_id}", self.item
        ip = client_ip(request.scope, trust_forwarded_for=self._trust_forwarded_for)
        return f"ip:{ip}", self.item
