"""What else must happen when an account closes, registered by the contexts that own it.

Identity cannot import those contexts (they depend on it), so each registers a hook once,
at import (the workshop bookings cancel the account's open bookings and free their
slots). Hooks run in the transaction that closes the account: all of it commits or none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.identity.models import User

ClosingHook = Callable[[AsyncSession, User], Awaitable[None]]
_hooks: list[ClosingHook] = []


def on_account_closing(hook: ClosingHook) -> None:
    """Called once per hook by the context that registers it."""
    if hook not in _hooks:
        _hooks.append(hook)


async def account_closing(session: AsyncSession, user: User) -> None:
    for hook in _hooks:
        await hook(session, user)
