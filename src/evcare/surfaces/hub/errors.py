"""Hub error matrix: ``{code, message, requestId}`` (+ ``details`` on validation)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from evcare.core.errors import ErrorReport
from evcare.core.observability import request_id_of
from evcare.surfaces.openapi import FIELD_ERRORS, error_schema

# What render_hub_error sends, for the OpenAPI document.
HUB_ERROR_SCHEMA = error_schema(
    "HubError",
    ["code", "message", "requestId"],
    code={"type": "string"},
    message={"type": "string"},
    requestId={"type": "string"},
    details=FIELD_ERRORS,
)

# The documented matrix: HTTP status -> stable machine code.
ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
    504: "UPSTREAM_TIMEOUT",
}


def render_hub_error(request: Request, report: ErrorReport) -> JSONResponse:
    body: dict[str, Any] = {
        "code": ERROR_CODES.get(report.status_code, report.code.upper()),
        "message": report.detail,
        "requestId": request_id_of(request.scope),
    }
    if report.fields:
        body["details"] = [{"field": f.field, "message": f.message} for f in report.fields]
    return JSONResponse(body, status_code=report.status_code)
