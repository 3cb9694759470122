"""EV-CMS error body: ``{success: false, message, error, statusCode}`` (+ ``errors[]``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from evcare.core.errors import ErrorReport
from evcare.core.observability import request_id_of
from evcare.surfaces.openapi import FIELD_ERRORS, error_schema

# What render_cms_error (and the rate limiter's 429) send, for the OpenAPI document.
CMS_ERROR_SCHEMA = error_schema(
    "CmsError",
    ["success", "message", "statusCode"],
    success={"type": "boolean", "const": False},
    message={"type": "string"},
    error={"type": "string"},
    statusCode={"type": "integer"},
    errors=FIELD_ERRORS,
    requestId={"type": "string"},
    retryAfter={"type": "integer"},
)


def render_cms_error(request: Request, report: ErrorReport) -> JSONResponse:
    body: dict[str, Any] = {
        "success": False,
        "message": "Validation failed" if report.status_code == 422 else report.detail,
        "error": report.detail if report.status_code == 422 else report.title,
        "statusCode": report.status_code,
    }
    if report.status_code == 429 and "retry_after" in report.extra:
        body["retryAfter"] = report.extra["retry_after"]  # as the rate-limit 429 documents
    if report.fields:
        body["errors"] = [{"field": f.field, "message": f.message} for f in report.fields]
    if report.status_code >= 500:
        body["requestId"] = request_id_of(request.scope)
    return JSONResponse(body, status_code=report.status_code)
