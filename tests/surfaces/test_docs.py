"""The docs pages load Swagger UI and ReDoc from this server only: they work offline."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urljoin

import httpx
import pytest

DOCS_PAGES = ["/docs", "/redoc", "/api/v1/docs", "/api/v1/redoc", "/v1/docs", "/v1/redoc"]
_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@pytest.mark.parametrize("page", DOCS_PAGES)
async def test_each_docs_page_references_only_local_assets_that_answer(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assets = _ASSET.findall(html)
    assert assets, "the page loads no script or style"
    assert not re.search(r"https?://", html), "the page names another host"
    surface = page.rsplit("/", 1)[0]
    kinds = set()
    for asset in assets:
        assert asset.startswith(f"{surface}/docs-assets/"), asset
        loaded = await client.get(urljoin("http://testserver", asset))
        assert loaded.status_code == 200, asset
        kind = loaded.headers["content-type"].split(";")[0]
        kinds.add(kind)
        assert loaded.headers["cache-control"] == "public, max-age=86400"
    assert "text/javascript" in kinds or "application/javascript" in kinds
    if "docs" in page.rsplit("/", 1)[1]:
        assert "text/css" in kinds
    # The openapi document the page loads is the surface's own.
    assert f"{surface}/openapi.json" in html


@pytest.mark.parametrize("page", DOCS_PAGES)
async def test_a_docs_page_allows_its_own_inline_script_by_hash_and_nothing_from_elsewhere(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    script_sources = directives["script-src"].split()
    assert "'unsafe-inline'" not in script_sources
    assert not any(source.startswith("http") for source in policy.split())
    for body in _INLINE_SCRIPT.findall(response.text):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_sources
