"""Times of day, dates and datetimes from clients go through one parser
(``evcare.surfaces.times``): offsets are converted to UTC, anything but ISO 8601 text is
a 422 naming the field, on every route that takes one."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.surfaces.times import UtcDateTime
from tests.factories.bookings import make_workshop
from tests.factories.identity import signed_in
from tests.factories.service import make_timeslot
from tests.surfaces.cms.test_auth import assert_cms_error
from tests.surfaces.revcare.helpers import assert_revcare_error

NOT_A_DATE = ["0", "1700000000", "2026-W48-2", "20261124", "2026-11-24T00:00:00", "2026-02-30"]


async def test_a_slot_time_with_an_offset_is_stored_as_the_utc_time_of_day(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post(
        "/utils/timeslot",
        json={"start_time": "20:00+05:30", "end_time": "21:00:00+05:30", "capacity": 2},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert (created.json()["start_time"], created.json()["end_time"]) == ("14:30", "15:30")
    zulu = await client.post(
        "/utils/timeslot",
        json={"start_time": "16:00Z", "end_time": "17:00", "capacity": 2},
        headers=admin,
    )
    assert (zulu.json()["start_time"], zulu.json()["end_time"]) == ("16:00", "17:00")


async def test_updating_a_slot_with_a_negative_offset_converts_it_not_500(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    slot = await make_timeslot(runtime, start=time(4, 0), end=time(8, 0))
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    updated = await client.put(
        f"/utils/timeslot/{slot.id}", json={"start_time": "03:00-02:00"}, headers=admin
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["start_time"], updated.json()["end_time"]) == ("05:00", "08:00")


async def test_a_window_that_crosses_utc_midnight_once_converted_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    body = {"start_time": "04:00+05:30", "end_time": "06:00+05:30", "capacity": 1}
    response = await client.post("/utils/timeslot", json=body, headers=admin)
    assert assert_revcare_error(response, 400)["detail"] == "A timeslot must end after it starts"


@pytest.mark.parametrize(
    "value",
    [3600, "3600", "9:00", "09:00+5:30", "24:00", "09:00 IST", "\uff10\uff19:\uff10\uff10", True],
)
async def test_a_slot_time_that_is_not_an_iso_time_of_day_is_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, value: Any
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    body = {"start_time": value, "end_time": "23:00", "capacity": 1}
    response = await client.post("/utils/timeslot", json=body, headers=admin)
    detail = assert_revcare_error(response, 422)["detail"]
    assert [item["loc"][-1] for item in detail] == ["start_time"]


@pytest.mark.parametrize("value", NOT_A_DATE)
async def test_date_queries_and_bodies_take_only_yyyy_mm_dd(
    client: httpx.AsyncClient, runtime: Runtime, value: str
) -> None:
    shop = await make_workshop(runtime, client)
    _, driver = await signed_in(runtime, client)
    history = await client.get(
        "/api/v1/sessions/history", params={"startDate": value}, headers=driver
    )
    assert assert_cms_error(history, 422)["errors"][0]["field"] == "startDate"  # type: ignore[index]
    slots = await client.get("/utils/timeslot", params={"date": value})
    assert assert_revcare_error(slots, 422)["detail"][0]["loc"][-1] == "date"
    dashboard = await client.get(
        "/bookings/admin/dashboard", params={"from_date": value}, headers=shop.admin.headers
    )
    assert assert_revcare_error(dashboard, 422)["detail"][0]["loc"][-1] == "from_date"
    booking = await client.post(
        "/bookings/", json=shop.booking_body(service_date=value), headers=shop.customer.headers
    )
    assert assert_revcare_error(booking, 422)["detail"][0]["loc"][-1] == "service_date"


async def test_a_json_number_is_not_a_date(client: httpx.AsyncClient, runtime: Runtime) -> None:
    shop = await make_workshop(runtime, client)
    booking = await client.post(
        "/bookings/", json=shop.booking_body(service_date=0), headers=shop.customer.headers
    )
    assert assert_revcare_error(booking, 422)["detail"][0]["loc"][-1] == "service_date"
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    ok = await client.post(
        "/bookings/", json=shop.booking_body(service_date=tomorrow), headers=shop.customer.headers
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["service_date"] == tomorrow


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
async def test_a_date_at_the_calendars_ends_is_422_not_500(
    client: httpx.AsyncClient, runtime: Runtime, value: str
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    for path, name in [
        ("/api/v1/analytics/revenue", "endDate"),
        ("/api/v1/analytics/session-summary", "endDate"),
        ("/api/v1/billing/reports/daily", "date"),
    ]:
        answer = await client.get(path, params={name: value}, headers=admin)
        assert assert_cms_error(answer, 422)["errors"][0]["field"] == name  # type: ignore[index]
    inside = await client.get(
        "/api/v1/billing/reports/daily", params={"date": "2999-12-31"}, headers=admin
    )
    assert inside.status_code == 200, inside.text


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59Z"]
)
async def test_a_datetime_at_the_calendars_ends_is_422_not_500(
    client: httpx.AsyncClient, runtime: Runtime, value: str
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    for name in ("from", "to"):
        answer = await client.get("/api/v1/admin/bookings", params={name: value}, headers=admin)
        assert assert_cms_error(answer, 422)["errors"][0]["field"] == name  # type: ignore[index]


class _Stamped(BaseModel):
    at: UtcDateTime


def test_a_datetime_is_converted_to_utc_and_one_without_an_offset_is_refused() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    assert _Stamped(at="2026-11-24T09:30:00+05:30").at == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert _Stamped(at="2026-11-24T04:00Z").at.utcoffset() == timedelta(0)
    assert _Stamped(at=datetime(2026, 11, 24, 9, 30, tzinfo=india)).at.tzinfo is UTC
    for bad in ["2026-11-24T09:30:00", 0, "1700000000", "2026-11-24", "today"]:
        with pytest.raises(ValidationError):
            _Stamped(at=bad)


TEMPORAL_FORMATS = {"date", "time", "date-time"}


def _unparsed_temporals(
    document: dict[str, Any], node: Any, where: str, seen: set[str]
) -> list[str]:
    """Input schemas that say date/time but lack the shared parser's pattern."""
    if isinstance(node, list):
        return [
            x
            for i, item in enumerate(node)
            for x in _unparsed_temporals(document, item, where, seen)
        ]
    if not isinstance(node, dict):
        return []
    found: list[str] = []
    reference = node.get("$ref")
    if isinstance(reference, str) and reference not in seen:
        seen.add(reference)
        target = document
        for part in reference.removeprefix("#/").split("/"):
            target = target[part]
        found += _unparsed_temporals(document, target, f"{where} {reference}", seen)
    if node.get("format") in TEMPORAL_FORMATS and "pattern" not in node:
        found.append(where)
    for key, value in node.items():
        if key != "$ref":
            found += _unparsed_temporals(document, value, f"{where}.{key}", seen)
    return found


@pytest.mark.parametrize("document", ["/openapi.json", "/api/v1/openapi.json", "/v1/openapi.json"])
async def test_no_route_takes_a_date_or_time_without_the_shared_parser(
    client: httpx.AsyncClient, document: str
) -> None:
    """A route written with a bare ``date``/``time``/``datetime`` input fails here: its
    parameter or body schema says ``format: date`` without the shared type's pattern."""
    spec = (await client.get(document)).json()
    offenders: list[str] = []
    operations = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            operations += 1
            inputs = [operation.get("parameters", []), operation.get("requestBody", {})]
            offenders += _unparsed_temporals(spec, inputs, f"{method} {path}", set())
    assert operations > 0
    assert offenders == [], offenders
