"""EV-CMS section 15: KYC (``/api/v1/kyc``).

Users submit one document at a time and read their status; admins list, read and
decide. Document numbers are only ever shown masked (``XXXXXXXX1234``); images are the
submitter's private ``document`` uploads. Rules: :mod:`evcare.kyc.service`,
docs/support.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.kyc import service
from evcare.kyc.models import DocumentType, KycStatus
from evcare.kyc.service import KycView
from evcare.kyc.vault import NumberVault
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator, RuntimeDep, origin_of
from evcare.surfaces.ids import UserId

router = APIRouter(prefix="/kyc", tags=["kyc"], route_class=TransactionalRoute)

KycRead = Annotated[Principal, Depends(Authenticator(Scope.READ_PROFILE))]
KycWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_PROFILE))]
KycManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_KYC))]

DocumentTypeName = Literal["aadhaar", "pan", "driving_license", "passport"]
Status = Literal["pending", "approved", "rejected"]
ImageUrl = Annotated[str, Field(min_length=1, max_length=500)]


class KycOut(CamelModel):
    id: str
    user_id: str
    user_name: str
    document_type: DocumentTypeName
    document_number: str = Field(description="masked: only the last four characters")
    front_image: str
    back_image: str | None = None
    status: Status
    notes: str | None = None
    submitted_at: datetime
    reviewed_at: datetime | None = None

    @classmethod
    def of(cls, view: KycView, origin: str) -> KycOut:
        row = view.submission
        return cls(
            id=str(row.id),
            user_id=str(row.user_id),
            user_name=view.user_name,
            document_type=cast(DocumentTypeName, row.document_type),
            document_number=view.masked_number,
            front_image=origin + view.front_image,
            back_image=None if view.back_image is None else origin + view.back_image,
            status=cast(Status, row.status),
            notes=row.notes,
            submitted_at=row.submitted_at,
            reviewed_at=row.reviewed_at,
        )


class KycBody(CamelModel):
    kyc: KycOut


class StatusBody(CamelModel):
    status: Literal["not_submitted", "pending", "approved", "rejected"]
    documents: list[KycOut]


class SubmissionsBody(CamelModel):
    submissions: list[KycOut]


class SubmitIn(StrictCamelModel):
    document_type: DocumentTypeName
    document_number: str = Field(min_length=1, max_length=40)
    front_image: ImageUrl
    back_image: ImageUrl | None = None


class VerifyIn(StrictCamelModel):
    status: Literal["approved", "rejected"]
    notes: str | None = Field(default=None, max_length=1000)


@router.get("/status", operation_id="cms_kyc_status")
async def kyc_status(
    principal: KycRead, session: SessionDep, request: Request, runtime: RuntimeDep
) -> Envelope[StatusBody]:
    status, views = await service.my_status(session, principal)
    origin = origin_of(request, runtime)
    return Envelope(
        data=StatusBody(
            status=cast(Literal["not_submitted", "pending", "approved", "rejected"], status),
            documents=[KycOut.of(view, origin) for view in views],
        )
    )


@router.post("/submit", status_code=201, operation_id="cms_kyc_submit")
async def submit(
    body: SubmitIn,
    principal: KycWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[KycBody]:
    view = await service.submit(
        session,
        principal,
        NumberVault(runtime.settings.kyc_encryption_key.get_secret_value()),
        document_type=DocumentType(body.document_type),
        document_number=body.document_number,
        front_image=body.front_image,
        back_image=body.back_image,
    )
    return Envelope(
        message="KYC submitted for review",
        data=KycBody(kyc=KycOut.of(view, origin_of(request, runtime))),
    )


@router.get("/list", operation_id="cms_kyc_list")
async def list_submissions(
    principal: KycManage,
    session: SessionDep,
    page: Pagination,
    request: Request,
    runtime: RuntimeDep,
    status: Annotated[Status | None, Query()] = None,
) -> PagedEnvelope[SubmissionsBody]:
    """Every submission (of ``status``), oldest first: the review queue."""
    result = await service.list_submissions(session, page, status=status)
    origin = origin_of(request, runtime)
    return PagedEnvelope(
        data=SubmissionsBody(submissions=[KycOut.of(view, origin) for view in result.items]),
        pagination=PaginationOut.of(cast(Page[object], result)),
    )


@router.get("/users/{userId}", operation_id="cms_kyc_of_user")
async def user_kyc(
    user_id: Annotated[UserId, Path(alias="userId")],
    principal: KycManage,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[KycBody]:
    view = await service.user_kyc(session, user_id)
    return Envelope(data=KycBody(kyc=KycOut.of(view, origin_of(request, runtime))))


@router.put("/users/{userId}/verify", operation_id="cms_kyc_verify")
async def verify(
    user_id: Annotated[UserId, Path(alias="userId")],
    body: VerifyIn,
    principal: KycManage,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[KycBody]:
    view = await service.verify(
        session, principal, user_id=user_id, status=KycStatus(body.status), notes=body.notes
    )
    return Envelope(
        message=f"KYC {body.status}",
        data=KycBody(kyc=KycOut.of(view, origin_of(request, runtime))),
    )
