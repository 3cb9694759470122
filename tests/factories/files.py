"""Real files for upload tests (JPEG with GPS in its EXIF, PNG, GIF, PDF, DOCX) and the
upload call itself."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from PIL import Image

UPLOAD = "/api/v1/upload"
GPS_IFD = 0x8825


def jpeg(*, size: tuple[int, int] = (32, 24), gps: bool = True, orientation: int = 1) -> bytes:
    """A JPEG whose EXIF holds a camera, a GPS position and an orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.putpixel((0, 0), (0, 0, 255))  # the corner that shows how it was turned
    exif = Image.Exif()
    exif[0x010F] = "EVCare Test Camera"  # Make
    exif[0x0112] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (19.0, 4.0, 12.5), 3: "E", 4: (72.0, 52.0, 4.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png(*, size: tuple[int, int] = (16, 16)) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "19.07N 72.87E")
    exif = Image.Exif()
    exif[0x010F] = "EVCare Test Camera"
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 255)).save(out, format="PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8), 1).save(out, format="GIF", comment=b"secret comment")
    return out.getvalue()


def pdf(*, padding: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    return body + b"%" + b"0" * padding + b"\n%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"/>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    *,
    kind: str = "document",
    filename: str = "file.bin",
    mimetype: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        UPLOAD,
        headers=headers,
        data={"type": kind},
        files={"file": (filename, content, mimetype)},
    )


async def uploaded(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, *, kind: str = "document"
) -> dict[str, Any]:
    """The ``data`` of a successful upload."""
    response = await upload(client, headers, content, kind=kind)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data
