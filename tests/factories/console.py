"""Driving the web console over plain HTTP: its CSRF token, signing in with cookies."""

from __future__ import annotations

import re

import httpx

from evcare.identity.models import User
from tests.factories.identity import PASSWORD

_CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a rendered console page carries (its forms send it back)."""
    found = _CSRF.search(page.text)
    assert found, f"no CSRF token on {page.request.url}"
    return found.group(1)


async def console_sign_in(
    client: httpx.AsyncClient, user: User, password: str = PASSWORD
) -> httpx.Response:
    """Sign ``user`` in through ``/sign-in`` as a browser would; ``client`` keeps the
    cookies. Returns the redirect answer."""
    page = await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={"email": user.email, "password": password, "csrf_token": csrf_of(page)},
    )
    assert response.status_code == 303, response.text
    return response
