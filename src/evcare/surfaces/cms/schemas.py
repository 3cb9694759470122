"""EV-CMS wire conventions: camelCase fields, the ``{success, data, pagination?}`` envelope."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from evcare.core.pagination import Page

T = TypeVar("T")


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True
    )


class StrictCamelModel(CamelModel):
    """Request bodies: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


class PaginationOut(CamelModel):
    total: int
    page: int
    limit: int
    total_pages: int
    has_next: bool
    has_prev: bool

    @classmethod
    def of(cls, page: Page[object]) -> PaginationOut:
        return cls(
            total=page.total,
            page=page.params.page,
            limit=page.params.limit,
            total_pages=page.total_pages,
            has_next=page.has_next,
            has_prev=page.has_prev,
        )


class Envelope(CamelModel, Generic[T]):
    success: bool = True
    message: str | None = None
    data: T


class PagedEnvelope(CamelModel, Generic[T]):
    success: bool = True
    data: T
    pagination: PaginationOut


class Done(CamelModel):
    success: bool = True
