"""KYC rules (docs/support.md, "KYC").

- A user submits one document at a time: a second submission while one is pending is
  refused (409; a unique index settles two racing submits). The number is checked by its
  type's real format (:mod:`.numbers`), stored encrypted (:mod:`.vault`) and only ever
  shown as its last four characters. The images are ``document`` uploads (private: the
  owner and admins may fetch them) of the submitter's own, images not PDFs.
- The user's status: ``approved`` once any submission was approved, else that of the
  newest (``pending``, ``rejected``), else ``not_submitted``.
- Admins list submissions, read a user's, and decide the pending one: ``approved`` or
  ``rejected`` (a rejection says why: ``notes`` required). The user is told (notifier).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from evcare.core.events import publish
from evcare.core.pagination import Page, PageParams
from evcare.files import repository as files_repository
from evcare.files import service as files
from evcare.files.models import UploadKind
from evcare.identity import repository as identity_repository
from evcare.identity.principal import Principal
from evcare.kyc import numbers, repository
from evcare.kyc.models import DocumentType, KycStatus, KycSubmission
from evcare.kyc.vault import NumberVault

KYC_DECIDED = "kyc.decided"
NOT_SUBMITTED = "not_submitted"
_IMAGE_KINDS = frozenset({UploadKind.DOCUMENT})


@dataclass(frozen=True)
class KycView:
    submission: KycSubmission
    user_name: str
    front_image: str  # upload URL path
    back_image: str | None

    @property
    def masked_number(self) -> str:
        return numbers.masked(self.submission.number_last4)


async def _views(session: AsyncSession, rows: list[KycSubmission]) -> list[KycView]:
    uploads = await files_repository.by_ids(
        session,
        [row.front_upload_id for row in rows]
        + [row.back_upload_id for row in rows if row.back_upload_id is not None],
    )
    names = await identity_repository.names_of(session, [row.user_id for row in rows])
    return [
        KycView(
            submission=row,
            user_name=names.get(row.user_id, ""),
            front_image=files.url_path(uploads[row.front_upload_id]),
            back_image=None
            if row.back_upload_id is None
            else files.url_path(uploads[row.back_upload_id]),
        )
        for row in rows
    ]


def status_of(rows: list[KycSubmission]) -> str:
    """The user's KYC status from their submissions, newest first (the module's rule)."""
    if any(row.status == KycStatus.APPROVED for row in rows):
        return KycStatus.APPROVED
    return rows[0].status if rows else NOT_SUBMITTED


async def my_status(session: AsyncSession, principal: Principal) -> tuple[str, list[KycView]]:
    rows = await repository.of_user(session, principal.user_id)
    return status_of(rows), await _views(session, rows)


async def submit(
    session: AsyncSession,
    principal: Principal,
    vault: NumberVault,
    *,
    document_type: DocumentType,
    document_number: str,
    front_image: str,
    back_image: str | None,
) -> KycView:
    """Submit one document for review (the module's rules)."""
    number = numbers.normalise(document_type, document_number)
    images = {"frontImage": front_image} | ({"backImage": back_image} if back_image else {})
    uploads = {
        field: (
            await files.owned_uploads(
                session,
                principal,
                urls=[url],
                field=field,
                kinds=_IMAGE_KINDS,
                images_only=True,
                indexed=False,
            )
        )[0]
        for field, url in images.items()
    }
    if await repository.pending_of(session, principal.user_id) is not None:
        raise _pending_conflict()
    row = KycSubmission(
        user_id=principal.user_id,
        document_type=document_type,
        number_ciphertext=vault.seal(number),
        number_last4=number[-4:],
        front_upload_id=uploads["frontImage"].id,
        back_upload_id=uploads["backImage"].id if "backImage" in uploads else None,
        status=KycStatus.PENDING,
        submitted_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise _pending_conflict() from None
    return (await _views(session, [row]))[0]


def _pending_conflict() -> Conflict:
    message = "a submission is already pending review"
    return Conflict(f"KYC: {message}", fields=[FieldError("documentType", message)])


async def list_submissions(
    session: AsyncSession, params: PageParams, *, status: str | None
) -> Page[KycView]:
    page = await repository.listing(session, params, status=status)
    return Page(await _views(session, page.items), page.total, page.params)


async def _user_rows(session: AsyncSession, user_id: int) -> list[KycSubmission]:
    if await identity_repository.get_user(session, user_id) is None:
        raise NotFound(f"User {user_id} not found")
    rows = await repository.of_user(session, user_id)
    if not rows:
        raise NotFound(f"KYC of user {user_id} not found")
    return rows


async def user_kyc(session: AsyncSession, user_id: int) -> KycView:
    """A user's newest submission."""
    rows = await _user_rows(session, user_id)
    return (await _views(session, rows[:1]))[0]


async def verify(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: int,
    status: KycStatus,
    notes: str | None,
) -> KycView:
    """Decide the user's pending submission; the user is told."""
    await _user_rows(session, user_id)
    row = await repository.pending_of(session, user_id)
    if row is None:
        raise Conflict(
            "No KYC submission of this user is pending review",
            fields=[FieldError("status", "nothing is pending review")],
        )
    if status == KycStatus.REJECTED and not notes:
        message = "say why the submission is rejected"
        raise ValidationFailed(f"notes: {message}", fields=[FieldError("notes", message)])
    row.status = status
    row.notes = notes
    row.reviewed_at = utcnow()
    row.reviewed_by = principal.user_id
    await session.flush()
    await publish(
        session,
        KYC_DECIDED,
        {
            "user_id": user_id,
            "category": "kyc",
            "title": f"KYC {status}",
            "message": "Your identity document was approved"
            if status == KycStatus.APPROVED
            else f"Your identity document was rejected: {notes}",
            "data": {"kycId": str(row.id), "status": str(status)},
        },
    )
    return (await _views(session, [row]))[0]
