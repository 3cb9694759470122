"""EV-CMS /api/v1/notifications: the inbox, filters, preferences, alerts and bulk."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from evcare.core.runtime import Runtime
from evcare.engagement.notification_models import Broadcast, Notification
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.notifications import notify
from tests.surfaces.cms.test_auth import assert_cms_error

BASE = "/api/v1/notifications"
NOTIFICATION_FIELDS = {"id", "userId", "type", "title", "message", "data", "isRead", "createdAt"}
ROUTES = [
    ("GET", BASE),
    ("GET", f"{BASE}/preferences"),
    ("PUT", f"{BASE}/preferences"),
    ("PUT", f"{BASE}/read-all"),
    ("DELETE", BASE),
    ("GET", f"{BASE}/1"),
    ("PATCH", f"{BASE}/1/read"),
    ("DELETE", f"{BASE}/1"),
    ("POST", BASE),
    ("POST", f"{BASE}/bulk"),
]
ADMIN_ROUTES = [("POST", BASE), ("POST", f"{BASE}/bulk")]
ALERT = {"title": "Planned downtime", "message": "Payments pause at 02:00 UTC", "type": "system"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_needs_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    assert_cms_error(await client.request(method, path, json={}), 401)


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_alerts_and_bulk_are_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str
) -> None:
    user, headers = await signed_in(runtime, client, Role.BRAND)
    body = ALERT | {"userIds": [str(user.id)]} if path.endswith("bulk") else ALERT
    response = await client.request(method, path, json=body, headers=headers)
    assert "MANAGE:NOTIFICATIONS" in str(assert_cms_error(response, 403)["message"])


async def test_the_inbox_has_the_documented_shape_and_counts_unread(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await notify(runtime, user, category="booking", title="First")
    await notify(runtime, user, category="wallet", title="Second")
    response = await client.get(BASE, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["unreadCount"] == 2
    assert [n["title"] for n in data["notifications"]] == ["Second", "First"]
    first = data["notifications"][0]
    assert set(first) == NOTIFICATION_FIELDS
    assert first["userId"] == str(user.id) and first["type"] == "payment"
    assert first["isRead"] is False and first["data"] == {"ref": "x"}
    assert body["pagination"] == {
        "total": 2,
        "page": 1,
        "limit": 10,
        "totalPages": 1,
        "hasNext": False,
        "hasPrev": False,
    }


async def test_status_and_type_filter_the_inbox_and_unread_count_stays_for_all(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    booking = (await notify(runtime, user, category="booking"))[0]
    await notify(runtime, user, category="session")
    await notify(runtime, user, category="security", subject=None)
    read = await client.patch(f"{BASE}/{booking.id}/read", headers=headers)
    assert read.json()["data"]["notification"]["isRead"] is True

    async def titles(query: str) -> list[str]:
        response = await client.get(f"{BASE}?{query}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["unreadCount"] == 2
        return [n["type"] for n in response.json()["data"]["notifications"]]

    assert await titles("status=read") == ["booking"]
    assert sorted(await titles("status=unread")) == ["session", "system"]
    assert await titles("type=session") == ["session"]
    assert await titles("type=system") == ["system"]  # security notices are system ones
    assert await titles("type=booking&status=unread") == []


async def test_only_in_app_records_are_in_the_inbox(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    rows = await notify(runtime, user, category="booking")
    assert {r.channel for r in rows} == {"in_app", "email"}
    listed = (await client.get(BASE, headers=headers)).json()["data"]["notifications"]
    assert [n["id"] for n in listed] == [str(r.id) for r in rows if r.channel == "in_app"]
    email = next(r for r in rows if r.channel == "email")
    assert_cms_error(await client.get(f"{BASE}/{email.id}", headers=headers), 404)


async def test_one_notification_is_read_and_deleted_by_its_owner_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, headers = await signed_in(runtime, client)
    _, other = await signed_in(runtime, client)
    row = (await notify(runtime, owner))[0]
    for method, path in [
        ("GET", f"{BASE}/{row.id}"),
        ("PATCH", f"{BASE}/{row.id}/read"),
        ("DELETE", f"{BASE}/{row.id}"),
    ]:
        assert_cms_error(await client.request(method, path, headers=other), 404)
    got = await client.get(f"{BASE}/{row.id}", headers=headers)
    assert got.status_code == 200
    assert set(got.json()["data"]["notification"]) == NOTIFICATION_FIELDS
    assert got.json()["data"]["notification"]["isRead"] is False
    deleted = await client.delete(f"{BASE}/{row.id}", headers=headers)
    assert deleted.json() == {
        "success": True,
        "message": "Notification deleted",
        "data": {"success": True},
    }
    assert_cms_error(await client.get(f"{BASE}/{row.id}", headers=headers), 404)


@pytest.mark.parametrize("bad", ["0", "abc", "99999999999"])
async def test_a_malformed_notification_id_is_a_404(
    client: httpx.AsyncClient, runtime: Runtime, bad: str
) -> None:
    _, headers = await signed_in(runtime, client)
    assert_cms_error(await client.get(f"{BASE}/{bad}", headers=headers), 404)


async def test_read_all_and_delete_all_touch_only_the_callers_notifications(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    other, other_headers = await signed_in(runtime, client)
    for _ in range(3):
        await notify(runtime, user)
    await notify(runtime, other)
    marked = await client.put(f"{BASE}/read-all", headers=headers)
    assert marked.status_code == 200 and marked.json()["data"] == {"success": True}
    assert (await client.get(BASE, headers=headers)).json()["data"]["unreadCount"] == 0
    assert (await client.get(BASE, headers=other_headers)).json()["data"]["unreadCount"] == 1
    wiped = await client.delete(BASE, headers=headers)
    assert wiped.json()["message"] == "3 notifications deleted"
    assert (await client.get(BASE, headers=headers)).json()["pagination"]["total"] == 0
    assert (await client.get(BASE, headers=other_headers)).json()["pagination"]["total"] == 1


async def test_bad_list_parameters_are_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    for query, field in [("status=seen", "status"), ("type=news", "type"), ("limit=101", "limit")]:
        body = assert_cms_error(await client.get(f"{BASE}?{query}", headers=headers), 422)
        assert field in str(body["errors"])


async def test_preferences_default_then_change_switch_by_switch(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    got = await client.get(f"{BASE}/preferences", headers=headers)
    assert got.status_code == 200
    assert got.json()["data"] == {
        "preferences": {
            "email": {
                "bookingConfirmation": True,
                "sessionComplete": True,
                "paymentReceipt": True,
                "promotions": False,
            },
            "push": {"bookingReminder": True, "sessionStart": True, "lowBalance": True},
            "sms": {"bookingConfirmation": False, "paymentConfirmation": False},
            "inApp": {"all": True},
        }
    }
    changed = await client.put(
        f"{BASE}/preferences",
        json={"email": {"promotions": True}, "sms": {"paymentConfirmation": True}},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    prefs = changed.json()["data"]["preferences"]
    assert prefs["email"]["promotions"] is True and prefs["email"]["sessionComplete"] is True
    assert prefs["sms"] == {"bookingConfirmation": False, "paymentConfirmation": True}
    again = await client.get(f"{BASE}/preferences", headers=headers)
    assert again.json()["data"]["preferences"] == prefs


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": {"newsletter": True}}, "newsletter"),
        ({"inApp": {"all": "sometimes"}}, "inApp.all"),
        ({"fax": {}}, "fax"),
    ],
)
async def test_bad_preferences_are_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, object], field: str
) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.put(f"{BASE}/preferences", json=body, headers=headers)
    assert field in str(assert_cms_error(response, 422)["errors"])


async def test_in_app_off_writes_no_inbox_entry(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await client.put(f"{BASE}/preferences", json={"inApp": {"all": False}}, headers=headers)
    rows = await notify(runtime, user)
    assert [r.channel for r in rows] == ["email"]
    assert (await client.get(BASE, headers=headers)).json()["data"]["unreadCount"] == 0


async def test_a_system_alert_reaches_its_targets_in_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    target, target_headers = await signed_in(runtime, client)
    _, bystander = await signed_in(runtime, client)
    response = await client.post(
        BASE, json=ALERT | {"targetUsers": [str(target.id)]}, headers=admin
    )
    assert response.status_code == 201, response.text
    alert = response.json()["data"]["notification"]
    assert set(alert) == NOTIFICATION_FIELDS
    assert alert["userId"] is None and alert["type"] == "system"
    assert alert["data"]["recipients"] == 1
    await runtime.outbox.drain()
    received = (await client.get(BASE, headers=target_headers)).json()["data"]["notifications"]
    assert [(n["title"], n["type"]) for n in received] == [("Planned downtime", "system")]
    assert (await client.get(BASE, headers=bystander)).json()["pagination"]["total"] == 0


async def test_a_system_alert_without_targets_goes_to_every_active_user(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin_user, admin = await signed_in(runtime, client, Role.ADMIN)
    users = [await signed_in(runtime, client) for _ in range(3)]
    response = await client.post(BASE, json=ALERT, headers=admin)
    assert response.status_code == 201, response.text
    await runtime.outbox.drain()
    for _, headers in users:
        assert (await client.get(BASE, headers=headers)).json()["data"]["unreadCount"] == 1
    async with runtime.sessionmaker() as session:
        broadcast = (await session.scalars(select(Broadcast))).one()
    assert broadcast.recipient_count == 4 == broadcast.written_count  # the admin too
    assert broadcast.status == "done" and broadcast.created_by == admin_user.id


async def test_bulk_returns_the_count_of_real_recipients(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    first, first_headers = await signed_in(runtime, client)
    second, _ = await signed_in(runtime, client)
    response = await client.post(
        f"{BASE}/bulk",
        json={
            "title": "Tariff change",
            "message": "New prices from Monday",
            "userIds": [str(first.id), f"USR{second.id:06d}", str(first.id), "2000000000"],
        },
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"success": True, "count": 2}
    await runtime.outbox.drain()
    got = (await client.get(BASE, headers=first_headers)).json()["data"]["notifications"]
    assert [n["title"] for n in got] == ["Tariff change"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (BASE, {"title": "", "message": "m"}, "title"),
        (BASE, ALERT | {"type": "news"}, "type"),
        (BASE, ALERT | {"targetUsers": []}, "targetUsers"),
        (BASE, ALERT | {"targetUsers": ["x1"]}, "targetUsers"),
        (f"{BASE}/bulk", {"title": "t", "message": "m"}, "userIds"),
        (f"{BASE}/bulk", {"title": "t", "message": "m", "userIds": []}, "userIds"),
        (f"{BASE}/bulk", {"title": "t", "message": "m" * 1001, "userIds": ["1"]}, "message"),
    ],
)
async def test_bad_alerts_are_422_naming_the_field_and_write_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post(path, json=body, headers=admin)
    assert field in str(assert_cms_error(response, 422)["errors"])
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert await session.scalar(select(func.count()).select_from(Notification)) == 0
