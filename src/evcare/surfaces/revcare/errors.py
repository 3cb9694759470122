"""RevCare error body: ``{status, message, detail}``; validation keeps FastAPI's list."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from evcare.core.errors import ErrorReport
from evcare.core.observability import request_id_of


def render_revcare_error(request: Request, report: ErrorReport) -> JSONResponse:
    detail: Any = report.extra.get("raw", report.detail)
    body: dict[str, Any] = {"status": report.status_code, "message": report.title, "detail": detail}
    if report.status_code >= 500:
        body["request_id"] = request_id_of(request.scope)
    headers = {"WWW-Authenticate": "Bearer"} if report.status_code == 401 else None
    return JSONResponse(body, status_code=report.status_code, headers=headers)
