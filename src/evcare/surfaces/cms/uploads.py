"""EV-CMS "File Uploads": ``POST /api/v1/upload`` and the files at ``/uploads/<type>/<filename>``.

The form (``file``, ``type``) is read as it streams (:mod:`evcare.surfaces.multipart`):
a file over its limit is refused at the chunk that crosses it (413), a file whose bytes
are no accepted type at its first 8 KiB (422). Rules: :mod:`evcare.files.service`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import FileResponse

from evcare.core.errors import FieldError, ValidationFailed
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.files import service as files
from evcare.files.intake import DOCUMENT_LIMIT
from evcare.files.models import PUBLIC_KINDS, Upload, UploadKind
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.errors import render_cms_error
from evcare.surfaces.cms.schemas import CamelModel, Envelope
from evcare.surfaces.deps import Authenticator, RuntimeDep, origin_of
from evcare.surfaces.errors import install_error_handlers
from evcare.surfaces.multipart import read_form
from evcare.surfaces.revcare.visitor import Visitor

router = APIRouter(tags=["uploads"], route_class=TransactionalRoute)
FilesWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_FILES))]
# The route whose body the input guard leaves to it (it reads and bounds the stream).
STREAMED = frozenset({"POST /upload"})

KINDS = [kind.value for kind in UploadKind]
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "type"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "JPEG, PNG or GIF up to 5 MB; PDF, DOC or DOCX "
                            "up to 10 MB (type decided from the content)",
                        },
                        "type": {"type": "string", "enum": KINDS},
                    },
                }
            }
        },
    }
}


class UploadOut(CamelModel):
    url: str
    filename: str
    size: int
    mimetype: str


def upload_url(origin: str, upload: Upload) -> str:
    return origin + files.url_path(upload)


def _kind(values: dict[str, str]) -> UploadKind:
    raw = values.get("type")
    if raw is None:
        raise ValidationFailed("type: is required", fields=[FieldError("type", "is required")])
    try:
        return UploadKind(raw)
    except ValueError:
        message = f"must be one of {', '.join(KINDS)}"
        raise ValidationFailed(f"type: {message}", fields=[FieldError("type", message)]) from None


@router.post("/upload", status_code=201, operation_id="cms_upload", openapi_extra=_UPLOAD_BODY)
async def upload(
    request: Request, principal: FilesWrite, session: SessionDep, runtime: RuntimeDep
) -> Envelope[UploadOut]:
    """Upload a file (``multipart/form-data``: ``file``, ``type``)."""
    intake = files.begin_upload(runtime.settings.data_dir)
    try:
        values = await read_form(
            request,
            file_field="file",
            fields=frozenset({"type"}),
            sink=intake,
            max_file=DOCUMENT_LIMIT,
        )
        stored = await files.store_upload(
            session,
            principal,
            data_dir=runtime.settings.data_dir,
            kind=_kind(values),
            intake=intake,
        )
    finally:
        intake.discard()
    return Envelope(
        message="File uploaded",
        data=UploadOut(
            url=upload_url(origin_of(request, runtime), stored),
            filename=stored.stored_name,
            size=stored.size_bytes,
            mimetype=stored.content_type,
        ),
    )


files_router = APIRouter(route_class=TransactionalRoute)


@files_router.get("/{kind}/{filename}", include_in_schema=False)
async def download(
    kind: Annotated[str, Path()],
    filename: Annotated[str, Path()],
    visitor: Visitor,
    session: SessionDep,
    runtime: RuntimeDep,
) -> FileResponse:
    """A stored file: public kinds for anyone, documents for their owner and admins."""
    row, path = await files.open_upload(
        session, visitor, data_dir=runtime.settings.data_dir, kind=kind, filename=filename
    )
    public = row.kind in PUBLIC_KINDS
    return FileResponse(
        path,
        media_type=row.content_type,
        content_disposition_type="inline"
        if row.content_type.startswith("image/")
        else "attachment",
        filename=row.stored_name,
        headers={
            "Cache-Control": "public, max-age=86400" if public else "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def build_files_app(runtime: Runtime) -> FastAPI:
    """``/uploads``: the stored files, errors in the EV-CMS shape (it is EV-CMS's URL)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False)
    app.state.runtime = runtime
    install_error_handlers(app, render_cms_error)
    app.include_router(files_router)
    return app
