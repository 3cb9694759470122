"""The EV-CMS user object, shared by the auth and profile sections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from evcare.identity.models import User
from evcare.surfaces.cms.schemas import CamelModel
from evcare.surfaces.cms.vehicles import VehicleOut
from evcare.vehicles.models import Vehicle
from evcare.vehicles.repository import VehicleSummary


class WalletSummary(CamelModel):
    balance: float | int = 0
    currency: str = "INR"


class UserOut(CamelModel):
    id: str
    email: str
    name: str
    phone: str | None
    role: str
    profile_picture: str | None
    is_email_verified: bool
    status: str
    vehicles: list[VehicleOut]
    wallet: WalletSummary
    preferences: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User, *, vehicles: Sequence[Vehicle | VehicleSummary] = ()) -> UserOut:
        return cls(
            id=str(user.id),
            email=user.email,
            name=user.name,
            phone=user.phone,
            role=user.role,
            profile_picture=user.profile_picture,
            is_email_verified=user.is_email_verified,
            status=user.status,
            vehicles=[VehicleOut.of(vehicle) for vehicle in vehicles],
            wallet=WalletSummary(),
            preferences=user.preferences or {},
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserBody(CamelModel):
    user: UserOut
