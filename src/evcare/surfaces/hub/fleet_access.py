"""The fleet routes' callers: FLEET_MANAGER_ACCESS's scopes, acting for one organization."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.deps import Authenticator

fleet_write = Authenticator(Scope.WRITE_FLEET)
FleetRead = Annotated[Principal, Depends(Authenticator(Scope.READ_FLEET))]
FleetWrite = Annotated[Principal, Depends(fleet_write)]
