"""The input rule of every surface (``evcare.surfaces.inputs``): a control character other
than tab, CR and LF in a query, header, JSON or form field is a 422 naming the field, in
a path a 404, and a body over 1 MiB a 413; each in the surface's shape, nothing written,
on whichever database runs (PostgreSQL cannot store U+0000 at all)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from evcare.charging.chargers.models import Charger
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.surfaces.inputs import MAX_BODY_BYTES, MAX_JSON_DEPTH
from tests.factories.charging import make_station
from tests.factories.identity import signed_in
from tests.factories.integrations import admin_headers
from tests.surfaces.cms.test_auth import assert_cms_error
from tests.surfaces.cms.test_chargers import registration
from tests.surfaces.revcare.helpers import assert_revcare_error
from tests.surfaces.revcare.test_addresses import HOME

REFUSED = ["\x00", "\x01", "\x1b", "\x1f", "\x0b"]


def cms_fields(response: httpx.Response) -> list[str]:
    body = assert_cms_error(response, 422)
    assert isinstance(body["errors"], list)
    return [error["field"] for error in body["errors"]]


def revcare_fields(response: httpx.Response) -> list[str]:
    body = assert_revcare_error(response, 422)
    return [".".join(item["loc"][1:]) for item in body["detail"]]


async def count_chargers(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(Charger))).scalar_one()


@pytest.mark.parametrize("control", REFUSED)
async def test_a_cms_body_field_with_a_control_character_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, runtime: Runtime, control: str
) -> None:
    owner, headers = await signed_in(runtime, client, Role.ADMIN)
    station = await make_station(runtime, owner)
    body = {**registration(station.id), "manufacturer": f"AB{control}B"}
    response = await client.post("/api/v1/chargers", json=body, headers=headers)
    assert cms_fields(response) == ["manufacturer"]
    assert await count_chargers(runtime) == 0


async def test_tab_cr_and_lf_pass_the_guard(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner, headers = await signed_in(runtime, client, Role.ADMIN)
    station = await make_station(runtime, owner)
    body = {**registration(station.id), "name": "Bay 1\tDC\r\nnorth"}
    response = await client.post("/api/v1/chargers", json=body, headers=headers)
    assert response.status_code == 201, response.text


async def test_a_cms_query_or_header_with_a_control_character_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    query = await client.get("/api/v1/chargers?search=a%00b&page=1", headers=headers)
    assert cms_fields(query) == ["search"]
    header = await client.get("/api/v1/chargers", headers={**headers, "X-Client": "a\x01"})
    assert cms_fields(header) == ["x-client"]


# Every path parameter is a shared id type, which already 404s these; the guard must
# answer the same (a 404, not its 422) for a path parameter that is not.
async def test_a_path_with_a_control_character_names_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_cms_error(await client.get("/api/v1/chargers/CP%00", headers=headers), 404)
    assert_revcare_error(await client.get("/services/category/1%00"), 404)


async def test_a_revcare_body_field_with_nul_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.post("/address/", json={**HOME, "city": "Chen\x00nai"}, headers=headers)
    assert revcare_fields(response) == ["city"]
    assert (await client.get("/address/", headers=headers)).json() == []


async def test_a_sign_in_form_with_nul_is_refused_urlencoded_or_multipart(
    client: httpx.AsyncClient,
) -> None:
    form = {"username": "admin\x00@example.com", "password": "secret"}
    urlencoded = await client.post("/auth/login", data=form)
    assert revcare_fields(urlencoded) == ["username"]
    multipart = await client.post(
        "/auth/login", data=form, files={"unused": ("a.txt", b"\x00binary", "text/plain")}
    )
    # A file part may hold any byte; only the text fields are text.
    assert revcare_fields(multipart) == ["username"]
    clean = await client.post(
        "/auth/login",
        data={"username": "nobody@example.com", "password": "secret"},
        files={"unused": ("a.txt", b"\x00binary", "text/plain")},
    )
    assert_revcare_error(clean, 401)  # read again by the route after the guard's look


async def test_a_hub_body_with_nul_in_a_key_or_value_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    body = {
        "name": "Volt\x00",
        "organizationName": "Volt Fleet",
        "bundles": ["CLIENT_ACCESS"],
        "contactEmail": "x@y.example",
    }
    response = await client.post("/v1/integrations", headers=admin, json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert [item["field"] for item in response.json()["details"]] == ["name"]
    listed = (await client.get("/v1/integrations", headers=admin)).json()
    assert listed["data"] == []
    keyed = await client.post("/v1/integrations", headers=admin, json={"\x00": 1, "name": "x"})
    assert [item["field"] for item in keyed.json()["details"]] == ["body"]


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_body_over_the_limit_is_413_in_the_surface_shape(
    client: httpx.AsyncClient, runtime: Runtime, streamed: bool
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    content = _chunks(MAX_BODY_BYTES) if streamed else b" " * (MAX_BODY_BYTES + 1)
    response = await client.post(
        "/api/v1/chargers",
        content=content,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_cms_error(response, 413)
    revcare = await client.post("/address/", content=b"{}" + b" " * MAX_BODY_BYTES)
    assert_revcare_error(revcare, 413)
    hub = await client.post("/v1/integrations", content=b" " * (MAX_BODY_BYTES + 1))
    assert (hub.status_code, hub.json()["code"]) == (413, "CONTENT_TOO_LARGE")


async def test_a_body_at_the_limit_passes_the_guard(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, headers = await signed_in(runtime, client, Role.ADMIN)
    station = await make_station(runtime, owner)
    content = httpx.Request("POST", "/", json=registration(station.id)).content
    padded = content + b" " * (MAX_BODY_BYTES - len(content))
    response = await client.post(
        "/api/v1/chargers",
        content=padded,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def _nested(depth: int, inner: bytes = b"1") -> bytes:
    return b'{"name":"\\u0000","a":' + b"[" * depth + inner + b"]" * depth + b"}"


async def test_a_json_body_nested_too_deep_is_422_in_the_surface_shape_not_500(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    json_type = {"Content-Type": "application/json"}
    deep = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    # Decoded by the route itself (the hub's client-token) or by the guard's own look for
    # control characters (a \u0000 escape): both recursed into a RecursionError.
    for content in (deep, _nested(100_000)):
        hub = await client.post(
            "/v1/integrations/auth/client-token", content=content, headers=json_type
        )
        assert (hub.status_code, hub.json()["code"]) == (422, "VALIDATION_ERROR"), hub.text
        assert [item["field"] for item in hub.json()["details"]] == ["body"]
    cms = await client.post("/api/v1/auth/login", content=_nested(100_000), headers=json_type)
    assert cms_fields(cms) == ["body"]
    revcare = await client.post("/address/", content=_nested(100_000), headers=json_type)
    assert revcare_fields(revcare) == [""]
    # The idempotency fingerprint of a route without a body decoded it too.
    admin = await admin_headers(runtime, client)
    keyed = await client.post(
        "/v1/integrations/1/webhooks/1/test",
        content=deep,
        headers={**admin, **json_type, "Idempotency-Key": "deep-1"},
    )
    assert keyed.status_code == 422, keyed.text


async def test_json_nested_to_the_limit_and_brackets_in_strings_pass_the_guard(
    client: httpx.AsyncClient,
) -> None:
    json_type = {"Content-Type": "application/json"}
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    in_text = b'{"clientId": "' + b"[" * 1000 + b'", "clientSecret": "x"}'
    for content in (at_limit, in_text):
        response = await client.post(
            "/v1/integrations/auth/client-token", content=content, headers=json_type
        )
        # The route's own answer (not an object / unknown client), not the guard's.
        assert response.status_code in (401, 422), response.text
        assert "nested deeper" not in response.text
