"""How RevCare shows a person (admin, customer; mechanics reuse it)."""

from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr, Field

from evcare.core.ids import format_public_id
from evcare.identity.models import Role, User
from evcare.surfaces.revcare.schemas import Name, Password, Phone, RevIn, RevModel

PREFIX = {Role.ADMIN: "ADM", Role.USER: "CST", Role.MECHANIC: "MEC"}


class PersonOut(RevModel):
    id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    status: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> PersonOut:
        return cls(
            id=format_public_id(PREFIX[Role(user.role)], user.id),
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            phone=user.phone,
            status=user.status,
            created_at=user.created_at,
        )


class PersonCreate(RevIn):
    first_name: Name
    last_name: str = Field(default="", max_length=100)
    email: EmailStr = Field(max_length=254)
    phone: Phone | None = None
    password: Password | None = Field(
        default=None, description="optional: without it the account cannot sign in yet"
    )


class PersonUpdate(RevIn):
    first_name: Name | None = None
    last_name: str | None = Field(default=None, max_length=100)
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: Phone | None = None
    password: Password | None = Field(default=None, description="admins only")
