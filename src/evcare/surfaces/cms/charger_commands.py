"""EV-CMS section 4 (chargers): ``POST /api/v1/chargers/:id/command`` sends an OCPP
command to a connected charger and returns the charger's own answer as ``{result}``.

409 when the charger is not connected, 504 when it does not answer within 30 s, 400
when it answers with an OCPP CallError, 422 when the OCPP schema refuses ``params``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from evcare.charging.chargers import commands
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.ocpp.registry import registry_of
from evcare.surfaces.cms.schemas import CamelModel, Envelope, StrictCamelModel
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.ids import ChargerRef

router = APIRouter(prefix="/chargers", tags=["chargers"], route_class=TransactionalRoute)

ChargersCommand = Annotated[Principal, Depends(Authenticator(Scope.COMMAND_CHARGERS))]


class CommandIn(StrictCamelModel):
    command: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z]+$")]
    connector_id: int | None = Field(default=None, ge=0, le=100)
    params: dict[str, Any] = Field(default_factory=dict, max_length=20)


class CommandResult(CamelModel):
    command: str
    result: dict[str, Any]


@router.post("/{charger_id}/command", operation_id="cms_charger_command")
async def send_command(
    charger_id: ChargerRef,
    body: CommandIn,
    principal: ChargersCommand,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Envelope[CommandResult]:
    answer = await commands.send_command(
        session,
        principal,
        registry_of(runtime),
        charger_id=charger_id,
        command=body.command,
        connector_id=body.connector_id,
        params=body.params,
    )
    return Envelope(data=CommandResult(command=body.command, result=answer))
