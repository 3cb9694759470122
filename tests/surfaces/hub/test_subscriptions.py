"""Plans, subscriptions and usage on /v1 (HUB.md "Subscriptions, usage"): admins and the
integration's own token; every call with the integration's tokens metered in memory and
flushed in batches, nothing lost on a clean shutdown."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.demo import demo_plans
from evcare.integrations import metering, subscriptions
from evcare.integrations.usage_models import UsageCount
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    partner_user,
)
from tests.identity.test_sign_in_lockout import client_from, limited_app
from tests.surfaces.hub.test_idempotency import assert_hub_error

PLAN_FIELDS = {"id", "name", "currency", "monthlyFee", "includedCalls", "overagePer1000Calls"}


async def load_plans(runtime: Runtime) -> None:
    async with runtime.sessionmaker() as session:
        await subscriptions.ensure_plans(session, demo_plans())
        await session.commit()


async def integration_with_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> tuple[dict[str, Any], dict[str, str]]:
    created = await create_integration(client, await admin_headers(runtime, client))
    return created, bearer(await client_token(client, created["credentials"]))


async def usage_rows(runtime: Runtime) -> list[tuple[str, str, int]]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(UsageCount).order_by(UsageCount.endpoint))
        return [(row.integration_id, row.endpoint, row.calls) for row in rows]


async def test_plans_list_for_admins_and_integrations_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await load_plans(runtime)
    created, own = await integration_with_token(client, runtime)
    listed = await client.get(
        "/v1/integrations/plans", headers=await admin_headers(runtime, client)
    )
    assert listed.status_code == 200
    plans = listed.json()["data"]
    assert [plan["name"] for plan in plans] == ["Starter", "Growth", "Scale"]
    assert set(plans[1]) == PLAN_FIELDS
    assert plans[1] == {
        "id": "plan_growth",
        "name": "Growth",
        "currency": "GHS",
        "monthlyFee": 25_000,
        "includedCalls": 250_000,
        "overagePer1000Calls": 300,
    }
    assert (await client.get("/v1/integrations/plans", headers=own)).json() == listed.json()
    assert_hub_error(await client.get("/v1/integrations/plans"), 401, "UNAUTHORIZED")
    _, person = await signed_in(runtime, client)
    assert_hub_error(await client.get("/v1/integrations/plans", headers=person), 403, "FORBIDDEN")
    browser = bearer((await partner_user(client, created))["accessToken"])
    refused = await client.get("/v1/integrations/plans", headers=browser)
    assert_hub_error(refused, 403, "FORBIDDEN")


async def test_a_subscription_is_put_and_read_by_admin_or_own_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await load_plans(runtime)
    created, own = await integration_with_token(client, runtime)
    url = f"/v1/integrations/{created['integration']['id']}/subscription"
    none_yet = await client.get(url, headers=own)
    assert_hub_error(none_yet, 404, "NOT_FOUND")
    put = await client.put(url, json={"planId": "plan_growth"}, headers=own)
    assert put.status_code == 200, put.text
    body = put.json()
    assert set(body) == {"integrationId", "plan", "startedAt", "updatedAt"}
    assert body["integrationId"] == created["integration"]["id"]
    assert body["plan"]["id"] == "plan_growth" and set(body["plan"]) == PLAN_FIELDS
    admin = await admin_headers(runtime, client)
    moved = await client.put(url, json={"planId": "plan_scale"}, headers=admin)
    assert moved.status_code == 200 and moved.json()["plan"]["name"] == "Scale"
    read = await client.get(url, headers=own)
    assert read.status_code == 200 and read.json()["plan"]["id"] == "plan_scale"


async def test_subscription_refusals(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await load_plans(runtime)
    created, own = await integration_with_token(client, runtime)
    _, other = await integration_with_token(client, runtime)
    url = f"/v1/integrations/{created['integration']['id']}/subscription"
    assert_hub_error(await client.put(url, json={"planId": "plan_growth"}), 401, "UNAUTHORIZED")
    browser = bearer((await partner_user(client, created))["accessToken"])
    assert_hub_error(
        await client.put(url, json={"planId": "plan_growth"}, headers=browser), 403, "FORBIDDEN"
    )
    # Another integration's subscription does not exist for this token.
    assert_hub_error(
        await client.put(url, json={"planId": "plan_growth"}, headers=other), 404, "NOT_FOUND"
    )
    assert_hub_error(await client.get(url, headers=other), 404, "NOT_FOUND")
    admin = await admin_headers(runtime, client)
    assert_hub_error(
        await client.put(
            "/v1/integrations/int_nosuchone/subscription",
            json={"planId": "plan_growth"},
            headers=admin,
        ),
        404,
        "NOT_FOUND",
    )
    assert_hub_error(
        await client.put(url, json={"planId": "plan_nosuchplan"}, headers=own), 404, "NOT_FOUND"
    )
    for body in ({}, {"planId": "growth"}, {"planId": "plan_growth", "extra": 1}):
        assert_hub_error(await client.put(url, json=body, headers=own), 422, "VALIDATION_ERROR")
    assert_hub_error(await client.get(url, headers=own), 404, "NOT_FOUND")


async def test_calls_are_metered_per_endpoint_and_day_and_read_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created, own = await integration_with_token(client, runtime)
    browser = bearer((await partner_user(client, created))["accessToken"])
    for _ in range(3):
        assert (await client.get("/v1/me", headers=own)).status_code == 200
    for _ in range(2):
        assert (await client.get("/api/v1/profile", headers=browser)).status_code == 200
    # Refused at the gate: not a call of the integration's, not metered.
    assert (await client.get("/v1/organizations/me", headers=own)).status_code == 403
    admin = await admin_headers(runtime, client)
    url = f"/v1/integrations/{created['integration']['id']}/usage"
    by_day = await client.get(url, headers=admin)
    assert by_day.status_code == 200, by_day.text
    today = utcnow().date()
    # exchange (made by partner_user) counts too: 1 + 3 + 2.
    assert by_day.json() == {
        "integrationId": created["integration"]["id"],
        "from": today.replace(day=1).isoformat(),
        "to": today.isoformat(),
        "groupBy": "day",
        "totalCalls": 6,
        "data": [{"day": today.isoformat(), "calls": 6}],
    }
    await metering.meter_of(runtime).flush()  # what was pending is the same once written
    by_endpoint = await client.get(url, params={"groupBy": "endpoint"}, headers=admin)
    assert by_endpoint.json()["data"] == [
        {"endpoint": "GET /v1/me", "calls": 3},
        {"endpoint": "GET /api/v1/profile", "calls": 2},
        {"endpoint": "POST /v1/integrations/auth/exchange", "calls": 1},
    ]
    # Its own token reads it too (and that read is a call of its own).
    mine = await client.get(url, params={"groupBy": "endpoint"}, headers=own)
    assert mine.status_code == 200 and mine.json()["totalCalls"] == 7
    yesterday = today.fromordinal(today.toordinal() - 1).isoformat()
    empty = await client.get(url, params={"from": yesterday, "to": yesterday}, headers=admin)
    assert empty.json()["totalCalls"] == 0 and empty.json()["data"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-02", "to": "2026-02-01"},
        {"from": "2025-01-01", "to": "2026-01-02"},
        {"groupBy": "week"},
        {"from": "yesterday"},
    ],
)
async def test_usage_refuses_a_bad_window(
    client: httpx.AsyncClient, runtime: Runtime, params: dict[str, str]
) -> None:
    created, _ = await integration_with_token(client, runtime)
    url = f"/v1/integrations/{created['integration']['id']}/usage"
    response = await client.get(url, params=params, headers=await admin_headers(runtime, client))
    assert_hub_error(response, 422, "VALIDATION_ERROR")


async def test_usage_of_another_integration_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created, _ = await integration_with_token(client, runtime)
    _, other = await integration_with_token(client, runtime)
    url = f"/v1/integrations/{created['integration']['id']}/usage"
    assert_hub_error(await client.get(url, headers=other), 404, "NOT_FOUND")
    assert_hub_error(await client.get(url), 401, "UNAUTHORIZED")


async def test_a_call_writes_nothing_and_a_clean_shutdown_flushes_every_count(
    database_url: str,
) -> None:
    async with limited_app(database_url, hub_usage_flush_seconds=3600) as app:
        runtime: Runtime = app.state.runtime
        async with client_from(app) as client:
            created, own = await integration_with_token(client, runtime)
            for _ in range(4):
                assert (await client.get("/v1/me", headers=own)).status_code == 200
            assert await usage_rows(runtime) == []  # counted in memory only
            url = f"/v1/integrations/{created['integration']['id']}/usage"
            pending = await client.get(url, headers=await admin_headers(runtime, client))
            assert pending.json()["totalCalls"] == 4
    async with limited_app(database_url) as app:
        assert await usage_rows(app.state.runtime) == [
            (created["integration"]["id"], "GET /v1/me", 4)
        ]


async def test_processes_flushing_the_same_counter_add_up(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created, _ = await integration_with_token(client, runtime)
    integration_id = created["integration"]["id"]
    one, two = metering.UsageMeter(runtime.sessionmaker), metering.UsageMeter(runtime.sessionmaker)
    for meter, calls in ((one, 2), (two, 5)):
        for _ in range(calls):
            meter.count(integration_id, "GET /v1/me")
    assert await one.flush() == 2 and await two.flush() == 5 and await one.flush() == 0
    assert await usage_rows(runtime) == [(integration_id, "GET /v1/me", 7)]
    # Counts of an integration deleted before the flush are dropped with it.
    one.count("int_deletedmeanwhile", "GET /v1/me")
    assert await one.flush() == 0
