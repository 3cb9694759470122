"""A ``multipart/form-data`` request read as it streams: one file part handed to a sink
chunk by chunk, a few short text fields kept.

Starlette's form parser spools every file whole before the route sees it; an upload
route must refuse an oversize file at the chunk that crosses its limit instead. So the
body is fed to ``python-multipart``'s push parser as it arrives, the whole body is
bounded (``Content-Length`` first, then counted), and the sink (the file store's intake)
raises as soon as the file is too large or is not a type it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from evcare.core.errors import ContentTooLarge, FieldError, ValidationFailed

MAX_FIELD_BYTES = 200
MAX_PARTS = 8
# Room for the part headers and boundaries around the largest file a route takes.
ENVELOPE_BYTES = 64 * 1024


class FileSink(Protocol):
    def write(self, chunk: bytes) -> None:
        """Take a chunk of the file (raise to refuse it: too large, wrong type)."""

    async def flush(self) -> None:
        """Store what was written since the last flush."""


def _refuse(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message}", fields=[FieldError(name, message)])


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _FormReader:
    def __init__(self, *, file_field: str, fields: frozenset[str], sink: FileSink) -> None:
        self.file_field = file_field
        self.allowed = fields
        self.sink = sink
        self.values: dict[str, str] = {}
        self.file_seen = False
        self.ended = False
        self.parts = 0
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise _refuse("body", f"at most {MAX_PARTS} form fields")
        self._part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._part.headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        raw = options.get(b"name")
        try:
            name = None if raw is None else raw.decode("utf-8")
        except UnicodeDecodeError:
            name = None
        if name is None:
            raise _refuse("body", "every form part needs a name")
        if name != self.file_field and name not in self.allowed:
            raise _refuse(name[:50], "is not a field of this form")
        if name == self.file_field:
            if self.file_seen:
                raise _refuse(name, "send one file only")
            self.file_seen = True
        elif name in self.values:
            raise _refuse(name, "send this field once")
        self._part.name = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part.name == self.file_field:
            self.sink.write(data[start:end])
            return
        self._part.data += data[start:end]
        if len(self._part.data) > MAX_FIELD_BYTES:
            raise _refuse(str(self._part.name), f"at most {MAX_FIELD_BYTES} bytes")

    def on_end(self) -> None:
        self.ended = True

    def on_part_end(self) -> None:
        name = self._part.name
        if name is None or name == self.file_field:
            return
        try:
            self.values[name] = self._part.data.decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse(name, "must be UTF-8 text") from None


async def read_form(
    request: Request, *, file_field: str, fields: frozenset[str], sink: FileSink, max_file: int
) -> dict[str, str]:
    """Stream the form into ``sink`` (its file) and return its text fields; a body longer
    than ``max_file`` plus the form's envelope is refused (413) without being read."""
    media_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise _refuse("body", "must be multipart/form-data with a boundary")
    limit = max_file + ENVELOPE_BYTES
    declared = request.headers.get("content-length", "")
    too_large = ContentTooLarge(
        f"{file_field}: must be at most {max_file // (1024 * 1024)} MB",
        fields=[FieldError(file_field, f"must be at most {max_file // (1024 * 1024)} MB")],
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    reader = _FormReader(file_field=file_field, fields=fields, sink=sink)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": reader.on_part_begin,
            "on_part_data": reader.on_part_data,
            "on_part_end": reader.on_part_end,
            "on_header_field": reader.on_header_field,
            "on_header_value": reader.on_header_value,
            "on_header_end": reader.on_header_end,
            "on_headers_finished": reader.on_headers_finished,
            "on_end": reader.on_end,
        },
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large
            parser.write(chunk)
            await sink.flush()
        parser.finalize()
    except FormParserError:
        raise _refuse("body", "is not a well-formed multipart/form-data body") from None
    if not reader.ended:
        raise _refuse("body", "ended before the form's closing boundary")
    if not reader.file_seen:
        raise _refuse(file_field, "is required")
    return reader.values
