"""Service levels: how soon support must first reply to a ticket and resolve it, per
priority (system settings ``support_first_response_minutes_<priority>`` and
``support_resolution_minutes_<priority>``).

A ticket is ``breached`` when either clock ran past its target on the ticket's own
timeline: the first response is late if the first support reply came after the target
(or has not come and the target has passed); resolution is late if the ticket was
resolved (or closed) after its target, or is still unresolved past it. Otherwise it is
``within``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from evcare.operations.settings import SystemSettings
from evcare.support.models import Ticket, TicketPriority

WITHIN = "within"
BREACHED = "breached"


@dataclass(frozen=True)
class SlaTargets:
    first_response: dict[str, timedelta]
    resolution: dict[str, timedelta]

    @classmethod
    def of(cls, settings: SystemSettings) -> SlaTargets:
        def minutes(prefix: str, priority: TicketPriority) -> timedelta:
            return timedelta(minutes=int(getattr(settings, f"{prefix}_{priority.value}")))

        return cls(
            first_response={
                p.value: minutes("support_first_response_minutes", p) for p in TicketPriority
            },
            resolution={p.value: minutes("support_resolution_minutes", p) for p in TicketPriority},
        )


def sla_status(ticket: Ticket, targets: SlaTargets, *, now: datetime) -> str:
    """``within`` or ``breached`` (the module's rule)."""
    responded = ticket.first_response_at or now
    if responded - ticket.created_at > targets.first_response[ticket.priority]:
        return BREACHED
    ended = ticket.resolved_at or ticket.closed_at or now
    if ended - ticket.created_at > targets.resolution[ticket.priority]:
        return BREACHED
    return WITHIN
