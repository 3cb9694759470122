"""Swagger UI and ReDoc for a surface, served from the installed package: no CDN, so the
docs work offline and on a network that blocks third-party scripts.

The assets come from ``fastapi-offline`` (MIT), used only as a package of files: it ships
Swagger UI 5 (OpenAPI 3.1, which FastAPI emits) and ``redoc.standalone.js`` and needs
nothing but FastAPI. Each surface serves them under ``<surface>/docs-assets/`` so the
pages work wherever the surface is mounted. A docs page carries its own
Content-Security-Policy: scripts only from this origin plus the page's one inline script,
by hash; the security-headers middleware keeps a policy a response sets.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class DocsAssets(StaticFiles):
    """The docs' JS and CSS: versioned with the installed package, so a day's caching is safe."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = "public, max-age=86400"
        return response


def docs_policy(html: str) -> str:
    """The CSP of a docs page: its inline scripts by hash, everything else from here."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; "
        # Swagger UI and ReDoc set element styles at run time.
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        # ReDoc runs its search index in a worker built from a blob.
        "worker-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers["content-security-policy"] = docs_policy(bytes(page.body).decode())
    return page


def _swagger_ui(assets: str, title: str, openapi_url: str) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - Swagger UI",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
    )


def _redoc(assets: str, title: str, openapi_url: str) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=openapi_url,
        title=f"{title} - ReDoc",
        redoc_js_url=f"{assets}/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/favicon.png",
        with_google_fonts=False,
    )


PAGES = {"/docs": _swagger_ui, "/redoc": _redoc}


def install_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` for the surface ``app`` (built with
    ``docs_url=None, redoc_url=None``), wherever it is mounted."""
    assert app.openapi_url is not None
    app.mount(ASSETS_PATH, DocsAssets(directory=ASSETS_DIR), name="docs-assets")
    for path, page in PAGES.items():
        app.add_api_route(path, _page_endpoint(app, page), methods=["GET"], include_in_schema=False)


def _page_endpoint(
    app: FastAPI, page: Callable[[str, str, str], HTMLResponse]
) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def docs_page(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        html = page(root + ASSETS_PATH, app.title, f"{root}{app.openapi_url}")
        return _with_policy(html)

    return docs_page
