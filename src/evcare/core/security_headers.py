"""The browser-facing security headers of every HTTP response, on every surface.

One pure-ASGI middleware, outermost, so 404s, 429s and 500s carry them too:

- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer``;
- ``Content-Security-Policy``: an API answer is data, never a page, so the default is
  ``default-src 'none'; frame-ancestors 'none'``; a response that sets its own policy
  (the docs pages, :mod:`evcare.surfaces.docs`; the web console's pages,
  :data:`CONSOLE_CONTENT_SECURITY_POLICY`) keeps it;
- ``Cache-Control: no-store`` on every response that does not say otherwise: every API
  answer may carry a token or personal data, so no route can forget it (the docs' static
  assets set their own caching);
- ``Strict-Transport-Security`` only in production (development is plain HTTP on
  loopback, and a browser remembers HSTS for the host).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The web console (:mod:`evcare.surfaces.console`): scripts, styles, images and fonts only
# from this origin (no inline script, no inline style attribute, no CDN), its socket.io
# and fetch calls only back to it, forms only posted to it, never framed.
CONSOLE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"

_ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_DEFAULTS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", API_CONTENT_SECURITY_POLICY.encode()),
    (b"cache-control", b"no-store"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.always = (*_ALWAYS, (b"strict-transport-security", HSTS.encode())) if hsts else _ALWAYS
        self.replaced = frozenset({b"server", *(own for own, _ in self.always)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in self.replaced
                ]
                present = {name.lower() for name, _ in headers}
                headers.extend(self.always)
                headers.extend(pair for pair in _DEFAULTS if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
