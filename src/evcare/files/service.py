"""The file store's rules (docs/support.md, "Uploads").

- A file's type is what its bytes are (:mod:`.intake`), never its name or the client's
  ``Content-Type``: images (JPEG, PNG, GIF) up to 5 MB, documents (PDF, DOC, DOCX) up to
  10 MB. ``profile``, ``vehicle`` and ``station`` uploads are images; a ``document`` may
  be either (a scanned ID card is an image).
- Images are written again without their metadata (:mod:`.images`).
- Each file is kept under a random name in ``<data_dir>/uploads/<type>/``. Public types
  are readable by anyone holding the URL; a ``document`` only by its owner and admins
  (anyone else: 404, as if it did not exist).
- Other contexts take upload URLs (KYC images, ticket attachments) through
  :func:`owned_uploads`: each must name an upload of the caller's own.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from evcare.files import repository
from evcare.files.images import clean_image
from evcare.files.intake import Intake
from evcare.files.models import PUBLIC_KINDS, Upload, UploadKind
from evcare.identity.principal import Principal

FOLDER = "uploads"
_NAME = r"[0-9a-f]{32}\.(?:jpg|png|gif|pdf|doc|docx)"
NAME = re.compile(_NAME)
_PATH = re.compile(rf"/{FOLDER}/(profile|vehicle|document|station)/({_NAME})")


def folder_of(data_dir: Path) -> Path:
    return data_dir / FOLDER


def begin_upload(data_dir: Path) -> Intake:
    """Where the next file is received (a temporary file under the uploads folder)."""
    return Intake(folder_of(data_dir) / ".incoming")


def path_of(data_dir: Path, upload: Upload) -> Path:
    return folder_of(data_dir) / upload.kind / upload.stored_name


def url_path(upload: Upload) -> str:
    """The upload's URL without its origin: ``/uploads/<type>/<filename>``."""
    return f"/{FOLDER}/{upload.kind}/{upload.stored_name}"


async def store_upload(
    session: AsyncSession,
    principal: Principal,
    *,
    data_dir: Path,
    kind: UploadKind,
    intake: Intake,
) -> Upload:
    """Keep the received file as the caller's upload of ``kind``.

    Rule: public kinds take images only; the temporary file is gone afterwards, kept or
    refused."""
    try:
        file_type = await intake.finish()
        if kind in PUBLIC_KINDS and not file_type.is_image:
            message = f"a {kind} upload must be an image (JPEG, PNG or GIF)"
            raise ValidationFailed(f"file: {message}", fields=[FieldError("file", message)])
        name = f"{secrets.token_hex(16)}.{file_type.extension}"
        target = folder_of(data_dir) / kind / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if file_type.is_image:
            size = await asyncio.to_thread(
                clean_image, intake.path, target, content_type=file_type.content_type
            )
        else:
            os.replace(intake.path, target)
            size = intake.size
    finally:
        intake.discard()
    upload = Upload(
        owner_id=principal.user_id,
        kind=kind,
        stored_name=name,
        content_type=file_type.content_type,
        size_bytes=size,
    )
    return await repository.add(session, upload)


async def open_upload(
    session: AsyncSession,
    principal: Principal | None,
    *,
    data_dir: Path,
    kind: str,
    filename: str,
) -> tuple[Upload, Path]:
    """The upload and its file, for whoever may read it (a document: owner and admins)."""
    row = None
    if NAME.fullmatch(filename):
        row = await repository.by_name(session, kind=kind, stored_name=filename)
    if row is not None and row.kind not in PUBLIC_KINDS:
        if principal is None:
            raise Unauthorized("Not authenticated: documents are readable by their owner")
        if not (principal.is_admin or principal.user_id == row.owner_id):
            row = None
    path = None if row is None else path_of(data_dir, row)
    if row is None or path is None or not path.is_file():
        raise NotFound(f"File {filename} not found")
    return row, path


def reference_of(url: str) -> tuple[str, str] | None:
    """``(type, filename)`` of an upload URL (any origin, or just its path), else None."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _PATH.fullmatch(path)
    return None if match is None else (match.group(1), match.group(2))


async def owned_uploads(
    session: AsyncSession,
    principal: Principal,
    *,
    urls: Sequence[str],
    field: str,
    kinds: frozenset[UploadKind] | None = None,
    images_only: bool = False,
    indexed: bool = True,
) -> list[Upload]:
    """The uploads ``urls`` name, in order; each must be one of the caller's own (of
    ``kinds``, an image when ``images_only``), else a 422 naming ``field`` (``field.1``
    for the second of a list, unless not ``indexed``)."""
    references = [reference_of(url) for url in urls]
    found = await repository.by_names(session, [ref for ref in references if ref is not None])
    by_ref = {(row.kind, row.stored_name): row for row in found}
    uploads: list[Upload] = []
    errors: list[FieldError] = []
    for index, ref in enumerate(references):
        name = f"{field}.{index}" if indexed else field
        row = None if ref is None else by_ref.get(ref)
        if row is None or row.owner_id != principal.user_id:
            errors.append(FieldError(name, "must be the URL of a file you uploaded"))
        elif kinds is not None and row.kind not in kinds:
            allowed = " or ".join(sorted(kinds))
            errors.append(FieldError(name, f"must be a {allowed} upload"))
        elif images_only and not row.content_type.startswith("image/"):
            errors.append(FieldError(name, "must be an image (JPEG, PNG or GIF)"))
        else:
            uploads.append(row)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), fields=errors)
    return uploads
