"""Uploads through the EV-CMS route, in process (``httpx.ASGITransport``, SQLite file):

- a 4 MB JPEG (decoded and written again without its metadata) and a 9.5 MB PDF (kept
  byte for byte): time per upload and MB/s;
- a 30 MB body that claims to be a document and a 9 MB body behind a JPEG header: how many
  bytes the server read before its 413 and how long that took, against reading the whole
  body (the 9.5 MB PDF's time scaled to the size).

    .venv/bin/python bench/uploads.py [--repeat 5]

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/uploads.py``, bench/ comes first on the path and its http.py would
# stand in for the standard library's ``http`` (which httpx needs): take the folder off.
sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import asyncio
import io
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator

import httpx
from asgi_lifespan import LifespanManager
from cryptography.fernet import Fernet
from PIL import Image

from evcare.app import create_app
from evcare.core.config import Settings
from evcare.core.migrate import upgrade
from evcare.identity.models import Role, User

MIB = 1024 * 1024
BOUNDARY = b"bench-boundary"


def big_jpeg() -> bytes:
    """About 4 MB: noise compresses badly, as a phone photo's detail does."""
    side = 1650
    image = Image.frombytes("RGB", (side, side), random.Random(7).randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=98)
    return out.getvalue()


def big_pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n"
    return head + b"%" + b"0" * (size - len(head) - 8) + b"\n%%EOF\n"


class Body:
    """A multipart body streamed in 64 KiB chunks, counting what the server asked for."""

    def __init__(self, head: bytes, total: int) -> None:
        self.prefix = (
            b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="type"\r\n\r\n'
            b"document\r\n--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; '
            b'filename="f"\r\n\r\n' + head
        )
        self.total = total
        self.sent = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.prefix
        self.sent = len(self.prefix)
        chunk = b"\0" * (64 * 1024)
        while self.sent < self.total:
            yield chunk
            self.sent += len(chunk)
        yield b"\r\n--" + BOUNDARY + b"--\r\n"


async def main(repeat: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="evcare-bench-uploads-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade(url)
    settings = Settings(
        environment="test",
        database_url=url,
        data_dir=folder,
        rate_limit="1000000/minute",
        log_level="WARNING",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        kyc_encryption_key=Fernet.generate_key().decode(),
    )
    app = create_app(settings)
    async with LifespanManager(app):
        runtime = app.state.runtime
        async with runtime.sessionmaker() as session:
            user = User(
                email="bench@uploads.evcare.dev",
                first_name="Bench",
                role=Role.USER,
                password_hash=runtime.credentials.passwords.hash("Password@123"),
            )
            session.add(user)
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/api/v1/auth/login",
                json={"email": "bench@uploads.evcare.dev", "password": "Password@123"},
            )
            headers = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
            jpeg, pdf = big_jpeg(), big_pdf(int(9.5 * MIB))

            async def timed(content: bytes, kind: str) -> float:
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = await client.post(
                        "/api/v1/upload",
                        headers=headers,
                        data={"type": kind},
                        files={"file": ("f", content)},
                    )
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 201, response.text
                return statistics.median(times)

            jpeg_s = await timed(jpeg, "profile")
            pdf_s = await timed(pdf, "document")
            print(
                f"JPEG {len(jpeg) / MIB:.1f} MB, EXIF stripped: {jpeg_s * 1000:.0f} ms "
                f"({len(jpeg) / MIB / jpeg_s:.0f} MB/s)"
            )
            print(
                f"PDF  {len(pdf) / MIB:.1f} MB, kept as is:   {pdf_s * 1000:.0f} ms "
                f"({len(pdf) / MIB / pdf_s:.0f} MB/s)"
            )
            for label, head, total in (
                ("30 MB document", pdf[:9], 30 * MIB),
                ("9 MB behind a JPEG header", jpeg[:8192], 9 * MIB),
            ):
                body = Body(head, total)
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/upload",
                    headers={
                        **headers,
                        "content-type": f"multipart/form-data; boundary={BOUNDARY.decode()}",
                    },
                    content=body.chunks(),
                )
                elapsed = time.perf_counter() - started
                assert response.status_code == 413, response.text
                whole = pdf_s * total / len(pdf)
                print(
                    f"{label}: 413 after reading {body.sent / MIB:.2f} of "
                    f"{total / MIB:.0f} MB in {elapsed * 1000:.0f} ms "
                    f"(reading it whole: ~{whole * 1000:.0f} ms, "
                    f"{elapsed / whole:.2f}x)"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeat))
