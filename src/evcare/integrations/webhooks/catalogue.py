"""The event types a webhook endpoint may subscribe to: name, meaning, JSON schema of the
``data`` object and an example (``GET /v1/integrations/webhooks/event-types``).

Every delivery's body is ``{type, timestamp, data}`` (the Standard Webhooks envelope);
``published`` says whether EVCare emits the type today. The unpublished ones are part of
the contract already, so an endpoint may subscribe to them before they start arriving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    schema: Schema
    example: dict[str, Any]
    published: bool


def _object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_DOCUMENT = {"type": "object", "description": "the resource as its API returns it"}

_SESSION = _object(
    {
        "sessionId": _STRING,
        "chargerId": _STRING,
        "userId": _NULLABLE_STRING,
        "session": _DOCUMENT,
    }
)
_SESSION_EXAMPLE: dict[str, Any] = {
    "sessionId": "SES000012",
    "chargerId": "CP-ACCRA-01",
    "userId": "42",
    "session": {"sessionId": "SES000012", "status": "active", "energyConsumed": 0},
}
_BOOKING = _object(
    {"bookingId": _STRING, "status": _STRING, "previousStatus": _NULLABLE_STRING},
)
_MONEY_EVENT = _object(
    {"id": _STRING, "amount": {"type": "integer"}, "currency": _STRING, "status": _STRING}
)
_RESOURCE = _object({"id": _STRING, "resource": _DOCUMENT})


_MAINTENANCE_EXAMPLE: dict[str, Any] = {
    "id": "mnt_0a1b2c",
    "status": "created",
    "previousStatus": None,
    "bookingId": "12",
    "workshopId": "org_0a1b2c",
    "vehicleId": "VEH000012",
    "preferredDate": "2026-12-14",
}


def _resource_example(prefix: str) -> dict[str, Any]:
    return {"id": f"{prefix}000012", "resource": {"id": f"{prefix}000012"}}


EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "ping",
        "Sent by POST .../webhooks/{webhookId}/test to check the endpoint.",
        _object({"webhookId": _STRING, "message": _STRING}),
        {"webhookId": "wh_0a1b2c", "message": "ping from EVCare"},
        published=True,
    ),
    EventType(
        "session.started",
        "A charging session began on a charger (from the charger's own OCPP messages).",
        _SESSION,
        _SESSION_EXAMPLE,
        published=True,
    ),
    EventType(
        "session.completed",
        "A charging session ended and was billed; ``cdr`` is its charge detail record.",
        _object({**_SESSION["properties"], "cdr": {"type": ["object", "null"]}}),
        {**_SESSION_EXAMPLE, "cdr": {"sessionId": "SES000012", "totalCost": 1200}},
        published=True,
    ),
    EventType(
        "charger.status_changed",
        "A charger's status or one of its connectors' changed.",
        _object({"chargerId": _STRING, "status": _STRING, "connectors": {"type": "array"}}),
        {"chargerId": "CP-ACCRA-01", "status": "Available", "connectors": []},
        published=True,
    ),
    EventType(
        "booking.created",
        "A workshop service booking was created, or a connector booking confirmed "
        "(``kind: connector``, its reservation fee paid).",
        _BOOKING,
        {"bookingId": "12", "status": "created", "previousStatus": None},
        published=True,
    ),
    EventType(
        "booking.cancelled",
        "A workshop service booking or a connector booking (``kind: connector``) was cancelled.",
        _BOOKING,
        {"bookingId": "12", "status": "cancelled", "previousStatus": "created"},
        published=True,
    ),
    EventType(
        "credentials.rotated",
        "The integration's client secret was rotated (the previous one keeps working "
        "for its overlap).",
        _object({"integrationId": _STRING}),
        {"integrationId": "int_0a1b2c"},
        published=True,
    ),
    EventType(
        "payment.succeeded",
        "A payment was captured (a wallet top-up: ``id`` is its transaction in the billing list).",
        _MONEY_EVENT,
        {"id": "12", "amount": 1200, "currency": "INR", "status": "succeeded"},
        published=True,
    ),
    EventType(
        "payment.failed",
        "A payer's online payment attempt failed (the order stays open to retry); ``id`` "
        "is the payment as GET /api/v1/billing/transactions names it.",
        _MONEY_EVENT,
        {"id": "PAY000012", "amount": 1200, "currency": "INR", "status": "failed"},
        published=True,
    ),
    EventType(
        "invoice.created",
        "A monthly invoice was issued to the integration.",
        _MONEY_EVENT,
        {"id": "inv_0a1b2c", "amount": 5000, "currency": "GHS", "status": "open"},
        published=True,
    ),
    EventType(
        "invoice.paid",
        "An invoice was paid.",
        _MONEY_EVENT,
        {"id": "inv_0a1b2c", "amount": 5000, "currency": "GHS", "status": "paid"},
        published=True,
    ),
    EventType(
        "subscription.updated",
        "The integration's plan changed.",
        _object({"integrationId": _STRING, "planId": _STRING}),
        {"integrationId": "int_0a1b2c", "planId": "plan_growth"},
        published=True,
    ),
    *(
        EventType(
            f"{noun}.{change}",
            f"A {noun} of the organization's fleet was {change}.",
            _RESOURCE,
            _resource_example(prefix),
            published=False,
        )
        for noun, prefix in (("vehicle", "VEH"), ("driver", "DRV"))
        for change in ("created", "updated", "deleted")
    ),
    *(
        EventType(
            f"maintenance.{change}",
            f"A maintenance request of the fleet {meaning} (it follows its workshop booking's "
            "state); ``resource`` holds its ``id``, ``status`` (the booking's), "
            "``previousStatus``, ``bookingId``, ``workshopId``, ``vehicleId`` and "
            "``preferredDate``.",
            _RESOURCE,
            {"id": "mnt_0a1b2c", "resource": {**_MAINTENANCE_EXAMPLE, **example}},
            published=True,
        )
        for change, meaning, example in (
            ("scheduled", "was booked with a workshop", {}),
            (
                "updated",
                "moved on (a mechanic assigned, an estimate, work started, cancelled, paid)",
                {"status": "mechanic_assigned", "previousStatus": "created"},
            ),
            (
                "completed",
                "was completed by the workshop",
                {"status": "completed", "previousStatus": "in_progress"},
            ),
        )
    ),
    EventType(
        "ticket.created",
        "A support ticket was opened; ``resource`` holds its ``ticketId``, ``ticketNumber``, "
        "``status``, ``category`` and ``priority``.",
        _RESOURCE,
        {
            "id": "12",
            "resource": {
                "ticketId": "12",
                "ticketNumber": "TKT-2026-000012",
                "status": "open",
                "category": "technical",
                "priority": "medium",
            },
        },
        published=True,
    ),
    EventType(
        "ticket.updated",
        "A support ticket changed (status or a new comment); ``resource`` holds its "
        "``ticketId``, ``ticketNumber`` and ``status``.",
        _RESOURCE,
        {
            "id": "12",
            "resource": {"ticketId": "12", "ticketNumber": "TKT-2026-12", "status": "in-progress"},
        },
        published=True,
    ),
)

BY_NAME: dict[str, EventType] = {event.name: event for event in EVENT_TYPES}
# Subscribable: every type but ``ping``, which goes to the one endpoint tested.
SUBSCRIBABLE = frozenset(name for name in BY_NAME if name != "ping")
