"""Idempotency-Key on money POSTs (EV-CMS wallet top-up and pay), Stripe's semantics."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.integrations import idempotency
from evcare.integrations.idempotency_models import IdempotencyKey
from tests.factories.identity import signed_in
from tests.factories.wallet import balance_minor, fund
from tests.surfaces.cms.test_auth import assert_cms_error

PAY = "/api/v1/profile/wallet/pay"
TOPUP = "/api/v1/profile/wallet/topup"


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def test_the_same_key_and_body_replays_the_first_response_and_debits_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    body = {"amount": 25, "description": "Snacks"}
    first = await client.post(PAY, json=body, headers=keyed(headers, "k-1"))
    assert first.status_code == 200, first.text
    # Key order in the body does not make it another request.
    second = await client.post(
        PAY, json={"description": "Snacks", "amount": 25}, headers=keyed(headers, "k-1")
    )
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await balance_minor(runtime, user) == 7_500
    # A new key is a new payment.
    third = await client.post(PAY, json=body, headers=keyed(headers, "k-2"))
    assert third.status_code == 200
    assert await balance_minor(runtime, user) == 5_000


async def test_the_same_key_with_another_body_is_a_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    ok = await client.post(
        PAY, json={"amount": 10, "description": "A"}, headers=keyed(headers, "same")
    )
    assert ok.status_code == 200
    other = await client.post(
        PAY, json={"amount": 11, "description": "A"}, headers=keyed(headers, "same")
    )
    error = assert_cms_error(other, 422)
    assert error["errors"] == [  # type: ignore[comparison-overlap]
        {"field": "Idempotency-Key", "message": "already used with another request"}
    ]
    elsewhere = await client.post(
        TOPUP, json={"amount": 10, "description": "A"}, headers=keyed(headers, "same")
    )
    assert_cms_error(elsewhere, 422)
    assert await balance_minor(runtime, user) == 9_000


async def test_keys_are_scoped_per_user(client: httpx.AsyncClient, runtime: Runtime) -> None:
    first, first_headers = await signed_in(runtime, client)
    second, second_headers = await signed_in(runtime, client)
    for user in (first, second):
        await fund(runtime, user, 10_000)
    body = {"amount": 10, "description": "Shared key"}
    for headers in (first_headers, second_headers):
        response = await client.post(PAY, json=body, headers=keyed(headers, "shared"))
        assert response.status_code == 200
        assert "idempotent-replayed" not in response.headers
    assert await balance_minor(runtime, first) == 9_000
    assert await balance_minor(runtime, second) == 9_000


async def test_a_refusal_is_replayed_but_a_validation_failure_frees_the_key(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 1_000)
    body = {"amount": 20, "description": "Too much"}
    refused = await client.post(PAY, json=body, headers=keyed(headers, "r"))
    assert_cms_error(refused, 400)
    await fund(runtime, user, 5_000)
    replayed = await client.post(PAY, json=body, headers=keyed(headers, "r"))
    assert replayed.status_code == 400 and replayed.json() == refused.json()
    assert replayed.headers["idempotent-replayed"] == "true"

    invalid = await client.post(
        PAY, json={"amount": 0, "description": "x"}, headers=keyed(headers, "v")
    )
    assert_cms_error(invalid, 422)
    valid = await client.post(PAY, json=body, headers=keyed(headers, "v"))
    assert valid.status_code == 200, valid.text
    assert await balance_minor(runtime, user) == 4_000


async def test_a_key_in_use_by_a_running_request_is_a_409_until_its_lease_ends(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    body = {"amount": 10, "description": "Slow"}
    fingerprint = idempotency.fingerprint("POST", PAY, b'{"amount":10,"description":"Slow"}')
    # What a request still running holds: a fresh claim with no outcome yet.
    claim = await idempotency.claim(
        runtime.sessionmaker,
        idempotency.sealer_for(runtime.settings.secret_key.get_secret_value()),
        user_id=user.id,
        key="busy",
        fingerprint=fingerprint,
    )
    assert isinstance(claim, idempotency.Claim)
    busy = await client.post(PAY, json=body, headers=keyed(headers, "busy"))
    assert_cms_error(busy, 409)
    assert await balance_minor(runtime, user) == 10_000
    # Its process died: once the lease has passed, a retry runs.
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == claim.id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    retried = await client.post(PAY, json=body, headers=keyed(headers, "busy"))
    assert retried.status_code == 200, retried.text
    assert await balance_minor(runtime, user) == 9_000


async def test_concurrent_requests_with_one_key_pay_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    body = {"amount": 10, "description": "Double click"}
    responses = await asyncio.gather(
        *[client.post(PAY, json=body, headers=keyed(headers, "twin")) for _ in range(8)]
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    assert await balance_minor(runtime, user) == 9_000


async def test_a_key_expires_after_24_hours(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    body = {"amount": 10, "description": "Daily"}
    assert (await client.post(PAY, json=body, headers=keyed(headers, "day"))).status_code == 200
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(IdempotencyKey).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    again = await client.post(PAY, json=body, headers=keyed(headers, "day"))
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers
    assert await balance_minor(runtime, user) == 8_000


@pytest.mark.parametrize("key", ["", "a" * 256, "with space", "é"])
async def test_a_malformed_key_is_a_422_naming_the_header(
    client: httpx.AsyncClient, runtime: Runtime, key: str
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    response = await client.post(
        PAY,
        json={"amount": 10, "description": "x"},
        headers=[*headers.items(), ("Idempotency-Key", key.encode())],
    )
    error = assert_cms_error(response, 422)
    assert error["errors"][0]["field"] == "Idempotency-Key"  # type: ignore[index]
    assert await balance_minor(runtime, user) == 10_000
