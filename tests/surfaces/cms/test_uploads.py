"""EV-CMS "File Uploads" over HTTP: the documented response, types decided from the
bytes, limits enforced while the body streams, metadata stripped from images, and who
may read a stored file."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import httpx
from PIL import Image
from sqlalchemy import func, select

from evcare.core.runtime import Runtime
from evcare.files.models import Upload
from evcare.identity.models import Role
from evcare.identity.scopes import Scope
from tests.factories.files import (
    GPS_IFD,
    UPLOAD,
    docx,
    gif,
    jpeg,
    pdf,
    png,
    upload,
    uploaded,
)
from tests.factories.identity import signed_in
from tests.factories.vehicles import narrowed
from tests.surfaces.cms.test_auth import assert_cms_error, error_fields

MIB = 1024 * 1024


async def _uploads(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Upload)) or 0)


def _leftovers(runtime: Runtime) -> list[str]:
    incoming = runtime.settings.data_dir / "uploads" / ".incoming"
    return [p.name for p in incoming.iterdir()] if incoming.exists() else []


async def test_an_image_is_stored_under_a_random_name_and_served_without_its_exif(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    original = jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # GPS is there
    # The name and the client's mimetype lie; the bytes decide.
    response = await upload(
        client, headers, original, kind="profile", filename="me.png", mimetype="image/png"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"url", "filename", "size", "mimetype"}
    assert data["mimetype"] == "image/jpeg"
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", data["filename"])
    assert data["url"] == f"http://testserver/uploads/profile/{data['filename']}"
    stored = runtime.settings.data_dir / "uploads" / "profile" / data["filename"]
    assert stored.stat().st_size == data["size"]
    async with runtime.sessionmaker() as session:
        row = await session.scalar(select(Upload))
    assert row is not None and row.owner_id == user.id and row.kind == "profile"
    assert row.content_type == "image/jpeg" and row.size_bytes == data["size"]

    served = await client.get(data["url"])  # public: no token needed
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (32, 24)
    assert len(image.getexif()) == 0
    assert "comment" not in image.info
    assert b"EVCare Test Camera" not in served.content
    assert _leftovers(runtime) == []


async def test_the_cameras_orientation_is_applied_before_the_exif_is_dropped(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    data = await uploaded(client, headers, jpeg(orientation=6), kind="vehicle")
    image = Image.open(io.BytesIO((await client.get(data["url"])).content))
    assert image.size == (24, 32)  # turned upright, as a viewer would have shown it
    assert len(image.getexif()) == 0


async def test_png_text_and_exif_and_gif_comments_are_stripped(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    data = await uploaded(client, headers, png(), kind="station")
    assert data["mimetype"] == "image/png" and data["filename"].endswith(".png")
    served = (await client.get(data["url"])).content
    image = Image.open(io.BytesIO(served))
    assert "Location" not in image.info and len(image.getexif()) == 0
    assert b"19.07N" not in served
    data = await uploaded(client, headers, gif(), kind="profile")
    served = (await client.get(data["url"])).content
    assert data["mimetype"] == "image/gif" and b"secret comment" not in served


async def test_a_document_is_readable_by_its_owner_and_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    _, stranger = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    data = await uploaded(client, headers, pdf(), kind="document")
    assert data["mimetype"] == "application/pdf" and data["filename"].endswith(".pdf")
    assert_cms_error(await client.get(data["url"]), 401)
    assert_cms_error(await client.get(data["url"], headers=stranger), 404)
    for who in (headers, admin):
        served = await client.get(data["url"], headers=who)
        assert served.status_code == 200
        assert served.content == pdf()
        assert served.headers["content-type"] == "application/pdf"
        assert served.headers["content-disposition"].startswith("attachment")
        assert served.headers["cache-control"] == "private, no-store"
    data = await uploaded(client, headers, docx(), kind="document")
    assert data["mimetype"].endswith("wordprocessingml.document")
    assert data["filename"].endswith(".docx")


async def test_a_file_that_is_not_stored_is_404_in_the_cms_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for path in (
        "/uploads/profile/" + "0" * 32 + ".jpg",
        "/uploads/profile/..%2F..%2Fevcare.db",
        "/uploads/secret/" + "0" * 32 + ".jpg",
    ):
        assert_cms_error(await client.get(path), 404)


async def test_spoofed_unsupported_and_empty_files_are_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    cases = [
        # A script named and typed as a JPEG.
        (b"<script>alert(1)</script>" * 10, "profile", "photo.jpg", "image/jpeg", 422),
        # An executable claiming to be a PDF.
        (b"MZ\x90\x00" + b"\x00" * 600, "document", "cv.pdf", "application/pdf", 422),
        (b"", "document", "empty.pdf", "application/pdf", 422),
        # A real PDF is no profile picture.
        (pdf(), "profile", "me.jpg", "image/jpeg", 422),
    ]
    for content, kind, name, mimetype, status in cases:
        response = await upload(
            client, headers, content, kind=kind, filename=name, mimetype=mimetype
        )
        assert error_fields(assert_cms_error(response, status)) == ["file"], response.text
    assert await _uploads(runtime) == 0
    assert _leftovers(runtime) == []


async def test_the_form_itself_is_checked_field_by_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    image = jpeg()
    missing_type = await client.post(UPLOAD, headers=headers, files={"file": ("a", image)})
    assert error_fields(assert_cms_error(missing_type, 422)) == ["type"]
    unknown = await upload(client, headers, image, kind="avatar")
    assert error_fields(assert_cms_error(unknown, 422)) == ["type"]
    no_file = await client.post(UPLOAD, headers=headers, files={"type": (None, "profile")})
    assert error_fields(assert_cms_error(no_file, 422)) == ["file"]
    extra = await client.post(
        UPLOAD, headers=headers, data={"type": "profile", "owner": "1"}, files={"file": image}
    )
    assert error_fields(assert_cms_error(extra, 422)) == ["owner"]
    as_json = await client.post(UPLOAD, headers=headers, json={"type": "profile"})
    assert error_fields(assert_cms_error(as_json, 422)) == ["body"]
    assert await _uploads(runtime) == 0


def _multipart(head: bytes, fill: int, *, chunk: int = 64 * 1024) -> tuple[bytes, bytes, int]:
    boundary = b"evcare-boundary"
    prefix = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="type"\r\n\r\n'
        b"document\r\n--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="big"\r\nContent-Type: application/octet-stream\r\n\r\n' + head
    )
    suffix = b"\r\n--" + boundary + b"--\r\n"
    return prefix, suffix, fill


class _Body:
    """A streamed body that counts how much of it the server asked for."""

    def __init__(self, head: bytes, total: int) -> None:
        self.prefix, self.suffix, _ = _multipart(head, total)
        self.total = total
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.prefix
        self.sent += len(self.prefix)
        chunk = b"\0" * (64 * 1024)
        while self.sent < self.total:
            yield chunk
            self.sent += len(chunk)
        yield self.suffix


async def _stream(
    client: httpx.AsyncClient, headers: dict[str, str], body: _Body, **extra: str
) -> httpx.Response:
    return await client.post(
        UPLOAD,
        headers={
            **headers,
            "content-type": "multipart/form-data; boundary=evcare-boundary",
            **extra,
        },
        content=body.__aiter__(),
    )


async def test_an_oversize_image_is_refused_while_it_streams_not_after(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    body = _Body(jpeg(), 9 * MIB)  # within the document limit, over the image one
    response = await _stream(client, headers, body)
    assert error_fields(assert_cms_error(response, 413)) == ["file"]
    assert "5 MB" in response.json()["errors"][0]["message"]
    assert body.sent < 5 * MIB + 256 * 1024  # stopped at the chunk crossing 5 MB
    assert await _uploads(runtime) == 0
    assert _leftovers(runtime) == []


async def test_an_oversize_document_is_refused_at_ten_megabytes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    body = _Body(pdf(), 30 * MIB)
    response = await _stream(client, headers, body)
    assert "10 MB" in assert_cms_error(response, 413)["errors"][0]["message"]  # type: ignore[index]
    assert body.sent < 10 * MIB + 256 * 1024
    # A declared length over the limit is refused before a byte of the body is read.
    declared = _Body(pdf(), 30 * MIB)
    response = await _stream(client, headers, declared, **{"content-length": str(30 * MIB)})
    assert_cms_error(response, 413)
    assert declared.sent == 0
    assert _leftovers(runtime) == []


async def test_a_document_just_under_its_limit_is_kept_whole(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    content = pdf(padding=10 * MIB - 200)
    data = await uploaded(client, headers, content)
    assert data["size"] == len(content) <= 10 * MIB


async def test_uploading_needs_a_token_and_the_files_scope(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert_cms_error(await upload(client, {}, jpeg(), kind="profile"), 401)
    _, headers = await signed_in(runtime, client)
    token = headers["Authorization"].removeprefix("Bearer ")
    narrow = narrowed(runtime, token, without=Scope.WRITE_FILES)
    body = assert_cms_error(await upload(client, narrow, jpeg(), kind="profile"), 403)
    assert body["message"] == "WRITE:FILES scope required"


async def test_the_openapi_document_declares_the_multipart_form_and_its_errors(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    operation = document["paths"]["/upload"]["post"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file", "type"]
    assert form["properties"]["type"]["enum"] == ["profile", "vehicle", "document", "station"]
    assert {"201", "401", "403", "413", "422"} <= set(operation["responses"])


async def test_the_streamed_route_still_has_its_query_headers_and_fields_checked(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    query = await client.post(
        f"{UPLOAD}?note=%00", headers=headers, data={"type": "profile"}, files={"file": jpeg()}
    )
    assert error_fields(assert_cms_error(query, 422)) == ["note"]
    field = await upload(client, headers, jpeg(), kind="profile\x00")
    assert error_fields(assert_cms_error(field, 422)) == ["type"]
    assert await _uploads(runtime) == 0
