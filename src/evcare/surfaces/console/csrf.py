"""CSRF protection of the console: a signed double-submit token.

Every browser gets a random nonce in an HttpOnly cookie (``evcare_csrf``). Pages embed
``HMAC(key, nonce)`` in each form (``csrf_token``) and in ``<meta name="csrf-token">``
for scripts (sent as ``X-CSRF-Token``). A state-changing request is accepted only when
the token it carries is the HMAC of the nonce its cookie carries (OWASP's "signed
double-submit cookie"): another site can make the browser send the cookie but can
neither read it nor compute the HMAC without the server's key, and a cookie planted
from elsewhere has no valid token. When the browser sends ``Origin`` it must be ours.
Signing in and out rotates the nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

CSRF_COOKIE = "evcare_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def csrf_key(secret_key: str) -> bytes:
    """A key of its own, derived from the app's secret, so a CSRF token is never a JWT key."""
    return hmac.new(secret_key.encode(), b"evcare console csrf", hashlib.sha256).digest()


def token_for(key: bytes, nonce: str) -> str:
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


def token_matches(key: bytes, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(token_for(key, nonce), token)


def same_origin(request: Request) -> bool:
    """A foreign ``Origin`` fails. None, or ``null`` (what a browser sends for a form post
    under our ``Referrer-Policy: no-referrer``), leaves the decision to the token."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin == own
