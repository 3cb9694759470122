"""Hub /v1/fleet/tickets: the EV-CMS support tickets of an organization's people, as its
fleet managers and its integration see and work them (FLEET_MANAGER_ACCESS)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from evcare.core.runtime import Runtime
from tests.factories.identity import bearer
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    partner_user,
)
from tests.factories.webhooks import Receiver, create_webhook, deliver_all
from tests.surfaces.hub.test_client import TICKET_FIELDS
from tests.surfaces.hub.test_idempotency import assert_hub_error

TICKETS = "/v1/fleet/tickets"
NEW_TICKET = {
    "subject": "Depot charger faulted",
    "description": "Charger 3 at the depot shows a fault",
    "category": "technical",
}


async def _fleet(client: httpx.AsyncClient, runtime: Runtime) -> dict[str, Any]:
    """A FLEET_MANAGER_ACCESS integration, its token, a fleet manager and a driver."""
    created = await create_integration(
        client, await admin_headers(runtime, client), bundles=["FLEET_MANAGER_ACCESS"]
    )
    manager = await partner_user(client, created, role_hint="FLEET_MANAGER")
    driver = await partner_user(client, created, role_hint="DRIVER")
    return {
        "created": created,
        "integration": bearer(await client_token(client, created["credentials"])),
        "manager": bearer(manager["accessToken"]),
        "manager_user": manager["user"],
        "driver": bearer(driver["accessToken"]),
        "driver_user": driver["user"],
    }


async def _open(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(TICKETS, json={**NEW_TICKET, **body}, headers=headers)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


async def _driver_ticket(client: httpx.AsyncClient, driver: dict[str, str]) -> dict[str, Any]:
    """A driver's ticket, opened on EV-CMS (drivers hold no fleet scope)."""
    response = await client.post(
        "/api/v1/support/tickets",
        json={"subject": "Card refused", "description": "At the depot", "category": "billing"},
        headers=driver,
    )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["data"]["ticket"]
    return ticket


async def test_the_fleet_sees_every_ticket_of_its_people_and_no_one_elses(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await _fleet(client, runtime)
    by_manager = await _open(client, fleet["manager"], priority="high")
    by_backend = await _open(client, fleet["integration"], subject="API outage")
    by_driver = await _driver_ticket(client, fleet["driver"])
    other = await _fleet(client, runtime)
    await _open(client, other["manager"])
    assert set(by_manager) == TICKET_FIELDS
    assert (by_manager["userId"], by_manager["priority"]) == (fleet["manager_user"]["id"], "high")
    for headers in (fleet["manager"], fleet["integration"]):
        listed = await client.get(TICKETS, headers=headers)
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert [t["id"] for t in body["data"]] == [
            by_driver["id"],
            by_backend["id"],
            by_manager["id"],
        ]
        assert body["pagination"] == {"page": 1, "limit": 10, "total": 3, "totalPages": 1}
    read = await client.get(f"{TICKETS}/{by_driver['id']}", headers=fleet["manager"])
    assert read.status_code == 200, read.text
    assert (read.json()["ticketNumber"], read.json()["userId"]) == (
        by_driver["ticketNumber"],
        fleet["driver_user"]["id"],
    )
    high = await client.get(f"{TICKETS}?priority=high", headers=fleet["manager"])
    assert [t["id"] for t in high.json()["data"]] == [by_manager["id"]]
    paged = await client.get(f"{TICKETS}?page=2&limit=2", headers=fleet["manager"])
    assert [t["id"] for t in paged.json()["data"]] == [by_manager["id"]]


async def test_another_organizations_ticket_is_404_on_every_fleet_ticket_route(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    mine = await _fleet(client, runtime)
    theirs = await _fleet(client, runtime)
    ticket = await _open(client, theirs["manager"])
    for method, path, body in (
        ("GET", f"{TICKETS}/{ticket['id']}", None),
        ("PATCH", f"{TICKETS}/{ticket['id']}", {"status": "closed"}),
        ("POST", f"{TICKETS}/{ticket['id']}/comments", {"comment": "ours?"}),
    ):
        for headers in (mine["manager"], mine["integration"]):
            response = await client.request(method, path, json=body, headers=headers)
            assert_hub_error(response, 404, "NOT_FOUND")
    unchanged = await client.get(f"{TICKETS}/{ticket['id']}", headers=theirs["manager"])
    assert (unchanged.json()["status"], unchanged.json()["comments"]) == ("open", [])
    for raw in ("abc", "0", "99999999999999999999"):
        response = await client.get(f"{TICKETS}/{raw}", headers=mine["manager"])
        assert_hub_error(response, 404, "NOT_FOUND")


async def test_every_fleet_ticket_route_is_401_without_a_token(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", TICKETS),
        ("POST", TICKETS),
        ("GET", f"{TICKETS}/1"),
        ("PATCH", f"{TICKETS}/1"),
        ("POST", f"{TICKETS}/1/comments"),
    ):
        response = await client.request(method, path, json={})
        assert_hub_error(response, 401, "UNAUTHORIZED")


ROUTES = (
    ("GET", TICKETS, None),
    ("POST", TICKETS, NEW_TICKET),
    ("GET", f"{TICKETS}/1", None),
    ("PATCH", f"{TICKETS}/1", {"status": "closed"}),
    ("POST", f"{TICKETS}/1/comments", {"comment": "hello"}),
)


@pytest.mark.parametrize("bundle", ["CLIENT_ACCESS", "ORGANIZATION_ACCESS"])
async def test_another_bundles_tokens_are_bundle_forbidden_on_fleet_tickets(
    client: httpx.AsyncClient, runtime: Runtime, bundle: str
) -> None:
    created = await create_integration(
        client, await admin_headers(runtime, client), bundles=[bundle]
    )
    integration = bearer(await client_token(client, created["credentials"]))
    hint = "CLIENT" if bundle == "CLIENT_ACCESS" else "ORGANIZATION_ADMIN"
    person = bearer((await partner_user(client, created, role_hint=hint))["accessToken"])
    callers = [integration] if bundle == "CLIENT_ACCESS" else [integration, person]
    for headers in callers:
        for method, path, body in ROUTES:
            response = await client.request(method, path, json=body, headers=headers)
            assert_hub_error(response, 403, "BUNDLE_FORBIDDEN")
    if bundle == "CLIENT_ACCESS":
        # A client's role could never hold the fleet scopes.
        for method, path, body in ROUTES:
            response = await client.request(method, path, json=body, headers=person)
            assert_hub_error(response, 403, "FORBIDDEN")


async def test_a_driver_is_not_a_fleet_manager(client: httpx.AsyncClient, runtime: Runtime) -> None:
    fleet = await _fleet(client, runtime)
    for method, path, body in ROUTES:
        response = await client.request(method, path, json=body, headers=fleet["driver"])
        assert_hub_error(response, 403, "FORBIDDEN")


async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await _fleet(client, runtime)
    headers = fleet["manager"]
    for body, field in (
        ({**NEW_TICKET, "subject": "ab"}, "subject"),
        ({**NEW_TICKET, "description": ""}, "description"),
        ({**NEW_TICKET, "description": "d" * 5001}, "description"),
        ({**NEW_TICKET, "category": "other"}, "category"),
        ({**NEW_TICKET, "status": "closed"}, "status"),
    ):
        response = await client.post(TICKETS, json=body, headers=headers)
        error = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert field in json.dumps(error["details"]), (field, error)
    ticket = await _open(client, headers)
    url = f"{TICKETS}/{ticket['id']}"
    for body, field in (
        ({}, "status"),
        ({"status": "done"}, "status"),
        ({"status": "closed", "priority": "high"}, "priority"),
        ({"status": "closed", "assignedTo": "1"}, "assignedTo"),
    ):
        response = await client.patch(url, json=body, headers=headers)
        error = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert field in json.dumps(error["details"]), (field, error)
    for body, field in (({"comment": ""}, "comment"), ({"comment": "x" * 5001}, "comment")):
        response = await client.post(f"{url}/comments", json=body, headers=headers)
        error = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert field in json.dumps(error["details"]), (field, error)
    assert_hub_error(
        await client.get(f"{TICKETS}?status=x", headers=headers), 422, "VALIDATION_ERROR"
    )


async def test_the_fleet_closes_and_reopens_but_only_support_resolves(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await _fleet(client, runtime)
    ticket = await _driver_ticket(client, fleet["driver"])
    url = f"{TICKETS}/{ticket['id']}"
    refused = await client.patch(url, json={"status": "resolved"}, headers=fleet["manager"])
    assert_hub_error(refused, 403, "FORBIDDEN")
    admin = await admin_headers(runtime, client)
    resolved = await client.put(
        f"/api/v1/support/tickets/{ticket['id']}", json={"status": "resolved"}, headers=admin
    )
    assert resolved.status_code == 200, resolved.text
    reopened = await client.patch(url, json={"status": "open"}, headers=fleet["manager"])
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["resolvedAt"]) == ("open", None)
    closed = await client.patch(url, json={"status": "closed"}, headers=fleet["integration"])
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closedAt"] is not None
    late = await client.post(f"{url}/comments", json={"comment": "hm"}, headers=fleet["manager"])
    assert late.status_code == 400, late.text
    # EV-CMS shows the same ticket, closed, to its owner.
    seen = await client.get(f"/api/v1/support/tickets/{ticket['id']}", headers=fleet["driver"])
    assert seen.json()["data"]["ticket"]["status"] == "closed"


async def test_support_answers_a_fleet_ticket_on_ev_cms_and_the_fleet_reads_the_reply(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await _fleet(client, runtime)
    ticket = await _open(client, fleet["integration"])
    admin = await admin_headers(runtime, client)
    staff_view = await client.get(f"/api/v1/support/tickets/{ticket['id']}", headers=admin)
    assert staff_view.json()["data"]["ticket"]["ticketNumber"] == ticket["ticketNumber"]
    reply = await client.post(
        f"/api/v1/support/tickets/{ticket['id']}/comments",
        json={"comment": "Technician on the way"},
        headers=admin,
    )
    assert reply.status_code == 201, reply.text
    noted = await client.post(
        f"{TICKETS}/{ticket['id']}/comments",
        json={"comment": "Gate code 4411"},
        headers=fleet["manager"],
    )
    assert noted.status_code == 201, noted.text
    body = noted.json()
    assert body["status"] == "in-progress"
    assert [(c["authorType"], c["comment"]) for c in body["comments"]] == [
        ("support", "Technician on the way"),
        ("user", "Gate code 4411"),
    ]


async def test_a_retried_fleet_ticket_post_with_its_key_opens_one_ticket(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await _fleet(client, runtime)
    keyed = {**fleet["manager"], "Idempotency-Key": "fleet-ticket-1"}
    first = await client.post(TICKETS, json=NEW_TICKET, headers=keyed)
    again = await client.post(TICKETS, json=NEW_TICKET, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    total = (await client.get(TICKETS, headers=fleet["manager"])).json()["pagination"]["total"]
    assert total == 1


@pytest.mark.usefixtures("private_allowed")
async def test_fleet_tickets_comments_and_status_changes_are_webhooks_once_each(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    fleet = await _fleet(client, runtime)
    await create_webhook(
        client,
        fleet["integration"],
        fleet["created"]["integration"]["id"],
        receiver.url("/fleet"),
        ["ticket.created", "ticket.updated"],
    )
    other = await _fleet(client, runtime)
    await _open(client, other["manager"])  # not this organization's: never sent here
    backend = await _open(client, fleet["integration"])  # the service account's ticket
    driver = await _driver_ticket(client, fleet["driver"])
    commented = await client.post(
        f"{TICKETS}/{driver['id']}/comments", json={"comment": "Seen"}, headers=fleet["manager"]
    )
    assert commented.status_code == 201, commented.text
    closed = await client.patch(
        f"{TICKETS}/{backend['id']}", json={"status": "closed"}, headers=fleet["manager"]
    )
    assert closed.status_code == 200, closed.text
    unchanged = await client.patch(
        f"{TICKETS}/{backend['id']}", json={"status": "closed"}, headers=fleet["manager"]
    )
    assert unchanged.status_code == 200, unchanged.text  # nothing changed: nothing sent
    await deliver_all(runtime)
    await deliver_all(runtime)
    hooks = [json.loads(hook.body) for hook in receiver.received]
    # Deliveries are at least once, in no promised order across resources.
    assert sorted(
        (h["data"]["id"], h["type"], h["data"]["resource"]["status"]) for h in hooks
    ) == sorted(
        [
            (backend["id"], "ticket.created", "open"),
            (driver["id"], "ticket.created", "open"),
            (driver["id"], "ticket.updated", "open"),
            (backend["id"], "ticket.updated", "closed"),
        ]
    )
    assert len({hook.headers["webhook-id"] for hook in receiver.received}) == 4
