"""Hub /v1/client: a partner's signed-in user serving themselves (CLIENT_ACCESS): who they
are, their own vehicles and charging sessions, and their EV-CMS support tickets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import User
from tests.factories.engagement import in_app_notifications
from tests.factories.files import jpeg, uploaded
from tests.factories.fleet import add_vehicle
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    partner_user,
)
from tests.factories.ocpp import make_charger, make_session
from tests.factories.vehicles import make_vehicle
from tests.factories.webhooks import Receiver, create_webhook, deliver_all
from tests.surfaces.hub.test_idempotency import assert_hub_error

CLIENT = "/v1/client"
TICKETS = f"{CLIENT}/tickets"
TICKET_FIELDS = {
    "id",
    "ticketNumber",
    "userId",
    "userName",
    "subject",
    "description",
    "category",
    "priority",
    "status",
    "slaStatus",
    "comments",
    "createdAt",
    "updatedAt",
    "resolvedAt",
    "closedAt",
}
NEW_TICKET = {
    "subject": "Card refused",
    "description": "My card was refused",
    "category": "billing",
}


async def _client(client: httpx.AsyncClient, runtime: Runtime, **overrides: Any) -> dict[str, Any]:
    """A CLIENT_ACCESS integration and one of its users signed in: {created, user, headers}."""
    created = await create_integration(
        client, await admin_headers(runtime, client), bundles=["CLIENT_ACCESS"], **overrides
    )
    session = await partner_user(client, created)
    return {"created": created, "user": session["user"], "headers": bearer(session["accessToken"])}


async def _user_of(runtime: Runtime, user_id: str) -> User:
    async with runtime.sessionmaker() as session:
        user = await session.get(User, int(user_id))
        assert user is not None
        return user


async def _open(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(TICKETS, json={**NEW_TICKET, **body}, headers=headers)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


async def test_me_is_the_signed_in_user_their_role_and_organization(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime, organizationName="Ride Share Co")
    response = await client.get(f"{CLIENT}/me", headers=me["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "name",
        "phone",
        "role",
        "status",
        "organization",
        "createdAt",
    }
    assert (body["id"], body["email"]) == (me["user"]["id"], me["user"]["email"])
    assert (body["role"], body["status"]) == ("CLIENT", "active")
    assert body["organization"] == {
        "id": me["created"]["integration"]["organizationId"],
        "name": "Ride Share Co",
        "kind": "partner",
    }


async def test_every_client_route_is_401_without_a_token(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", f"{CLIENT}/me"),
        ("GET", f"{CLIENT}/vehicles"),
        ("GET", f"{CLIENT}/sessions"),
        ("GET", TICKETS),
        ("POST", TICKETS),
        ("GET", f"{TICKETS}/1"),
        ("POST", f"{TICKETS}/1/comments"),
    ):
        response = await client.request(method, path, json={})
        assert_hub_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("bundle", ["ORGANIZATION_ACCESS", "FLEET_MANAGER_ACCESS"])
async def test_another_bundles_tokens_are_bundle_forbidden_on_every_client_route(
    client: httpx.AsyncClient, runtime: Runtime, bundle: str
) -> None:
    created = await create_integration(
        client, await admin_headers(runtime, client), bundles=[bundle]
    )
    integration = bearer(await client_token(client, created["credentials"]))
    hint = "ORGANIZATION_ADMIN" if bundle == "ORGANIZATION_ACCESS" else "DRIVER"
    person = bearer((await partner_user(client, created, role_hint=hint))["accessToken"])
    for headers in (integration, person):
        for method, path in (
            ("GET", f"{CLIENT}/me"),
            ("GET", f"{CLIENT}/vehicles"),
            ("GET", f"{CLIENT}/sessions"),
            ("GET", TICKETS),
            ("POST", TICKETS),
            ("GET", f"{TICKETS}/1"),
            ("POST", f"{TICKETS}/1/comments"),
        ):
            body = NEW_TICKET if path == TICKETS else {"comment": "hello"}
            response = await client.request(method, path, json=body, headers=headers)
            assert_hub_error(response, 403, "BUNDLE_FORBIDDEN")


async def test_the_integrations_own_token_is_no_ones_self_and_is_forbidden(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    integration = bearer(await client_token(client, me["created"]["credentials"]))
    for method, path in (("GET", f"{CLIENT}/me"), ("GET", TICKETS), ("POST", TICKETS)):
        response = await client.request(method, path, json=NEW_TICKET, headers=integration)
        body = assert_hub_error(response, 403, "FORBIDDEN")
        assert "sign the user in" in body["message"]


async def test_the_allowlist_is_the_last_gate_on_client_routes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(
        client,
        runtime,
        allowedEndpoints=["POST /v1/integrations/auth/exchange", "GET /v1/client/me"],
    )
    assert (await client.get(f"{CLIENT}/me", headers=me["headers"])).status_code == 200
    response = await client.get(TICKETS, headers=me["headers"])
    assert_hub_error(response, 403, "ENDPOINT_NOT_ALLOWED")


async def test_vehicles_are_the_clients_own_from_the_one_vehicle_table(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    user = await _user_of(runtime, me["user"]["id"])
    first = await make_vehicle(runtime, user, make="Tata", model="Nexon EV")
    await make_vehicle(runtime, user, make="MG", model="ZS EV", registration_number="KA05MG0001")
    other, _ = await signed_in(runtime, client)
    await make_vehicle(runtime, other)
    response = await client.get(f"{CLIENT}/vehicles", headers=me["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 10, "total": 2, "totalPages": 1}
    default, second = body["data"]
    assert set(default) == {
        "id",
        "make",
        "model",
        "year",
        "registrationNumber",
        "batteryCapacity",
        "vin",
        "color",
        "isDefault",
        "access",
        "createdAt",
    }
    assert (default["id"], default["isDefault"], default["access"]) == (
        str(first.id),
        True,
        "owner",
    )
    assert (default["batteryCapacity"], second["registrationNumber"]) == (40.5, "KA05MG0001")
    # The same rows EV-CMS shows the user.
    cms = await client.get("/api/v1/profile/vehicles", headers=me["headers"])
    assert cms.status_code == 200, cms.text
    assert {v["id"] for v in cms.json()["data"]["vehicles"]} == {v["id"] for v in body["data"]}
    paged = await client.get(f"{CLIENT}/vehicles?page=2&limit=1", headers=me["headers"])
    assert [v["id"] for v in paged.json()["data"]] == [second["id"]]


async def test_sessions_are_the_clients_own_ev_cms_sessions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    user = await _user_of(runtime, me["user"]["id"])
    vehicle = await make_vehicle(runtime, user)
    charger = await make_charger(runtime)
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    older = await make_session(runtime, charger, user=user, started_at=start)
    newer = await make_session(
        runtime, charger, user=user, started_at=start + timedelta(hours=2), vehicle_id=vehicle.id
    )
    someone, _ = await signed_in(runtime, client)
    await make_session(runtime, charger, user=someone, started_at=start + timedelta(hours=4))
    response = await client.get(f"{CLIENT}/sessions", headers=me["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagination"]["total"] == 2
    assert [s["id"] for s in body["data"]] == [str(newer.id), str(older.id)]
    session = body["data"][0]
    assert session["sessionId"].startswith("SES")
    assert (session["vehicleId"], session["status"], session["currency"]) == (
        str(vehicle.id),
        "completed",
        "INR",
    )
    assert session["energyConsumed"] == 10.0 and session["chargerId"] == charger.charge_point_id
    # The same session as EV-CMS shows it.
    cms = await client.get(f"/api/v1/sessions/{session['sessionId']}", headers=me["headers"])
    assert cms.status_code == 200, cms.text
    cms_session = cms.json()["data"]["session"]
    assert {k: v for k, v in session.items() if k != "currency"} == cms_session
    active = await client.get(f"{CLIENT}/sessions?status=active", headers=me["headers"])
    assert active.json()["data"] == []


async def test_an_admins_client_sessions_and_tickets_are_only_their_own(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    someone = await _client(client, runtime)
    await _open(client, someone["headers"])
    user = await _user_of(runtime, someone["user"]["id"])
    await make_session(
        runtime, await make_charger(runtime), user=user, started_at=datetime.now(UTC)
    )
    admin = await admin_headers(runtime, client)
    assert (await client.get(f"{CLIENT}/sessions", headers=admin)).json()["data"] == []
    assert (await client.get(TICKETS, headers=admin)).json()["data"] == []


async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    headers = me["headers"]
    for body, field in (
        ({**NEW_TICKET, "subject": "no"}, "subject"),
        ({**NEW_TICKET, "subject": "x" * 201}, "subject"),
        ({**NEW_TICKET, "description": "d" * 5001}, "description"),
        ({**NEW_TICKET, "category": "refund"}, "category"),
        ({**NEW_TICKET, "priority": "urgent"}, "priority"),
        ({**NEW_TICKET, "assignedTo": "1"}, "assignedTo"),
        ({"subject": "Only a subject"}, "description"),
    ):
        response = await client.post(TICKETS, json=body, headers=headers)
        error = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert field in json.dumps(error["details"]), (field, error)
    ticket = await _open(client, headers)
    url = f"{TICKETS}/{ticket['id']}/comments"
    for body, field in (
        ({"comment": ""}, "comment"),
        ({"comment": "c" * 5001}, "comment"),
        ({"comment": "hi", "attachments": ["/uploads/document/x.pdf"] * 11}, "attachments"),
        ({"comment": "hi", "attachments": ["/uploads/document/nope.pdf"]}, "attachments"),
    ):
        response = await client.post(url, json=body, headers=headers)
        error = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert field in json.dumps(error["details"]), (field, error)
    for query in ("status=waiting", "priority=urgent", "limit=0", "page=0"):
        response = await client.get(f"{TICKETS}?{query}", headers=headers)
        assert_hub_error(response, 422, "VALIDATION_ERROR")
    response = await client.get(f"{CLIENT}/sessions?status=paused", headers=headers)
    assert_hub_error(response, 422, "VALIDATION_ERROR")


async def test_a_client_opens_lists_reads_and_comments_on_their_ticket(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    headers = me["headers"]
    ticket = await _open(client, headers, priority="high")
    assert set(ticket) == TICKET_FIELDS
    assert ticket["ticketNumber"].startswith("TKT-") and ticket["userId"] == me["user"]["id"]
    assert (ticket["status"], ticket["priority"], ticket["comments"]) == ("open", "high", [])
    listed = (await client.get(TICKETS, headers=headers)).json()
    assert [t["id"] for t in listed["data"]] == [ticket["id"]]
    assert listed["pagination"] == {"page": 1, "limit": 10, "total": 1, "totalPages": 1}
    assert (await client.get(f"{TICKETS}?status=closed", headers=headers)).json()["data"] == []
    read = await client.get(f"{TICKETS}/{ticket['id']}", headers=headers)
    assert read.status_code == 200 and read.json() == ticket
    picture = await uploaded(client, headers, jpeg(), kind="vehicle")
    commented = await client.post(
        f"{TICKETS}/{ticket['id']}/comments",
        json={"comment": "Here is a photo", "attachments": [picture["url"]]},
        headers=headers,
    )
    assert commented.status_code == 201, commented.text
    [comment] = commented.json()["comments"]
    assert set(comment) == {"author", "authorType", "comment", "attachments", "createdAt"}
    assert (comment["authorType"], comment["attachments"]) == ("user", [picture["url"]])


async def test_someone_elses_ticket_is_404_on_the_client_routes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    mine = await _client(client, runtime)
    # Another client of the same partner, and a client of another partner.
    neighbour = bearer((await partner_user(client, mine["created"]))["accessToken"])
    stranger = await _client(client, runtime)
    for theirs in (neighbour, stranger["headers"]):
        ticket = await _open(client, theirs)
        for method, path in (
            ("GET", f"{TICKETS}/{ticket['id']}"),
            ("POST", f"{TICKETS}/{ticket['id']}/comments"),
        ):
            response = await client.request(
                method, path, json={"comment": "mine now"}, headers=mine["headers"]
            )
            assert_hub_error(response, 404, "NOT_FOUND")
    assert (await client.get(TICKETS, headers=mine["headers"])).json()["data"] == []
    for raw in ("abc", "0", "99999999999999999999", "TKT-2026-000001"):
        assert_hub_error(
            await client.get(f"{TICKETS}/{raw}", headers=mine["headers"]), 404, "NOT_FOUND"
        )


async def test_a_closed_ticket_takes_no_comment_through_the_hub(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    ticket = await _open(client, me["headers"])
    closed = await client.put(
        f"/api/v1/support/tickets/{ticket['id']}", json={"status": "closed"}, headers=me["headers"]
    )
    assert closed.status_code == 200, closed.text
    response = await client.post(
        f"{TICKETS}/{ticket['id']}/comments", json={"comment": "again"}, headers=me["headers"]
    )
    assert response.status_code == 400, response.text
    assert "closed" in response.json()["message"]


async def test_a_client_ticket_is_worked_by_ev_cms_support_and_the_reply_shows_on_the_hub(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    ticket = await _open(client, me["headers"])
    admin = await admin_headers(runtime, client)
    listed = await client.get("/api/v1/support/tickets", headers=admin)
    assert ticket["id"] in {t["id"] for t in listed.json()["data"]["tickets"]}
    seen = (await client.get(f"/api/v1/support/tickets/{ticket['id']}", headers=admin)).json()
    assert seen["data"]["ticket"]["ticketNumber"] == ticket["ticketNumber"]
    replied = await client.post(
        f"/api/v1/support/tickets/{ticket['id']}/comments",
        json={"comment": "We refunded the charge"},
        headers=admin,
    )
    assert replied.status_code == 201, replied.text
    resolved = await client.put(
        f"/api/v1/support/tickets/{ticket['id']}", json={"status": "resolved"}, headers=admin
    )
    assert resolved.status_code == 200, resolved.text
    read = (await client.get(f"{TICKETS}/{ticket['id']}", headers=me["headers"])).json()
    assert read["status"] == "resolved" and read["resolvedAt"] is not None
    [reply] = read["comments"]
    assert (reply["authorType"], reply["comment"]) == ("support", "We refunded the charge")


async def test_a_retried_ticket_post_with_its_key_opens_one_ticket(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await _client(client, runtime)
    keyed = {**me["headers"], "Idempotency-Key": "ticket-1"}
    first = await client.post(TICKETS, json=NEW_TICKET, headers=keyed)
    again = await client.post(TICKETS, json=NEW_TICKET, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert (await client.get(TICKETS, headers=me["headers"])).json()["pagination"]["total"] == 1
    other = await client.post(TICKETS, json={**NEW_TICKET, "subject": "Other"}, headers=keyed)
    assert_hub_error(other, 422, "IDEMPOTENCY_KEY_REUSED")


@pytest.mark.usefixtures("private_allowed")
async def test_client_tickets_and_comments_are_webhooks_once_each(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    me = await _client(client, runtime)
    created = me["created"]
    partner = bearer(await client_token(client, created["credentials"]))
    await create_webhook(
        client,
        partner,
        created["integration"]["id"],
        receiver.url("/tickets"),
        ["ticket.created", "ticket.updated"],
    )
    ticket = await _open(client, me["headers"])
    commented = await client.post(
        f"{TICKETS}/{ticket['id']}/comments", json={"comment": "Any news?"}, headers=me["headers"]
    )
    assert commented.status_code == 201, commented.text
    admin = await admin_headers(runtime, client)
    answered = await client.post(
        f"/api/v1/support/tickets/{ticket['id']}/comments",
        json={"comment": "Yes"},
        headers=admin,
    )
    assert answered.status_code == 201, answered.text
    await deliver_all(runtime)
    await deliver_all(runtime)  # a second pass sends nothing again
    hooks = [json.loads(hook.body) for hook in receiver.received]
    assert [hook["type"] for hook in hooks] == [
        "ticket.created",
        "ticket.updated",
        "ticket.updated",
    ]
    assert {hook["data"]["id"] for hook in hooks} == {ticket["id"]}
    assert [hook["data"]["resource"]["status"] for hook in hooks] == ["open", "open", "in-progress"]
    # The client's own comment is not a notice to themselves; support's reply is.
    notices = await in_app_notifications(
        runtime, await _user_of(runtime, me["user"]["id"]), "support"
    )
    assert [n.message for n in notices] == ["Support replied to your ticket"]


async def test_the_bundles_listing_gives_client_routes_to_clients_and_fleet_tickets_to_fleets(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/v1/integrations/bundles")).json()
    granted = {
        bundle["bundle"]: {f"{e['method']} {e['path']}" for e in bundle["endpoints"]}
        for bundle in body["data"]
    }
    client_routes = {
        "GET /v1/client/me",
        "GET /v1/client/vehicles",
        "GET /v1/client/sessions",
        "GET /v1/client/tickets",
        "POST /v1/client/tickets",
        "GET /v1/client/tickets/{ticketId}",
        "POST /v1/client/tickets/{ticketId}/comments",
    }
    fleet_routes = {
        "GET /v1/fleet/tickets",
        "POST /v1/fleet/tickets",
        "GET /v1/fleet/tickets/{ticketId}",
        "PATCH /v1/fleet/tickets/{ticketId}",
        "POST /v1/fleet/tickets/{ticketId}/comments",
    }
    assert client_routes <= granted["CLIENT_ACCESS"] and client_routes <= granted["ALL_ACCESS"]
    assert fleet_routes <= granted["FLEET_MANAGER_ACCESS"] and fleet_routes <= granted["ALL_ACCESS"]
    for bundle in ("ORGANIZATION_ACCESS", "FLEET_MANAGER_ACCESS"):
        assert not client_routes & granted[bundle], bundle
    for bundle in ("ORGANIZATION_ACCESS", "CLIENT_ACCESS"):
        assert not fleet_routes & granted[bundle], bundle
    # Attachments: both bundles may upload the files they attach.
    assert "POST /api/v1/upload" in granted["CLIENT_ACCESS"] & granted["FLEET_MANAGER_ACCESS"]


async def test_a_driver_sees_the_fleet_vehicles_assigned_to_them_after_their_own(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(
        client,
        await admin_headers(runtime, client),
        bundles=["FLEET_MANAGER_ACCESS", "CLIENT_ACCESS"],
    )
    fleet = bearer(await client_token(client, created["credentials"]))
    session = await partner_user(client, created, role_hint="DRIVER")
    driver = bearer(session["accessToken"])
    own = await make_vehicle(runtime, await _user_of(runtime, session["user"]["id"]))
    assigned = await add_vehicle(client, fleet)
    await add_vehicle(client, fleet)  # the fleet's, not assigned to this driver
    (account,) = (await client.get("/v1/fleet/drivers", headers=fleet)).json()["data"]
    put = await client.put(
        f"/v1/fleet/drivers/{account['id']}/vehicles",
        json={"vehicleIds": [assigned["id"]]},
        headers=fleet,
    )
    assert put.status_code == 200, put.text

    listed = await client.get(f"{CLIENT}/vehicles", headers=driver)

    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [(v["id"], v["access"]) for v in body["data"]] == [
        (str(own.id), "owner"),
        (str(int(assigned["id"][3:])), "assigned"),
    ]
    assert body["pagination"]["total"] == 2
