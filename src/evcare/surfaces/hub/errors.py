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
    413: "CONTENT_TOO_LARGE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
    504: "UPSTREAM_TIMEOUT",
}


# Codes more precise than their status's, raised as typed domain errors
# (core.errors.InvalidCredentials, TokenExpired, BundleForbidden, ...).
SPECIFIC_CODES = frozenset(
    {
        "INVALID_CREDENTIALS",
        "TOKEN_EXPIRED",
        "TOKEN_REVOKED",
        "BUNDLE_FORBIDDEN",
        "ENDPOINT_NOT_ALLOWED",
        "SESSION_CODE_INVALID",
        "IDEMPOTENCY_KEY_REQUIRED",
        "IDEMPOTENCY_KEY_REUSED",
        "IDEMPOTENCY_IN_PROGRESS",
        "WEBHOOK_URL_REFUSED",
        "PAYMENT_PROVIDER_ERROR",
        "WORKSHOP_NOT_ALLOWED",
    }
)


def hub_code(report: ErrorReport) -> str:
    specific = report.code.upper()
    if specific in SPECIFIC_CODES:
        return specific
    return ERROR_CODES.get(report.status_code, specific)


def render_hub_error(request: Request, report: ErrorReport) -> JSONResponse:
    body: dict[str, Any] = {
        "code": hub_code(report),
        "message": report.detail,
        "requestId": request_id_of(request.scope),
    }
    if report.fields:
        body["details"] = [{"field": f.field, "message": f.message} for f in report.fields]
    return JSONResponse(body, status_code=report.status_code)
