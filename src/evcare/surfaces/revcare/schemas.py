"""RevCare wire conventions: snake_case, the resource itself as the body."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class RevModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RevIn(BaseModel):
    """Request bodies: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Message(RevModel):
    message: str


Name = Annotated[str, Field(min_length=1, max_length=100)]
Phone = Annotated[str, Field(min_length=7, max_length=20, pattern=r"^\+?[0-9]{7,15}$")]
Password = Annotated[str, Field(min_length=8, max_length=128)]
