"""EV-CMS /api/v1/pricing: the documented breakdown, rules by level, who may do what."""

from __future__ import annotations

from typing import Any

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories import charging
from tests.factories.identity import make_user, signed_in
from tests.surfaces.cms.test_auth import assert_cms_error

COST_FIELDS = {
    "basePrice",
    "energyCost",
    "parkingFee",
    "peakHourCharge",
    "discount",
    "platformFee",
    "subtotal",
    "gst",
    "total",
    "breakdown",
}
BREAKDOWN_FIELDS = {
    "perKwhRate",
    "parkingRatePerMinute",
    "isPeakHour",
    "peakMultiplier",
    "discountPercentage",
    "gstPercentage",
}


def _rule(station_id: int | None, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Evening",
        "stationId": None if station_id is None else str(station_id),
        "rules": [{"type": "ENERGY", "price": 20}],
        **extra,
    }


async def test_calculate_answers_the_documented_breakdown_across_a_peak(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, brand_headers = await signed_in(runtime, client, Role.BRAND)
    station = await charging.make_station(runtime, brand, connectors=[("CCS", 60.0, 1800)])
    rule = _rule(
        station.id,
        connectorType="CCS",
        peakHours=[{"startTime": "18:00+05:30", "endTime": "22:00+05:30", "multiplier": 1.5}],
        discountPercentage=10,
    )
    created = await client.post("/api/v1/pricing/rules", json=rule, headers=brand_headers)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["rule"]["peakHours"][0]["startTime"] == "12:30"
    _, headers = await signed_in(runtime, client)
    quote = {
        "stationId": str(station.id),
        "connectorId": "1",
        "energyKwh": 10,
        "duration": 60,
        "startTime": "2026-06-01T12:00:00Z",  # half before the peak, half in it
    }
    response = await client.post("/api/v1/pricing/calculate", json=quote, headers=headers)
    assert response.status_code == 200, response.text
    cost = response.json()["data"]
    assert set(cost) == COST_FIELDS and set(cost["breakdown"]) == BREAKDOWN_FIELDS
    assert cost["energyCost"] == 200 and cost["peakHourCharge"] == 50
    assert cost["discount"] == 25 and cost["total"] == 225
    assert cost["gst"] == 34.32  # 22500 x 18/118 = 3432.2 paise, GST-inclusive prices
    assert cost["subtotal"] + cost["gst"] == cost["total"]
    assert cost["breakdown"]["isPeakHour"] is True and cost["breakdown"]["peakMultiplier"] == 1.5
    preview = await client.get(
        f"/api/v1/pricing/preview/{station.id}?connectorType=CCS", headers=headers
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["data"]["pricing"][0]["ruleId"] == created.json()["data"]["rule"]["id"]


async def test_the_most_specific_rule_wins_and_the_connector_price_is_the_fallback(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin_headers = await signed_in(runtime, client, Role.ADMIN)
    brand = await make_user(runtime, role=Role.BRAND)
    station = await charging.make_station(
        runtime, brand, connectors=[("CCS", 60.0, 1800), ("Type2", 22.0, 1800)]
    )
    quote = {"stationId": str(station.id), "connectorId": "1", "energyKwh": 1}

    async def rate(connector: str = "1") -> Any:
        body = {**quote, "connectorId": connector}
        answer = await client.post("/api/v1/pricing/calculate", json=body, headers=admin_headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["breakdown"]["perKwhRate"]

    assert await rate() == 18  # the connector's own basePrice
    for level, price in (
        ({"stationId": None, "connectorType": None}, 19),
        ({"stationId": None, "connectorType": "CCS"}, 20),
        ({"stationId": str(station.id), "connectorType": None}, 21),
        ({"stationId": str(station.id), "connectorType": "CCS"}, 22),
    ):
        body = {**_rule(None), **level, "rules": [{"type": "ENERGY", "price": price}]}
        made = await client.post("/api/v1/pricing/rules", json=body, headers=admin_headers)
        assert made.status_code == 201, made.text
        assert await rate() == price
    assert await rate("2") == 21  # Type2: the station's rule
    clash = await client.post(
        "/api/v1/pricing/rules",
        json={**_rule(station.id), "connectorType": "CCS"},
        headers=admin_headers,
    )
    assert_cms_error(clash, 409)
    later = {**_rule(station.id), "connectorType": "CCS", "validFrom": "2030-01-01T00:00:00Z"}
    assert_cms_error(
        await client.post("/api/v1/pricing/rules", json=later, headers=admin_headers), 409
    )
    listed = await client.get("/api/v1/pricing/rules?isActive=true&limit=2", headers=admin_headers)
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["data"]["rules"]) == 2
    assert listed.json()["pagination"]["total"] == 4


async def test_rules_are_managed_by_admins_and_the_stations_owner_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, brand_headers = await signed_in(runtime, client, Role.BRAND)
    _, other_brand = await signed_in(runtime, client, Role.BRAND)
    _, driver = await signed_in(runtime, client)
    station = await charging.make_station(runtime, brand, connectors=[("CCS", 60.0, 1800)])
    body = _rule(station.id)
    assert_cms_error(await client.post("/api/v1/pricing/rules", json=body), 401)
    assert_cms_error(await client.post("/api/v1/pricing/rules", json=body, headers=driver), 403)
    assert_cms_error(
        await client.post("/api/v1/pricing/rules", json=_rule(None), headers=brand_headers), 403
    )
    assert_cms_error(
        await client.post("/api/v1/pricing/rules", json=body, headers=other_brand), 404
    )
    made = await client.post("/api/v1/pricing/rules", json=body, headers=brand_headers)
    assert made.status_code == 201, made.text
    rule_id = made.json()["data"]["rule"]["id"]
    path = f"/api/v1/pricing/rules/{rule_id}"
    assert (await client.get(path, headers=driver)).json()["data"]["rule"]["name"] == "Evening"
    assert_cms_error(await client.put(path, json={"name": "x"}, headers=other_brand), 404)
    assert_cms_error(await client.delete(path, headers=other_brand), 404)
    updated = await client.put(path, json={"isActive": False}, headers=brand_headers)
    assert updated.json()["data"]["rule"]["isActive"] is False
    assert (await client.delete(path, headers=brand_headers)).json()["data"] == {"success": True}
    assert_cms_error(await client.get(path, headers=driver), 404)
    assert_cms_error(await client.get("/api/v1/pricing/rules/99999999999", headers=driver), 404)
    assert_cms_error(await client.get("/api/v1/pricing/preview/1"), 401)


async def test_bad_rules_and_quotes_are_422_naming_the_field(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await charging.make_station(runtime, brand, connectors=[("CCS", 60.0, 1800)])
    bad_rules = [
        ({**_rule(station.id), "rules": [{"type": "ENERGY", "price": -1}]}, "rules.0.price"),
        ({**_rule(station.id), "rules": [{"type": "ENERGY", "price": 1.001}]}, "rules.0.price"),
        ({**_rule(station.id), "rules": [{"type": "CHEAP", "price": 1}]}, "rules.0.type"),
        ({**_rule(station.id), "rules": []}, "rules"),
        ({**_rule(station.id), "discountPercentage": 101}, "discountPercentage"),
        (
            {
                **_rule(station.id),
                "peakHours": [
                    {"startTime": "18:00", "endTime": "22:00", "multiplier": 1.5},
                    {"startTime": "21:00", "endTime": "23:00", "multiplier": 2},
                ],
            },
            "peakHours",
        ),
        (
            {
                **_rule(station.id),
                "validFrom": "2026-01-02T00:00:00Z",
                "validTo": "2026-01-01T00:00:00Z",
            },
            "validTo",
        ),
    ]
    for body, field in bad_rules:
        answer = await client.post("/api/v1/pricing/rules", json=body, headers=headers)
        error = assert_cms_error(answer, 422)
        assert field in [e["field"] for e in error["errors"]], (field, error)  # type: ignore[union-attr]
    quote = {"stationId": str(station.id), "connectorId": "1", "energyKwh": 0.0001}
    answer = await client.post("/api/v1/pricing/calculate", json=quote, headers=headers)
    assert assert_cms_error(answer, 422)["errors"][0]["field"] == "energyKwh"  # type: ignore[index]
    unknown = {**quote, "energyKwh": 1, "connectorId": "9"}
    assert_cms_error(
        await client.post("/api/v1/pricing/calculate", json=unknown, headers=headers), 404
    )
    assert (await client.get("/api/v1/pricing/rules", headers=headers)).json()["data"][
        "rules"
    ] == []
