"""RevCare error body: ``{status, message, detail}``; validation keeps FastAPI's list."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from evcare.core.errors import ErrorReport
from evcare.core.observability import request_id_of
from evcare.surfaces.openapi import error_schema

# What render_revcare_error sends, for the OpenAPI document: ``detail`` is a sentence, or
# FastAPI's list of validation errors on a 422.
REVCARE_ERROR_SCHEMA = error_schema(
    "RevCareError",
    ["status", "message", "detail"],
    status={"type": "integer"},
    message={"type": "string"},
    detail={"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
    request_id={"type": "string"},
)


def render_revcare_error(request: Request, report: ErrorReport) -> JSONResponse:
    detail: Any = report.extra.get("raw", report.detail)
    body: dict[str, Any] = {"status": report.status_code, "message": report.title, "detail": detail}
    if report.status_code >= 500:
        body["request_id"] = request_id_of(request.scope)
    headers = {"WWW-Authenticate": "Bearer"} if report.status_code == 401 else None
    return JSONResponse(body, status_code=report.status_code, headers=headers)
