"""Which chargers are connected to this process, and how the REST layer calls them.

:meth:`ChargerRegistry.call` is the one way the rest of EVCare sends an OCPP command:
``await registry.call("CP-001", "Reset", {"type": "Soft"}, wait_seconds=30)`` returns the
charger's answer as a camelCase dict, exactly as it came over the wire.

- charger not connected anywhere: :class:`~evcare.core.errors.Conflict` (409);
- charger connected but silent past ``wait_seconds``: :class:`~evcare.core.errors.UpstreamTimeout`
  (504);
- charger answered with a CallError: :class:`ChargerRejected` (400, naming the error code);
- payload refused by the OCPP schema before sending: :class:`~evcare.core.errors.ValidationFailed`.

Scale-out seam (CONTRACT with cross-process routing): when the charger is not connected to
*this* process, :meth:`ChargerRegistry.call` hands the request to :attr:`forwarder` (a
coroutine ``(charge_point_id, action, payload, wait_seconds) -> dict``) instead of failing. The
default is ``None`` = single process: raise Conflict. A Redis router sets ``forwarder``
to publish the request to the process that holds the connection, which answers it with
:meth:`call_local` (the same method, minus forwarding) and sends back the dict or the
error. :meth:`connected_ids` lists what this process holds, for presence bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from evcare.core.errors import BusinessRuleViolation, Conflict

if TYPE_CHECKING:
    from evcare.core.runtime import Runtime

Forwarder = Callable[[str, str, dict[str, Any], float], Awaitable[dict[str, Any]]]

DEFAULT_TIMEOUT = 30.0
_RUNTIME_KEY = "ocpp_registry"


class ChargerRejected(BusinessRuleViolation):
    """The charger answered a command with an OCPP CallError."""

    code = "charger_rejected"


class Link(Protocol):
    """One live charger connection, as the registry sees it."""

    charge_point_id: str
    ocpp_version: str

    async def call(
        self, action: str, payload: dict[str, Any], *, wait_seconds: float
    ) -> dict[str, Any]:
        """Send ``action`` and return the charger's answer (camelCase dict)."""
        ...

    async def close(self, code: int, reason: str) -> None: ...


class ChargerRegistry:
    def __init__(self) -> None:
        self._links: dict[str, Link] = {}
        self.forwarder: Forwarder | None = None
        self._serving = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """Held for the whole life of one charger connection, bookkeeping included."""
        self._serving += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._serving -= 1
            if self._serving == 0:
                self._idle.set()

    async def wait_idle(self, wait_seconds: float = 10.0) -> bool:
        """Wait until no charger connection is being served (or closed) here."""
        try:
            async with asyncio.timeout(wait_seconds):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    def register(self, link: Link) -> Link | None:
        """Make ``link`` the charger's connection; returns the one it replaces (if any)."""
        previous = self._links.get(link.charge_point_id)
        self._links[link.charge_point_id] = link
        return previous if previous is not link else None

    def unregister(self, link: Link) -> bool:
        """Forget ``link`` unless a newer connection of the same charger replaced it."""
        if self._links.get(link.charge_point_id) is link:
            del self._links[link.charge_point_id]
            return True
        return False

    def get(self, charge_point_id: str) -> Link | None:
        return self._links.get(charge_point_id)

    def is_connected_here(self, charge_point_id: str) -> bool:
        return charge_point_id in self._links

    def connected_ids(self) -> list[str]:
        return list(self._links)

    def ocpp_version_of(self, charge_point_id: str) -> str | None:
        link = self._links.get(charge_point_id)
        return link.ocpp_version if link else None

    async def call(
        self,
        charge_point_id: str,
        action: str,
        payload: dict[str, Any],
        *,
        wait_seconds: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """Send one OCPP command to a charger wherever it is connected; its answer."""
        if charge_point_id in self._links:
            return await self.call_local(
                charge_point_id, action, payload, wait_seconds=wait_seconds
            )
        # The seam: a charger held by another process is reached through the forwarder.
        if self.forwarder is not None:
            return await self.forwarder(charge_point_id, action, payload, wait_seconds)
        raise Conflict(f"Charger {charge_point_id} is not connected")

    async def call_local(
        self,
        charge_point_id: str,
        action: str,
        payload: dict[str, Any],
        *,
        wait_seconds: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """Send to a charger connected to this process (never forwarded)."""
        link = self._links.get(charge_point_id)
        if link is None:
            raise Conflict(f"Charger {charge_point_id} is not connected")
        return await link.call(action, payload, wait_seconds=wait_seconds)

    async def close_all(self) -> None:
        links = list(self._links.values())
        self._links.clear()
        await asyncio.gather(
            *(link.close(1001, "server shutting down") for link in links), return_exceptions=True
        )


def registry_of(runtime: Runtime) -> ChargerRegistry:
    """The process's registry (one per runtime), created on first use."""
    registry = runtime.extras.get(_RUNTIME_KEY)
    if not isinstance(registry, ChargerRegistry):
        registry = ChargerRegistry()
        runtime.extras[_RUNTIME_KEY] = registry
    return registry
