"""Idempotency-Key on every POST of /v1 (HUB.md "Idempotency"): the same mechanism as the
EV-CMS money routes, answered in the hub's error matrix."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import func, select

from evcare.core.observability import RequestLogMiddleware
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.integrations import idempotency
from evcare.integrations.idempotency_models import IdempotencyKey
from evcare.integrations.models import Integration
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.errors import install_error_handlers
from evcare.surfaces.hub.errors import render_hub_error
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import admin_headers, client_token, create_integration

INTEGRATIONS = "/v1/integrations"


# A money route of the hub's kind (Paystack initialize will be one): the key is required.
_caller = Authenticator()
_required_router = APIRouter(route_class=IdempotentRoute)
calls: list[int] = []


@_required_router.post("/charge", dependencies=[idempotent(_caller, required=True)])
async def charge(
    principal: Annotated[Principal, Depends(_caller)], session: SessionDep
) -> dict[str, int]:
    calls.append(principal.user_id)
    return {"charged": len(calls)}


def required_key_app(runtime: Runtime) -> FastAPI:
    """That route on an app of its own, rendered by the hub's error handlers."""
    app = FastAPI()
    app.state.runtime = runtime
    install_error_handlers(app, render_hub_error)
    app.include_router(_required_router)
    app.add_middleware(RequestLogMiddleware)  # the request id, as the app gives its mounts
    return app


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def new_integration(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Idem {n}",
        "organizationName": f"Idem Org {n}",
        "bundles": ["CLIENT_ACCESS"],
        "contactEmail": "dev@idem.example",
        **overrides,
    }


async def integrations_count(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Integration)) or 0)


def assert_hub_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message"] and body["requestId"]
    return body


async def test_a_retried_create_replays_the_first_201_and_makes_one_integration(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    first = await client.post(INTEGRATIONS, json=new_integration(), headers=keyed(admin, "c-1"))
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await client.post(INTEGRATIONS, json=new_integration(), headers=keyed(admin, "c-1"))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["cache-control"] == "no-store"
    # The same secret, shown again to the same caller: not a second integration.
    assert again.json() == first.json()
    assert await integrations_count(runtime) == 1
    # The stored response is sealed: the secret is not readable in the database.
    secret = first.json()["credentials"]["clientSecret"].encode()
    async with runtime.sessionmaker() as session:
        stored = (await session.scalars(select(IdempotencyKey))).one()
    assert stored.response_body is not None and secret not in stored.response_body


async def test_the_same_key_with_another_body_is_idempotency_key_reused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    ok = await client.post(INTEGRATIONS, json=new_integration(1), headers=keyed(admin, "k"))
    assert ok.status_code == 201
    other = await client.post(INTEGRATIONS, json=new_integration(2), headers=keyed(admin, "k"))
    body = assert_hub_error(other, 422, "IDEMPOTENCY_KEY_REUSED")
    assert body["details"] == [
        {"field": "Idempotency-Key", "message": "already used with another request"}
    ]
    assert await integrations_count(runtime) == 1


async def test_a_key_still_running_is_idempotency_in_progress(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    body = new_integration()
    request = client.build_request("POST", INTEGRATIONS, json=body)
    # What a request still running holds: a fresh claim with no outcome yet.
    claim = await idempotency.claim(
        runtime.sessionmaker,
        idempotency.sealer_for(runtime.settings.secret_key.get_secret_value()),
        user_id=admin.id,
        key="busy",
        fingerprint=idempotency.fingerprint("POST", INTEGRATIONS, request.content),
    )
    assert isinstance(claim, idempotency.Claim)
    busy = await client.post(INTEGRATIONS, json=body, headers=keyed(headers, "busy"))
    assert_hub_error(busy, 409, "IDEMPOTENCY_IN_PROGRESS")
    assert await integrations_count(runtime) == 0


async def test_keys_are_scoped_per_caller(client: httpx.AsyncClient, runtime: Runtime) -> None:
    for n in (1, 2):
        admin = await admin_headers(runtime, client)
        made = await client.post(
            INTEGRATIONS, json=new_integration(n), headers=keyed(admin, "shared")
        )
        assert made.status_code == 201 and "idempotent-replayed" not in made.headers
    assert await integrations_count(runtime) == 2


async def test_an_integration_token_retrying_an_exchange_gets_the_same_session_code(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = bearer(await client_token(client, created["credentials"]))
    body = {
        "integrationId": created["integration"]["id"],
        "externalSubject": "ext_idem",
        "email": "idem@example.com",
        "roleHint": "CLIENT",
    }
    url = "/v1/integrations/auth/exchange"
    first = await client.post(url, json=body, headers=keyed(token, "x-1"))
    second = await client.post(url, json=body, headers=keyed(token, "x-1"))
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["sessionCode"] == first.json()["sessionCode"]
    # A refusal is an outcome too, and is replayed (the bundle check ran once).
    above = {**body, "externalSubject": "ext_other", "roleHint": "FLEET_MANAGER"}
    refused = await client.post(url, json=above, headers=keyed(token, "x-2"))
    assert_hub_error(refused, 403, "BUNDLE_FORBIDDEN")
    replayed = await client.post(url, json=above, headers=keyed(token, "x-2"))
    assert replayed.json() == refused.json() and replayed.headers["idempotent-replayed"] == "true"


async def test_a_route_that_writes_nothing_replays_too(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    url = "/v1/integrations/questionnaire/recommend"
    body = {"answers": {"managesFleet": True}}
    first = await client.post(url, json=body, headers=keyed(admin, "q"))
    again = await client.post(url, json=body, headers=keyed(admin, "q"))
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()


async def test_sign_in_routes_take_the_key_but_keep_no_credential(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    body = {
        "clientId": created["credentials"]["clientId"],
        "clientSecret": created["credentials"]["clientSecret"],
    }
    url = "/v1/integrations/auth/client-token"
    first = await client.post(url, json=body, headers={"Idempotency-Key": "t"})
    second = await client.post(url, json=body, headers={"Idempotency-Key": "t"})
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert first.json()["accessToken"] != second.json()["accessToken"]
    async with runtime.sessionmaker() as session:
        assert (await session.scalars(select(IdempotencyKey))).all() == []
    bad = await client.post(url, json=body, headers={"Idempotency-Key": "a" * 256})
    assert_hub_error(bad, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("key", ["", "a" * 256, "with space"])
async def test_a_malformed_key_is_a_validation_error_naming_the_header(
    client: httpx.AsyncClient, runtime: Runtime, key: str
) -> None:
    admin = await admin_headers(runtime, client)
    response = await client.post(
        INTEGRATIONS,
        json=new_integration(),
        headers=[*admin.items(), ("Idempotency-Key", key.encode())],
    )
    body = assert_hub_error(response, 422, "VALIDATION_ERROR")
    assert body["details"][0]["field"] == "Idempotency-Key"
    assert await integrations_count(runtime) == 0


async def test_every_post_of_the_hub_documents_the_key(client: httpx.AsyncClient) -> None:
    document = (await client.get("/v1/openapi.json")).json()
    posts = {path: item["post"] for path, item in document["paths"].items() if "post" in item}
    # Paystack calls its webhook without a key: deduplicated by the transaction instead.
    posts.pop("/integrations/billing/paystack/webhook")
    assert posts
    for path, operation in posts.items():
        names = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        assert ("header", "Idempotency-Key") in names, path


async def test_a_required_key_is_idempotency_key_required_without_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The variant a money route of the hub declares (Paystack initialize), on a route of
    its own rendered by the hub's error handlers."""
    calls.clear()
    app = required_key_app(runtime)
    _, headers = await signed_in(runtime, client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as own:
        missing = await own.post("/charge", headers=headers)
        body = assert_hub_error(missing, 400, "IDEMPOTENCY_KEY_REQUIRED")
        assert body["details"] == [{"field": "Idempotency-Key", "message": "required"}]
        assert calls == []
        first = await own.post("/charge", headers=keyed(headers, "pay-1"))
        again = await own.post("/charge", headers=keyed(headers, "pay-1"))
    assert first.json() == again.json() == {"charged": 1}
    assert again.headers["idempotent-replayed"] == "true" and len(calls) == 1
