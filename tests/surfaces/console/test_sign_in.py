"""Signing in to the console over plain HTTP: cookies, CSRF, CSP, redirects, roles."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from evcare.core.runtime import Runtime
from evcare.core.security_headers import CONSOLE_CONTENT_SECURITY_POLICY
from evcare.identity.models import Role
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.identity import PASSWORD, make_user


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


async def test_sign_in_page_carries_the_console_policy_and_a_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/sign-in")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONSOLE_CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONSOLE_CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONSOLE_CONTENT_SECURITY_POLICY
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text
    assert len(csrf_of(page)) == 64
    csrf_cookie = _set_cookies(page)["evcare_csrf"]
    assert "HttpOnly" in csrf_cookie and "SameSite=lax" in csrf_cookie


async def test_admin_signs_in_with_httponly_lax_cookies_and_lands_on_admin(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    response = await console_sign_in(client, admin)
    assert response.headers["location"] == "/admin/"
    cookies = _set_cookies(response)
    for name in ("evcare_access", "evcare_refresh", "evcare_csrf"):
        assert "HttpOnly" in cookies[name]
        assert "SameSite=lax" in cookies[name]
        assert "Secure" not in cookies[name]  # plain HTTP on loopback
    home = await client.get("/admin/")
    assert home.status_code == 200
    assert "Signed in (admin)" in home.text


async def test_cookies_are_secure_when_the_page_is_served_over_https(
    app: FastAPI, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await console_sign_in(client, admin)
    for name, header in _set_cookies(response).items():
        assert "Secure" in header, name


async def test_the_console_token_is_the_api_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await console_sign_in(client, admin)
    token = client.cookies["evcare_access"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["data"]["user"]["email"] == admin.email


async def test_sign_in_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await client.get("/sign-in")
    response = await client.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "evcare_access" not in _set_cookies(response)


async def test_a_token_for_another_browsers_nonce_is_refused(
    client: httpx.AsyncClient, app: FastAPI, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        foreign = csrf_of(await other.get("/sign-in"))
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in", data={"email": admin.email, "password": PASSWORD, "csrf_token": foreign}
    )
    assert response.status_code == 403


async def test_a_cross_site_origin_is_refused_even_with_a_valid_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    token = csrf_of(await client.get("/sign-in"))
    response = await client.post(
        "/sign-in",
        data={"email": admin.email, "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


async def test_the_csrf_header_serves_a_scripts_json_call(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await console_sign_in(client, admin)
    token = csrf_of(await client.get("/admin/"))
    refused = await client.post("/sign-out", headers={"Accept": "application/json"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    done = await client.post("/sign-out", headers={"X-CSRF-Token": token})
    assert done.status_code == 303


async def test_a_wrong_password_shows_the_form_again_with_an_error(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    token = csrf_of(await client.get("/sign-in"))
    response = await client.post(
        "/sign-in", data={"email": admin.email, "password": "wrong-one", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "do not match an account" in response.text
    assert "evcare_access" not in _set_cookies(response)


async def test_an_empty_form_is_a_422_page(client: httpx.AsyncClient) -> None:
    token = csrf_of(await client.get("/sign-in"))
    response = await client.post("/sign-in", data={"email": "", "csrf_token": token})
    assert response.status_code == 422
    assert "password" in response.text


async def test_an_anonymous_visit_to_admin_redirects_to_sign_in_and_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.get("/admin/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/admin/"
    admin = await make_user(runtime, role=Role.ADMIN)
    token = csrf_of(await client.get("/sign-in?next=/admin/"))
    back = await client.post(
        "/sign-in",
        data={"email": admin.email, "password": PASSWORD, "csrf_token": token, "next": "/admin/"},
    )
    assert back.headers["location"] == "/admin/"


async def test_sign_in_never_redirects_off_site(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    token = csrf_of(await client.get("/sign-in"))
    response = await client.post(
        "/sign-in",
        data={
            "email": admin.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/admin/"


async def test_a_brand_cannot_open_an_admin_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    response = await console_sign_in(client, brand)
    assert response.headers["location"] == "/console/"
    page = await client.get("/admin/")
    assert page.status_code == 403
    assert page.headers["content-security-policy"] == CONSOLE_CONTENT_SECURITY_POLICY
    assert "not for your role" in page.text


async def test_a_driver_cannot_open_an_admin_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver = await make_user(runtime, role=Role.USER)
    response = await console_sign_in(client, driver)
    assert response.headers["location"] == "/app/"
    assert (await client.get("/admin/")).status_code == 403


async def test_sign_out_revokes_the_tokens_and_drops_the_cookies(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await console_sign_in(client, admin)
    token = client.cookies["evcare_access"]
    csrf = csrf_of(await client.get("/admin/"))
    response = await client.post("/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert (await client.get("/admin/")).status_code == 303


async def test_a_revoked_sign_in_cookie_is_sent_back_to_sign_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await console_sign_in(client, admin)
    token = client.cookies["evcare_access"]
    await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    response = await client.get("/admin/")
    assert response.status_code == 303
    assert 'evcare_access=""' in _set_cookies(response)["evcare_access"]


async def test_the_console_assets_are_served_from_the_package_and_cached(
    client: httpx.AsyncClient,
) -> None:
    for path in (
        "js/console.js",
        "css/console.css",
        "vendor/socket.io/socket.io.min.js",
        "vendor/uplot/uPlot.iife.min.js",
    ):
        response = await client.get(f"/console-assets/{path}")
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "public, max-age=86400"
