"""KYC submissions: one document per submission, its number encrypted, its images
private uploads of the submitter."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base


class DocumentType(StrEnum):
    AADHAAR = "aadhaar"
    PAN = "pan"
    DRIVING_LICENSE = "driving_license"
    PASSPORT = "passport"


class KycStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class KycSubmission(Base):
    __tablename__ = "kyc_submission"
    __table_args__ = (
        Index("ix_kyc_submission_user_submitted", "user_id", "submitted_at"),
        Index("ix_kyc_submission_status_submitted", "status", "submitted_at"),
        # One pending submission per user: the second of two racing submits fails here.
        Index(
            "uq_kyc_submission_one_pending",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    document_type: Mapped[str] = mapped_column(String(20))
    # Fernet token of the normalised number (EVCARE_KYC_ENCRYPTION_KEY); never shown.
    number_ciphertext: Mapped[str] = mapped_column(Text)
    # What every response and log shows: the number's last four characters.
    number_last4: Mapped[str] = mapped_column(String(4))
    front_upload_id: Mapped[int] = mapped_column(ForeignKey("upload.id", ondelete="CASCADE"))
    back_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("upload.id", ondelete="CASCADE"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default=KycStatus.PENDING)
    notes: Mapped[str | None] = mapped_column(String(1000), default=None)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
