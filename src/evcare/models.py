"""Every context's tables on one metadata: what Alembic and the schema check compare."""

from evcare.billing.models import GstRate
from evcare.core.db import Base
from evcare.core.events import OutboxEvent
from evcare.engagement.models import ContentEntry
from evcare.identity.models import AuthSession, RefreshToken, User
from evcare.service.models import (
    Address,
    CartItem,
    FavouriteService,
    MechanicAssignmentType,
    MechanicProfile,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceReview,
    Timeslot,
    WorkStatus,
)

metadata = Base.metadata

__all__ = [
    "Address",
    "AuthSession",
    "CartItem",
    "ContentEntry",
    "FavouriteService",
    "GstRate",
    "MechanicAssignmentType",
    "MechanicProfile",
    "OutboxEvent",
    "RefreshToken",
    "Service",
    "ServiceArea",
    "ServiceCategory",
    "ServiceReview",
    "Timeslot",
    "User",
    "WorkStatus",
    "metadata",
]
