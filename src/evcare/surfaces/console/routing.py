"""The route class of every console page: the request's transaction
(:class:`~evcare.core.transactions.TransactionalRoute`), plus

- the CSRF check of every state-changing request (POST, PUT, PATCH, DELETE), before the
  handler runs: the ``csrf_token`` form field or the ``X-CSRF-Token`` header must match
  the browser's nonce cookie, and a foreign ``Origin`` is refused (:mod:`.csrf`);
- domain errors rendered as pages: no sign-in redirects to ``/sign-in?next=<page>``,
  any other :class:`~evcare.core.errors.DomainError` (and a form that fails validation)
  is an error page with its status and message. A script's call (``Accept:
  application/json``) gets ``{"error", "message"}`` JSON instead;
- the cookies queued during the request (:mod:`.cookies`) written on the response.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from evcare.core.errors import DomainError, Forbidden, Unauthorized
from evcare.core.runtime import Runtime
from evcare.core.transactions import TransactionalRoute
from evcare.surfaces.console.cookies import (
    ACCESS_COOKIE,
    queue_sign_out,
    rotate_nonce,
    write_cookies,
)
from evcare.surfaces.console.csrf import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    same_origin,
    token_matches,
)
from evcare.surfaces.console.templating import csrf_signing_key, render

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ConsoleRoute(TransactionalRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            nonce = request.cookies.get(CSRF_COOKIE)
            if nonce:
                request.state.csrf_nonce = nonce
            else:
                rotate_nonce(request)
            try:
                if request.method not in SAFE_METHODS:
                    await _check_csrf(request, runtime, nonce)
                response = await handler(request)
            except Unauthorized as error:
                response = _unauthorized(request, error)
            except DomainError as error:
                response = error_response(request, error.status_code, error.detail)
                if "retry_after" in error.extra:
                    response.headers["retry-after"] = str(error.extra["retry_after"])
            except RequestValidationError as error:
                response = error_response(request, 422, _validation_message(error))
            write_cookies(request, response, runtime)
            return response

        return console_handler


async def _check_csrf(request: Request, runtime: Runtime, nonce: str | None) -> None:
    if not same_origin(request):
        raise Forbidden("Cross-site request refused")
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        field = (await request.form()).get(CSRF_FIELD)
        token = field if isinstance(field, str) else None
    key = csrf_signing_key(runtime)
    if not token_matches(key, nonce, token):
        raise Forbidden("The form expired or did not come from this site: reload and retry")


def wants_json(request: Request) -> bool:
    return request.headers.get("accept", "").startswith("application/json")


def error_response(request: Request, status_code: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"error": _ERROR_CODES.get(status_code, "error"), "message": message},
            status_code=status_code,
        )
    return render(
        request,
        "error.html",
        {"title": _TITLES.get(status_code, "Error"), "status": status_code, "message": message},
        status_code=status_code,
    )


def _unauthorized(request: Request, error: Unauthorized) -> Response:
    """A dead sign-in: its cookies are dropped and the browser is sent to sign in."""
    if request.cookies.get(ACCESS_COOKIE):
        queue_sign_out(request)
    if wants_json(request):
        return error_response(request, 401, error.detail)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in SAFE_METHODS:
        # After signing in, back to the page the form was on, not to its action.
        target = urlsplit(request.headers.get("referer", "")).path or "/"
    return RedirectResponse(f"/sign-in?next={quote(target, safe='/')}", status_code=303)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "form"
        parts.append(f"{where}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts) or "The form is not valid"


_TITLES = {
    400: "Not possible",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Please check the form",
    429: "Too many attempts",
}
_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "validation_failed",
    429: "too_many_requests",
}
