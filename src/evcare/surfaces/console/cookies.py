"""The console's cookies: the signed-in user's tokens and the CSRF nonce.

The access and refresh tokens are the very tokens EV-CMS's ``/api/v1/auth/login``
issues (:func:`evcare.identity.service.login`), kept where scripts cannot read them:
HttpOnly, ``SameSite=Lax`` (a link from another site still lands signed in; its forms
and scripts do not carry them), ``Secure`` whenever the page is served over HTTPS (and
always in production). The refresh token is sent only to the paths that may rotate it.

A route does not set cookies itself: it queues them on the request
(:func:`queue_cookie`), and :class:`~evcare.surfaces.console.routing.ConsoleRoute` writes
them on whatever response leaves, a page, a redirect or an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from evcare.core.runtime import Runtime
from evcare.core.security import ACCESS_COOKIE
from evcare.identity.service import TokenPair
from evcare.surfaces.console.csrf import CSRF_COOKIE, new_nonce

__all__ = ["ACCESS_COOKIE", "REFRESH_COOKIE", "Cookie", "queue_cookie"]

REFRESH_COOKIE = "evcare_refresh"


@dataclass(frozen=True)
class Cookie:
    name: str
    value: str | None  # None: delete it
    max_age: int | None = None
    path: str = "/"


def queue_cookie(request: Request, cookie: Cookie) -> None:
    queued: dict[str, Cookie] = request.state.__dict__.setdefault("console_cookies", {})
    queued[cookie.name] = cookie


def queue_sign_in(request: Request, pair: TokenPair, *, refresh_lifetime: timedelta) -> None:
    """The tokens of a new sign-in, and a fresh CSRF nonce."""
    queue_tokens(request, pair, refresh_lifetime=refresh_lifetime)
    rotate_nonce(request)


def queue_tokens(request: Request, pair: TokenPair, *, refresh_lifetime: timedelta) -> None:
    """The tokens of a sign-in (new or rotated); the CSRF nonce stays, so the forms of
    the user's other tabs still post."""
    queue_cookie(
        request,
        Cookie(ACCESS_COOKIE, pair.access_token, int(refresh_lifetime.total_seconds())),
    )
    queue_cookie(
        request,
        Cookie(REFRESH_COOKIE, pair.refresh_token, int(refresh_lifetime.total_seconds())),
    )


def queue_sign_out(request: Request) -> None:
    queue_cookie(request, Cookie(ACCESS_COOKIE, None))
    queue_cookie(request, Cookie(REFRESH_COOKIE, None))
    rotate_nonce(request)


def rotate_nonce(request: Request) -> None:
    """A new CSRF nonce for this browser, used by the page this request renders."""
    request.state.csrf_nonce = new_nonce()
    queue_cookie(request, Cookie(CSRF_COOKIE, request.state.csrf_nonce))


def write_cookies(request: Request, response: Response, runtime: Runtime) -> None:
    queued: dict[str, Cookie] = request.state.__dict__.get("console_cookies", {})
    secure = request.url.scheme == "https" or runtime.settings.environment == "production"
    for cookie in queued.values():
        if cookie.value is None:
            response.delete_cookie(
                cookie.name, path=cookie.path, secure=secure, httponly=True, samesite="lax"
            )
        else:
            response.set_cookie(
                cookie.name,
                cookie.value,
                max_age=cookie.max_age,
                path=cookie.path,
                secure=secure,
                httponly=True,
                samesite="lax",
            )
