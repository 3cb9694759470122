"""EV-CMS section 11, Support over HTTP: the documented Ticket, who sees and changes
what, comments with owned attachments, ratings after resolution, the SLA from the
ticket's own timeline, and the statistics."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope, scopes_for
from evcare.operations import settings as system_settings
from evcare.support.models import TicketComment
from tests.factories.engagement import in_app_notifications
from tests.factories.files import jpeg, uploaded
from tests.factories.identity import bearer, login, signed_in
from tests.factories.vehicles import narrowed
from tests.surfaces.cms.test_auth import assert_cms_error, error_fields

SUPPORT = "/api/v1/support"
TICKETS = f"{SUPPORT}/tickets"
TICKET_KEYS = {
    "id",
    "ticketNumber",
    "userId",
    "userName",
    "subject",
    "description",
    "category",
    "priority",
    "status",
    "assignedTo",
    "comments",
    "rating",
    "createdAt",
    "resolvedAt",
    "slaStatus",
}


async def _open(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    body = {
        "subject": "Charger did not start",
        "description": "Connector 2 at Andheri stayed idle after I tapped start.",
        "category": "technical",
        **overrides,
    }
    response = await client.post(TICKETS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["data"]["ticket"]
    return ticket


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    ticket: dict[str, Any] = response.json()["data"]["ticket"]
    return ticket


async def test_a_ticket_is_opened_in_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    ticket = await _open(client, headers)
    assert set(ticket) == TICKET_KEYS
    assert re.fullmatch(r"TKT-\d{4}-\d{6}", ticket["ticketNumber"])
    assert ticket["userId"] == str(user.id) and ticket["userName"] == user.name
    assert ticket["priority"] == "medium" and ticket["status"] == "open"
    assert ticket["category"] == "technical" and ticket["comments"] == []
    assert ticket["assignedTo"] is None and ticket["rating"] is None
    assert ticket["resolvedAt"] is None and ticket["slaStatus"] == "within"
    one = await client.get(f"{TICKETS}/{ticket['id']}", headers=headers)
    assert await _ok(one) == ticket


async def test_users_see_only_their_own_tickets_with_counts_per_status(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, mine = await signed_in(runtime, client)
    _, theirs = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    first = await _open(client, mine, priority="high")
    await _open(client, mine, category="billing", subject="Double charge")
    other = await _open(client, theirs)
    await _ok(
        await client.put(f"{TICKETS}/{first['id']}", json={"status": "resolved"}, headers=admin)
    )
    listed = await client.get(TICKETS, headers=mine)
    assert listed.status_code == 200
    body = listed.json()
    assert [t["subject"] for t in body["data"]["tickets"]] == [
        "Double charge",
        "Charger did not start",
    ]
    assert body["data"]["statusCounts"] == {
        "open": 1,
        "in-progress": 0,
        "resolved": 1,
        "closed": 0,
    }
    assert body["pagination"]["total"] == 2
    high = (await client.get(TICKETS, params={"priority": "high"}, headers=mine)).json()
    assert [t["id"] for t in high["data"]["tickets"]] == [first["id"]]
    resolved = (await client.get(TICKETS, params={"status": "resolved"}, headers=mine)).json()
    assert [t["id"] for t in resolved["data"]["tickets"]] == [first["id"]]
    everyone = (await client.get(TICKETS, params={"limit": 2}, headers=admin)).json()
    assert everyone["pagination"]["total"] == 3 and everyone["pagination"]["hasNext"] is True
    # Someone else's ticket does not exist for them, in every route.
    for response in (
        await client.get(f"{TICKETS}/{other['id']}", headers=mine),
        await client.put(f"{TICKETS}/{other['id']}", json={"status": "closed"}, headers=mine),
        await client.post(
            f"{TICKETS}/{other['id']}/comments", json={"comment": "hi"}, headers=mine
        ),
        await client.post(f"{TICKETS}/{other['id']}/rate", json={"rating": 5}, headers=mine),
    ):
        assert assert_cms_error(response, 404)["message"] == f"Ticket {other['id']} not found"
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(TicketComment)) == 0


async def test_a_support_reply_is_the_first_response_and_the_owner_is_told(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    staff, admin = await signed_in(runtime, client, Role.ADMIN)
    ticket = await _open(client, headers)
    url = f"{TICKETS}/{ticket['id']}/comments"
    photo = await uploaded(client, headers, jpeg(), kind="document")
    mine = await _ok(
        await client.post(
            url,
            json={"comment": "Here is a photo", "attachments": [photo["url"]]},
            headers=headers,
        )
    )
    assert mine["comments"][0] == {
        "author": user.name,
        "authorType": "user",
        "comment": "Here is a photo",
        "attachments": [photo["url"]],
        "createdAt": mine["comments"][0]["createdAt"],
    }
    assert mine["status"] == "open"
    reply = await _ok(await client.post(url, json={"comment": "Looking into it"}, headers=admin))
    assert [c["authorType"] for c in reply["comments"]] == ["user", "support"]
    assert reply["comments"][1]["author"] == staff.name
    assert reply["status"] == "in-progress"
    told = await in_app_notifications(runtime, user, "support")
    assert [n.message for n in told] == ["Support replied to your ticket"]
    assert told[0].data["ticketNumber"] == ticket["ticketNumber"]
    # The admin reads the attachment (a private document) through its URL.
    assert (await client.get(photo["url"], headers=admin)).status_code == 200


async def test_attachments_must_be_the_authors_own_uploads_and_nothing_is_half_written(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    _, stranger = await signed_in(runtime, client)
    ticket = await _open(client, headers)
    mine = await uploaded(client, headers, jpeg(), kind="document")
    theirs = await uploaded(client, stranger, jpeg(), kind="document")
    response = await client.post(
        f"{TICKETS}/{ticket['id']}/comments",
        json={
            "comment": "see attached",
            "attachments": [mine["url"], theirs["url"], "https://evil.example/x.jpg"],
        },
        headers=headers,
    )
    body = assert_cms_error(response, 422)
    assert error_fields(body) == ["attachments.1", "attachments.2"]
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(TicketComment)) == 0


async def test_who_may_change_what_on_a_ticket(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user, headers = await signed_in(runtime, client)
    staff, admin = await signed_in(runtime, client, Role.ADMIN)
    ticket = await _open(client, headers)
    url = f"{TICKETS}/{ticket['id']}"
    for body in ({"priority": "high"}, {"assignedTo": str(staff.id)}, {"status": "resolved"}):
        assert_cms_error(await client.put(url, json=body, headers=headers), 403)
    assigned = await _ok(
        await client.put(
            url, json={"assignedTo": f"USR{staff.id:06d}", "priority": "high"}, headers=admin
        )
    )
    assert assigned["assignedTo"] == str(staff.id) and assigned["priority"] == "high"
    not_staff = await client.put(url, json={"assignedTo": str(user.id)}, headers=admin)
    assert error_fields(assert_cms_error(not_staff, 422)) == ["assignedTo"]
    resolved = await _ok(await client.put(url, json={"status": "resolved"}, headers=admin))
    assert resolved["resolvedAt"] is not None
    assert [n.message for n in await in_app_notifications(runtime, user, "support")] == [
        "Your ticket is now resolved"
    ]
    reopened = await _ok(await client.put(url, json={"status": "open"}, headers=headers))
    assert reopened["status"] == "open" and reopened["resolvedAt"] is None
    closed = await _ok(await client.put(url, json={"status": "closed"}, headers=headers))
    assert closed["status"] == "closed"
    late = await client.post(f"{url}/comments", json={"comment": "one more"}, headers=headers)
    assert error_fields(assert_cms_error(late, 400)) == ["status"]


async def test_a_ticket_is_rated_once_after_resolution_on_a_scale_of_one_to_five(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    ticket = await _open(client, headers)
    url = f"{TICKETS}/{ticket['id']}"
    early = await client.post(f"{url}/rate", json={"rating": 5}, headers=headers)
    assert error_fields(assert_cms_error(early, 400)) == ["rating"]
    for bad in (0, 6, "5", 4.5, None):
        response = await client.post(f"{url}/rate", json={"rating": bad}, headers=headers)
        assert error_fields(assert_cms_error(response, 422)) == ["rating"], bad
    await _ok(await client.put(url, json={"status": "resolved"}, headers=admin))
    assert_cms_error(await client.post(f"{url}/rate", json={"rating": 4}, headers=admin), 403)
    rated = await _ok(
        await client.post(
            f"{url}/rate", json={"rating": 4, "feedback": "Quick fix"}, headers=headers
        )
    )
    assert set(rated["rating"]) == {"score", "feedback", "ratedAt"}
    assert rated["rating"]["score"] == 4 and rated["rating"]["feedback"] == "Quick fix"
    again = await client.post(f"{url}/rate", json={"rating": 5}, headers=headers)
    assert_cms_error(again, 409)


async def test_the_sla_follows_the_tickets_own_timeline_and_the_settings(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    user, headers = await signed_in(runtime, client)
    staff, _ = await signed_in(runtime, client, Role.ADMIN)

    async def later(delta: timedelta) -> tuple[dict[str, str], dict[str, str]]:
        """Move the clock; sign in again (access tokens last an hour)."""
        clock.advance(delta)
        return bearer(await login(client, user)), bearer(await login(client, staff))

    async def sla(ticket: dict[str, Any]) -> str:
        got = await _ok(await client.get(f"{TICKETS}/{ticket['id']}", headers=headers))
        return str(got["slaStatus"])

    # High priority: first reply within 60 minutes, resolution within 24 hours (defaults).
    quick = await _open(client, headers, priority="high")
    slow = await _open(client, headers, priority="high", subject="Nobody answers")
    headers, admin = await later(timedelta(minutes=30))
    reply = {"comment": "on it"}
    await _ok(await client.post(f"{TICKETS}/{quick['id']}/comments", json=reply, headers=admin))
    headers, admin = await later(timedelta(minutes=31))
    assert await sla(quick) == "within"
    assert await sla(slow) == "breached"  # 61 minutes, no reply
    # A late reply does not undo the breach.
    await _ok(await client.post(f"{TICKETS}/{slow['id']}/comments", json=reply, headers=admin))
    assert await sla(slow) == "breached"
    # Resolved inside 24 hours it stays within, however long ago that was.
    resolve = {"status": "resolved"}
    await _ok(await client.put(f"{TICKETS}/{quick['id']}", json=resolve, headers=admin))
    low = await _open(client, headers, priority="low")
    headers, admin = await later(timedelta(days=2))
    assert await sla(quick) == "within"
    # Low: first reply within a day by default; the settings make it a week.
    assert await sla(low) == "breached"
    async with runtime.sessionmaker() as session:
        await system_settings.update_settings(
            session,
            _principal(staff),
            {"support_first_response_minutes_low": 7 * 24 * 60},
        )
        await session.commit()
    assert await sla(low) == "within"
    headers, admin = await later(timedelta(days=6))
    assert await sla(low) == "breached"  # 8 days: past the week for both targets


def _principal(user: User) -> Principal:
    return Principal(user.id, user.role, scopes_for(user.role), uuid.uuid4())


async def test_stats_count_tickets_and_average_the_first_support_reply(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    _, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    empty = (await client.get(f"{SUPPORT}/stats", headers=admin)).json()["data"]
    assert empty == {"total": 0, "open": 0, "resolved": 0, "avgResponseTime": None}
    tickets = [await _open(client, headers) for _ in range(3)]
    clock.advance(timedelta(minutes=20))
    await client.post(
        f"{TICKETS}/{tickets[0]['id']}/comments", json={"comment": "a"}, headers=admin
    )
    clock.advance(timedelta(minutes=20))
    await client.post(
        f"{TICKETS}/{tickets[1]['id']}/comments", json={"comment": "b"}, headers=admin
    )
    # A user's own comment is no response.
    await client.post(
        f"{TICKETS}/{tickets[2]['id']}/comments", json={"comment": "c"}, headers=headers
    )
    await client.put(f"{TICKETS}/{tickets[0]['id']}", json={"status": "resolved"}, headers=admin)
    stats = await client.get(f"{SUPPORT}/stats", headers=admin)
    assert stats.status_code == 200
    assert stats.json()["data"] == {"total": 3, "open": 2, "resolved": 1, "avgResponseTime": 30.0}
    assert_cms_error(await client.get(f"{SUPPORT}/stats", headers=headers), 403)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/tickets"),
        ("POST", "/tickets"),
        ("GET", "/stats"),
        ("GET", "/tickets/1"),
        ("PUT", "/tickets/1"),
        ("POST", "/tickets/1/comments"),
        ("POST", "/tickets/1/rate"),
    ],
)
async def test_every_support_route_needs_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_cms_error(await client.request(method, SUPPORT + path, json={}), 401)


async def test_a_token_without_the_support_scopes_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    token = headers["Authorization"].removeprefix("Bearer ")
    no_read = narrowed(runtime, token, without=Scope.READ_SUPPORT)
    assert_cms_error(await client.get(TICKETS, headers=no_read), 403)
    no_write = narrowed(runtime, token, without=Scope.WRITE_SUPPORT)
    body = {"subject": "Hello", "description": "x", "category": "general"}
    assert_cms_error(await client.post(TICKETS, json=body, headers=no_write), 403)


async def test_bad_ticket_input_is_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    cases = [
        ({"subject": "Hi there", "description": "x", "category": "urgent"}, ["category"]),
        ({"description": "x", "category": "general"}, ["subject"]),
        (
            {
                "subject": "Hi there",
                "description": "x",
                "category": "general",
                "priority": "critical",
            },
            ["priority"],
        ),
        ({"subject": "Hi there", "description": "x", "category": "general", "owner": 1}, ["owner"]),
    ]
    for body, fields in cases:
        response = await client.post(TICKETS, json=body, headers=headers)
        assert error_fields(assert_cms_error(response, 422)) == fields
    ticket = await _open(client, headers)
    bad_status = await client.put(
        f"{TICKETS}/{ticket['id']}", json={"status": "done"}, headers=headers
    )
    assert error_fields(assert_cms_error(bad_status, 422)) == ["status"]
    assert_cms_error(await client.get(f"{TICKETS}/2147483648", headers=headers), 404)
    assert_cms_error(await client.get(TICKETS, params={"status": "x"}, headers=headers), 422)
