"""What one running EVCare process holds: engine, sessions, outbox dispatcher, rate limiter."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from evcare.core import gcpacing
from evcare.core.config import Settings
from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.events import OutboxDispatcher
from evcare.core.lockout import SignInGuard
from evcare.core.ratelimit import RateLimiter
from evcare.core.security import Credentials


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    outbox: OutboxDispatcher
    rate_limiter: RateLimiter
    credentials: Credentials
    sign_in_guard: SignInGuard
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        engine = create_engine(settings.resolved_database_url)
        sessionmaker = create_sessionmaker(engine)
        rate_limiter = RateLimiter.from_settings(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            outbox=OutboxDispatcher(sessionmaker, poll_seconds=settings.outbox_poll_seconds),
            rate_limiter=rate_limiter,
            credentials=Credentials.from_settings(settings),
            # Same storage as the rate limiter: memory, or Redis shared by every process.
            sign_in_guard=SignInGuard.from_settings(rate_limiter.storage, settings),
        )

    async def start(self) -> None:
        await self.outbox.start()
        await gcpacing.start(self.settings.gc_freeze_seconds)

    async def stop(self) -> None:
        await gcpacing.stop(self.settings.gc_freeze_seconds)
        await self.outbox.stop()
        await self.rate_limiter.close()
        await self.engine.dispose()
