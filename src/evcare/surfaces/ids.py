"""One type per kind of id, for every path, query and body id of every surface.

``station_id: StationId`` in a route (or a schema) is parsed once, here, by
:func:`evcare.core.ids.parse_key`: ASCII digits, 1..2147483647 (the key columns'
``INTEGER``). A malformed or out-of-range id can name no row, so:

- in a **path** it is a 404 in the surface's shape, worded as the service words a
  missing row ("Station 99999999999999999999 not found");
- in a **query** or a **body** it is a 422 in the surface's shape naming the field.

Public ids (``ADM000012``) accept the bare key too; references that may be a key or
another identifier (a charger's charge point id) keep both. ``tests/surfaces/test_ids.py``
walks every route and fails on an id parameter declared with any other type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from evcare.core.ids import MAX_KEY, parse_key, parse_public_key
from evcare.core.public_ids import (
    ACCOUNT_ID,
    DELIVERY_ID,
    HUB_INVOICE_ID,
    INTEGRATION_ID,
    MAINTENANCE_ID,
    MAX_LENGTH,
    ORGANIZATION_ID,
    PLAN_ID,
    WEBHOOK_ID,
    PublicIdKind,
)

ID_ERROR = "evcare_id"
"""The pydantic error type of a malformed id; :mod:`evcare.surfaces.errors` turns it
into a 404 when the id is in the path."""


@dataclass(frozen=True)
class IdKind:
    """How one kind of id is read: ``parse`` returns the value or None, ``what`` names
    the row in messages."""

    what: str
    parse: Callable[[object], Any]
    expected: str

    def __call__(self, value: object) -> Any:
        parsed = self.parse(value)
        if parsed is None:
            raise PydanticCustomError(
                ID_ERROR,
                "Input should be {expected}",
                {"what": self.what, "expected": self.expected},
            )
        return parsed


_KEY_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_KEY}


def _key(what: str) -> Any:
    kind = IdKind(what, parse_key, f"a {what.lower()} id (an integer from 1 to {MAX_KEY})")
    return Annotated[int, PlainValidator(kind), WithJsonSchema(_KEY_SCHEMA)]


def _public(what: str, prefix: str) -> Any:
    def parse(value: object) -> int | None:
        return parse_public_key(prefix, value)

    kind = IdKind(what, parse, f"a {what.lower()} id ({prefix}000012 or 12)")
    schema = {
        "type": "string",
        "pattern": f"^({prefix})?[0-9]{{1,20}}$",
        "examples": [f"{prefix}000012"],
    }
    return Annotated[int, PlainValidator(kind), WithJsonSchema(schema)]


def _text(what: str, pattern: str, expected: str, *, or_key: bool = False) -> Any:
    """An identifier that is text matching ``pattern`` (or, with ``or_key``, also a key),
    kept as text for the service. Case is the service's business."""
    compiled = re.compile(pattern)

    def parse(value: object) -> str | None:
        if or_key and parse_key(value) is not None:
            return str(value)
        if isinstance(value, str) and compiled.fullmatch(value):
            return value
        return None

    kind = IdKind(what, parse, expected)
    return Annotated[
        str, PlainValidator(kind), WithJsonSchema({"type": "string", "pattern": f"^{pattern}$"})
    ]


# EV-CMS
StationId = _key("Station")
_CHARGE_POINT_ID = r"[A-Za-z0-9._-]{1,48}"
ChargePointId = _text("Charger", _CHARGE_POINT_ID, "a charge point id such as EVC-DEMO-001")
ChargerRef = _text(
    "Charger",
    _CHARGE_POINT_ID,
    "a charger id (its key, or its charge point id such as EVC-DEMO-001)",
    or_key=True,
)
SessionId = _public("Session", "SES")
UserId = _public("User", "USR")
VehicleRef = _public("Vehicle", "VEH")
VehicleId = _key("Vehicle")
ConnectorRef = _text(
    "Connector", r"[A-Za-z0-9._-]{1,20}", "a connector id of the station (its connectorId)"
)
ChargingBookingId = _key("Booking")
PricingRuleId = _key("Pricing rule")
IdTagId = _key("Card")
FranchiseId = _key("Franchise")
NotificationId = _key("Notification")
MaintenanceId = _key("Maintenance record")
TicketId = _key("Ticket")
InvoiceId = _key("Invoice")
RefundId = _key("Refund")


def _transaction(value: object) -> tuple[str, int] | None:
    """A billing transaction: ``PAY000012`` a payment, a bare key a wallet entry."""
    if isinstance(value, str) and value[:3].upper() == "PAY":
        key = parse_key(value[3:])
        return None if key is None else ("payment", key)
    key = parse_key(value)
    return None if key is None else ("wallet", key)


TransactionRef = Annotated[
    tuple[str, int],
    PlainValidator(
        IdKind(
            "Transaction",
            _transaction,
            "a transaction id (a wallet transaction's id, or PAY000012 for a payment)",
        )
    ),
    WithJsonSchema({"type": "string", "pattern": "^([Pp][Aa][Yy])?[0-9]{1,20}$"}),
]

# RevCare
AdminId = _public("Admin", "ADM")
CustomerId = _public("Customer", "CST")
MechanicId = _public("Mechanic", "MEC")
AssignmentTypeId = _key("Assignment type")
BookingId = _key("Booking")
ProgressId = _key("Progress")
StatusId = _key("Status")
ServiceId = _key("Service")
CategoryId = _key("Service category")
ReviewId = _key("Review")
TimeslotId = _key("Timeslot")
AddressId = _key("Address")
AreaId = _key("Service area")
CarId = _key("Vehicle")
ManufacturerId = _key("Manufacturer")
VehicleModelId = _key("Vehicle model")
VehicleClassId = _key("Vehicle class")
FuelTypeId = _key("Fuel type")
ContentId = _text("Content", r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", "a content key (home-banner)")
OrderId = _text("Order", r"[A-Za-z0-9_]{1,64}", "a payment provider's order id (order_...)")
PaymentId = _text("Payment", r"[A-Za-z0-9_]{1,64}", "a payment provider's payment id (pay_...)")


def _prefixed(kind: PublicIdKind) -> Any:
    """A hub id (``int_...``): strict ASCII after its prefix, at most 48 characters."""

    def parse(value: object) -> str | None:
        return value if isinstance(value, str) and kind.is_valid(value) else None

    parsed = IdKind(kind.noun, parse, f"an id such as {kind.prefix}0a1b2c")
    schema = {
        "type": "string",
        "pattern": f"^{kind.prefix}[0-9a-z]{{1,40}}$",
        "maxLength": MAX_LENGTH,
    }
    return Annotated[str, PlainValidator(parsed), WithJsonSchema(schema)]


# Developer hub
OrganizationId = _prefixed(ORGANIZATION_ID)
AccountId = _prefixed(ACCOUNT_ID)
IntegrationId = _prefixed(INTEGRATION_ID)
PlanId = _prefixed(PLAN_ID)
WebhookId = _prefixed(WEBHOOK_ID)
HubInvoiceId = _prefixed(HUB_INVOICE_ID)
DeliveryId = _prefixed(DELIVERY_ID)
FleetMaintenanceId = _prefixed(MAINTENANCE_ID)
