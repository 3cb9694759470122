"""A file arriving chunk by chunk: its type decided from its first bytes (``filetype``),
its size limit enforced as it grows, its bytes written to a temporary file.

Nothing the client says about the file (its name, its ``Content-Type``) is believed.
The limit is the document limit until the first :data:`SNIFF_BYTES` have arrived (or
the file ended), then the limit of what the bytes are: an oversize file is refused at
the chunk that crosses its limit, never read whole.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype

from evcare.core.errors import ContentTooLarge, FieldError, ValidationFailed

MIB = 1024 * 1024
IMAGE_LIMIT = 5 * MIB
DOCUMENT_LIMIT = 10 * MIB
# filetype looks at most at the first 8 KiB (a .docx is told by the names in its zip).
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    is_image: bool

    @property
    def limit(self) -> int:
        return IMAGE_LIMIT if self.is_image else DOCUMENT_LIMIT


ACCEPTED = {
    t.content_type: t
    for t in (
        FileType("image/jpeg", "jpg", True),
        FileType("image/png", "png", True),
        FileType("image/gif", "gif", True),
        FileType("application/pdf", "pdf", False),
        FileType("application/msword", "doc", False),
        FileType(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
            False,
        ),
    )
}
ACCEPTED_TEXT = "JPEG, PNG or GIF images up to 5 MB; PDF, DOC or DOCX documents up to 10 MB"
FIELD = "file"


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(f"{FIELD}: {message}", fields=[FieldError(FIELD, message)])


def too_large(limit: int) -> ContentTooLarge:
    message = f"must be at most {limit // MIB} MB"
    return ContentTooLarge(f"{FIELD}: {message}", fields=[FieldError(FIELD, message)])


def sniff(head: bytes) -> FileType:
    """What the bytes are, among :data:`ACCEPTED`; anything else is refused."""
    guessed = filetype.guess(head)
    found = ACCEPTED.get(guessed.mime) if guessed is not None else None
    if found is None:
        raise _refuse(f"is not a supported file type ({ACCEPTED_TEXT})")
    return found


class Intake:
    """Receive one file into ``folder``: ``write`` each chunk as it arrives (checked at
    once), ``flush`` after each network read (written in a thread), then ``finish``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{secrets.token_hex(16)}.part"
        self.size = 0
        self.type: FileType | None = None
        self._head = bytearray()
        self._pending: list[bytes] = []
        self._file: BinaryIO | None = self.path.open("wb")

    @property
    def limit(self) -> int:
        return DOCUMENT_LIMIT if self.type is None else self.type.limit

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            raise too_large(self.limit)
        if self.type is None:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self._decide()
        self._pending.append(chunk)

    async def flush(self) -> None:
        """Write what arrived since the last flush, in a worker thread (a slow disk does
        not hold up the event loop)."""
        if not self._pending:
            return
        data, self._pending = b"".join(self._pending), []
        assert self._file is not None
        await asyncio.to_thread(self._file.write, data)

    def _decide(self) -> None:
        self.type = sniff(bytes(self._head))
        if self.size > self.type.limit:
            raise too_large(self.type.limit)

    async def finish(self) -> FileType:
        """The file is complete: what it is (an empty file is refused)."""
        await self.flush()
        self._close()
        if self.size == 0:
            raise _refuse("must not be empty")
        if self.type is None:
            self._decide()
        assert self.type is not None
        return self.type

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)
