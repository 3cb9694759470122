"""Page/limit parameters (default 10, max 100) and the page of results services return."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query

T = TypeVar("T")

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


@dataclass(frozen=True)
class PageParams:
    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


async def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-indexed page")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(page=page, limit=limit)


Pagination = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    params: PageParams

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.params.limit) if self.total else 0

    @property
    def has_next(self) -> bool:
        return self.params.page < self.total_pages

    @property
    def has_prev(self) -> bool:
        return self.params.page > 1
