"""Hub wire conventions: camelCase JSON, lists as ``{data: [...], pagination}``, and the
path parameters that carry prefixed public ids (malformed -> 404 in the hub's shape)."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Response
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from evcare.core.pagination import Page
from evcare.surfaces.ids import AccountId, IntegrationId, VehicleRef

T = TypeVar("T")


class HubModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True
    )


class StrictHubModel(HubModel):
    """Request bodies: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


class PaginationOut(HubModel):
    page: int
    limit: int
    total: int
    total_pages: int

    @classmethod
    def of(cls, page: Page[object]) -> PaginationOut:
        return cls(
            page=page.params.page,
            limit=page.params.limit,
            total=page.total,
            total_pages=page.total_pages,
        )


class Paged(HubModel, Generic[T]):
    data: list[T]
    pagination: PaginationOut


IntegrationIdPath = Annotated[IntegrationId, Path(alias="integrationId", description="int_...")]
AccountIdPath = Annotated[AccountId, Path(alias="accountId", description="acc_...")]
DriverIdPath = Annotated[AccountId, Path(alias="driverId", description="acc_...")]
VehicleIdPath = Annotated[
    VehicleRef, Path(alias="vehicleId", description="VEH000012 (or 12, as EV-CMS names it)")
]


def no_store(response: Response) -> None:
    """Responses carrying a secret or a token are never cached (RFC 6749 5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
