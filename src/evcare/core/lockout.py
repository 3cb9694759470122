"""Brute-force protection for password sign-in, after OWASP's Authentication Cheat Sheet:
slow down, then lock for a while (the caller tells the owner).

Counted per account and per client IP, in the rate limiter's ``limits`` storage (memory
in one process, Redis across processes when ``EVCARE_REDIS_URL`` is set), so every
surface and every process sees the same counters:

- each failed sign-in of an account counts, over a window as long as the lock;
- past ``slowdown_after`` failures, the account must wait before its next attempt: 1 s,
  then 2, 4, 8 ... (never longer than the lock);
- the ``max_failures``-th failure locks the account for ``lock``; the one caller whose
  failure did it learns so (to tell the owner once), and the count starts again;
- failed attempts from one IP, whatever the account, are limited too (``per_ip``);
- a successful sign-in clears the account's count.

Deadlines are read from :mod:`evcare.core.clock`, so tests move time instead of sleeping;
the storage's own expiry only cleans up.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import timedelta

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter

from evcare.core.clock import utcnow
from evcare.core.config import Settings
from evcare.core.errors import TooManyRequests

# Storage entries outlive their deadline by this much, so a clock a little ahead of the
# storage's own (a frozen test clock, two machines) still reads them.
_KEEP_SECONDS = 60


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int
    lock: timedelta
    slowdown_after: int
    per_ip: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInPolicy:
        return cls(
            max_failures=settings.sign_in_max_failures,
            lock=timedelta(minutes=settings.sign_in_lock_minutes),
            slowdown_after=settings.sign_in_slowdown_after,
            per_ip=parse(settings.sign_in_ip_limit),
        )

    @property
    def lock_seconds(self) -> int:
        return math.ceil(self.lock.total_seconds())


class SignInGuard:
    """Checks and counts sign-in attempts; raises :class:`TooManyRequests` when refused."""

    def __init__(self, storage: Storage, policy: SignInPolicy, *, namespace: str) -> None:
        self.storage = storage
        self.policy = policy
        self._prefix = f"{namespace}:sign-in"
        self._per_ip = FixedWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, storage: Storage, settings: Settings) -> SignInGuard:
        return cls(
            storage, SignInPolicy.from_settings(settings), namespace=settings.redis_namespace
        )

    @staticmethod
    def account_key(login: str, user_id: int | None) -> str:
        """An existing account is counted by its id (email and phone share one count); an
        unknown login by its text, so it locks exactly like an account would."""
        if user_id is not None:
            return f"user:{user_id}"
        digest = hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]
        return f"login:{digest}"

    async def check(self, *, account: str, ip: str) -> None:
        """Refuse the attempt now if its IP, or its account, must wait."""
        ip_key = self._key("ip", ip)
        if not await self._per_ip.test(self.policy.per_ip, ip_key):
            stats = await self._per_ip.get_window_stats(self.policy.per_ip, ip_key)
            raise TooManyRequests(retry_after=max(math.ceil(stats.reset_time - time.time()), 1))
        now = _now()
        locked_until = await self.storage.get(self._key("lock", account))
        if locked_until > now:
            raise TooManyRequests(retry_after=locked_until - now)
        failures = await self.storage.get(self._key("failures", account))
        if failures > self.policy.slowdown_after:
            wait_until = await self.storage.get(self._key("wait", account, str(failures)))
            if wait_until > now:
                raise TooManyRequests(retry_after=wait_until - now)

    async def failed(self, *, account: str, ip: str) -> bool:
        """Count a failed attempt. True for the one failure that locked the account."""
        policy = self.policy
        await self._per_ip.hit(policy.per_ip, self._key("ip", ip))
        failures_key = self._key("failures", account)
        failures = await self.storage.incr(failures_key, policy.lock_seconds)
        if failures == policy.max_failures:
            await self._set_deadline(self._key("lock", account), policy.lock_seconds)
            await self.storage.clear(failures_key)
            return True
        if policy.slowdown_after < failures < policy.max_failures:
            wait = min(2 ** (failures - policy.slowdown_after - 1), policy.lock_seconds)
            await self._set_deadline(self._key("wait", account, str(failures)), wait)
        return False

    async def succeeded(self, *, account: str) -> None:
        """A successful sign-in clears the account's count (not its IP's)."""
        await self.storage.clear(self._key("failures", account))

    async def _set_deadline(self, key: str, seconds: int) -> None:
        # Each key has one writer (the caller whose increment reached that count), so
        # clear-then-add cannot mix two deadlines; clearing drops a stale, expired one.
        await self.storage.clear(key)
        await self.storage.incr(key, seconds + _KEEP_SECONDS, amount=_now() + seconds)

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))


def _now() -> int:
    return math.ceil(utcnow().timestamp())
