"""EV-CMS section 2 (vehicles): a vehicle's charging history and statistics
(``/api/v1/profile/vehicles/:vehicleId/history`` and ``/stats``).

``co2Saved`` (kg) = energy charged (kWh) x 0.85 kg: the tailpipe CO2 a petrol car
would have emitted over the distance that energy drives an EV (README).
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends

from evcare.charging.sessions import control
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import CamelModel, Envelope, PagedEnvelope, PaginationOut
from evcare.surfaces.cms.sessions import SessionsBody, sessions_out
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import VehicleRef

router = APIRouter(prefix="/profile/vehicles", tags=["vehicles"], route_class=TransactionalRoute)

VehiclesRead = Annotated[Principal, Depends(Authenticator(Scope.READ_VEHICLES))]


class VehicleStats(CamelModel):
    total_sessions: int
    total_energy: float
    total_cost: float | int
    avg_session_duration: float | int
    co2_saved: float


@router.get("/{vehicle_id}/history", operation_id="cms_vehicle_history")
async def vehicle_history(
    vehicle_id: VehicleRef, principal: VehiclesRead, session: SessionDep, page: Pagination
) -> PagedEnvelope[SessionsBody]:
    result = await control.vehicle_history(session, principal, page, vehicle_id=vehicle_id)
    return PagedEnvelope(
        data=SessionsBody(sessions=sessions_out(result.items)),
        pagination=PaginationOut.of(cast(Page[object], result)),
    )


@router.get("/{vehicle_id}/stats", operation_id="cms_vehicle_stats")
async def vehicle_stats(
    vehicle_id: VehicleRef, principal: VehiclesRead, session: SessionDep
) -> Envelope[VehicleStats]:
    stats: dict[str, Any] = await control.vehicle_stats(session, principal, vehicle_id=vehicle_id)
    return Envelope(data=VehicleStats.model_validate(stats))
