"""The one rule for text a surface accepts: no control characters, and a bounded body.

Every string a client sends (query, header, JSON body, form field) may hold tab, CR and
LF, but no other C0 control character (U+0000 to U+001F): PostgreSQL's ``text`` cannot
store U+0000 at all, and the others have no place in names, addresses or messages (they
forge log lines and break CSV exports). A request that breaks the rule is answered 422
in the surface's own error shape, naming the field, before any route runs, so no route
can forget it and nothing is written. A path holding one is 404: it names no resource,
as a malformed id in the path is 404. A body larger than :data:`MAX_BODY_BYTES`
is answered 413 without being read further, and a JSON body nested deeper than
:data:`MAX_JSON_DEPTH` is a 422: Python's JSON decoder recurses once per level and fails
with ``RecursionError`` (a 500) near a thousand, wherever a body is decoded (FastAPI, the
idempotency fingerprint, a webhook route, this guard).

It is an ASGI guard rather than a pydantic type because the strings arrive through many
doors (route parameters, ``Form``, dict-valued JSON fields, raw bodies a route parses
itself, headers) and one check on the raw request covers them all. It costs a byte
search per request; JSON and forms are decoded only when that search finds something.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evcare.core.errors import ErrorReport, FieldError

if TYPE_CHECKING:
    from evcare.surfaces.errors import Renderer

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
CONTROL_MESSAGE = "must not contain control characters"
DEPTH_MESSAGE = f"must not be nested deeper than {MAX_JSON_DEPTH} levels"

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a control character looks like escaped: ``\u00XX`` in JSON, ``%0X``/``%1X`` in a URL.
_JSON_ESCAPE = b"\\u00"
_PERCENT_ESCAPE = re.compile(b"%[01]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A bracket, or a JSON string (escapes included; an unterminated one runs to the end, so
# the scan is linear) whose brackets do not count.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _url_has_control(raw: bytes) -> bool:
    return _PERCENT_ESCAPE.search(raw) is not None or _CONTROL_BYTES.search(raw) is not None


# Where a refused string is, as FastAPI's ``loc``: ``("body", "connectors", "0", "type")``.
Location = tuple[str, ...]


def _json_fields(value: Any, path: Location = ("body",)) -> Iterator[Location]:
    """Where the strings (values or keys) holding a control character are."""
    if isinstance(value, str):
        if has_control(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if has_control(key):
                yield path
            yield from _json_fields(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_fields(item, (*path, str(index)))


def too_deep(body: bytes) -> bool:
    """Whether brackets outside strings nest deeper than :data:`MAX_JSON_DEPTH` (any
    body, whatever its content type claims: a route may decode it regardless)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False  # the common case: too few brackets to nest that deep
    depth = 0
    for token in _JSON_TOKEN.findall(body):
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _query_fields(raw: bytes) -> list[Location]:
    if not _url_has_control(raw):
        return []
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    return [("query", name) for name, value in pairs if has_control(name) or has_control(value)]


def _header_fields(scope: Scope) -> list[Location]:
    headers = scope["headers"]
    if _CONTROL_BYTES.search(b" ".join(value for _, value in headers)) is None:
        return []
    return [
        ("header", name.decode("latin-1"))
        for name, value in headers
        if _CONTROL_BYTES.search(value) is not None
    ]


class InputGuard:
    """Refuses control characters in any text input (422) and oversized bodies (413).

    ``streamed`` names the routes (``POST /upload``, relative to the surface) whose body
    is a file the route reads as it streams and bounds itself: their path, query and
    headers are checked here, their body is left to the route."""

    def __init__(
        self, app: ASGIApp, render: Renderer, streamed: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.render = render
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            report, receive = await inspect_request(
                scope, receive, read_body=_route_of(scope) not in self.streamed
            )
            if report is not None:
                response = self.render(Request(scope), report)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _route_of(scope: Scope) -> str:
    """``METHOD /path`` of the request, relative to the surface it is mounted as."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return f"{scope.get('method', '')} {path}"


async def inspect_request(
    scope: Scope, receive: Receive, *, read_body: bool = True
) -> tuple[ErrorReport | None, Receive]:
    """What refuses the request, if anything, and a ``receive`` that replays its body."""
    if has_control(scope["path"]):
        # A path names a resource, and none is named so: 404, as for a malformed id.
        return _not_found(), receive
    fields = [*_query_fields(scope["query_string"]), *_header_fields(scope)]
    if fields:
        return _control_report(fields), receive
    if not read_body:
        return None, receive
    body = await _read_body(scope, receive)
    if body is None:
        return _too_large(), receive
    if too_deep(body):
        return _too_deep(), receive
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    fields = await _body_fields(scope, replay, body)
    replayed = False  # the route reads it again
    return (_control_report(fields) if fields else None), replay


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The whole body, or None once it is larger than :data:`MAX_BODY_BYTES`."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left; the route will see an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _body_fields(scope: Scope, receive: Receive, body: bytes) -> list[Location]:
    if _JSON_ESCAPE not in body and not _url_has_control(body):
        return []  # the common case: nothing that could be a control character
    request = Request(scope, receive)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        form = await request.form()
        return [
            ("body", name)
            for name, value in form.multi_items()
            if has_control(name) or (isinstance(value, str) and has_control(value))
        ]
    if _JSON_ESCAPE not in body:
        return []  # a raw control character is not valid JSON: the route refuses it
    try:
        document = json.loads(body)
    except ValueError:
        return []  # not JSON: the route answers its own 422
    return list(_json_fields(document))


def _control_report(locations: list[Location]) -> ErrorReport:
    """A 422 worded as :func:`evcare.surfaces.errors.validation_report` words FastAPI's."""
    unique = list(dict.fromkeys(locations))
    # The field as FastAPI's 422 names it: the location without its "body"/"query" head.
    errors = [FieldError(".".join(loc[1:]) or loc[0], CONTROL_MESSAGE) for loc in unique]
    return ErrorReport(
        status_code=422,
        title="Validation failed",
        detail="; ".join(f"{f.field}: {f.message}" for f in errors),
        code="validation_failed",
        fields=errors,
        extra={
            "raw": [
                {"loc": list(loc), "msg": CONTROL_MESSAGE, "type": "control_character"}
                for loc in unique
            ]
        },
    )


def _too_deep() -> ErrorReport:
    """A 422 worded as :func:`evcare.surfaces.errors.validation_report` words FastAPI's."""
    return ErrorReport(
        status_code=422,
        title="Validation failed",
        detail=f"body: {DEPTH_MESSAGE}",
        code="validation_failed",
        fields=[FieldError("body", DEPTH_MESSAGE)],
        extra={"raw": [{"loc": ["body"], "msg": DEPTH_MESSAGE, "type": "json_too_deep"}]},
    )


def _too_large() -> ErrorReport:
    return ErrorReport(
        status_code=413,
        title="Content Too Large",
        detail=f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB",
        code="content_too_large",
    )


def _not_found() -> ErrorReport:
    return ErrorReport(status_code=404, title="Not Found", detail="Not Found", code="not_found")
