"""The port charging sends charger commands through; the OCPP adapter implements it.

Charging decides *what* to ask a charger (start, stop, reset, ...); how the request reaches
the charger (a WebSocket held by this process, or another process through Redis) is the
adapter's business: :class:`evcare.ocpp.registry.ChargerRegistry` satisfies this protocol,
and the surfaces hand the process's registry to the charging functions they call.
"""

from __future__ import annotations

from typing import Any, Protocol


class ChargerCommands(Protocol):
    """Send an OCPP command to a charger and read which protocol version it speaks."""

    def ocpp_version_of(self, charge_point_id: str) -> str | None:
        """The version of the charger's live connection here ("1.6", "2.0.1"), or None."""
        ...

    async def call(
        self,
        charge_point_id: str,
        action: str,
        payload: dict[str, Any],
        *,
        wait_seconds: float = ...,
    ) -> dict[str, Any]:
        """Send ``action`` wherever the charger is connected; its answer (camelCase dict).

        Raises ``Conflict`` when the charger is not connected, ``UpstreamTimeout`` when it
        stays silent past ``wait_seconds``, a ``BusinessRuleViolation`` when it refuses.
        """
        ...
