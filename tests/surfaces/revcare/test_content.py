"""RevCare /content/: admins upsert entries by content_id; anyone reads active ones."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.surfaces.revcare.helpers import assert_revcare_error

BANNER = {"content_id": "home-banner", "title": "Monsoon check-up", "body": "20% off brakes"}


async def test_an_admin_creates_then_replaces_an_entry_that_anyone_can_read(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.put("/content/", json=BANNER, headers=admin)
    assert created.status_code == 200, created.text
    assert {k: v for k, v in created.json().items() if k != "updated_at"} == {
        **BANNER,
        "active": True,
    }
    replaced = await client.put(
        "/content/", json={**BANNER, "title": "Winter check-up"}, headers=admin
    )
    assert replaced.json()["title"] == "Winter check-up"
    public = await client.get("/content/home-banner")
    assert public.status_code == 200
    assert public.json() == replaced.json()


async def test_inactive_content_is_hidden_from_everyone_but_admins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await client.put("/content/", json={**BANNER, "active": False}, headers=admin)
    assert_revcare_error(await client.get("/content/home-banner"), 404)
    _, customer = await signed_in(runtime, client)
    assert_revcare_error(await client.get("/content/home-banner", headers=customer), 404)
    assert (await client.get("/content/home-banner", headers=admin)).json()["active"] is False


async def test_unknown_content_is_404(client: httpx.AsyncClient) -> None:
    body = assert_revcare_error(await client.get("/content/terms"), 404)
    assert body == {"status": 404, "message": "Not Found", "detail": "Content terms not found"}


async def test_writing_content_is_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert_revcare_error(await client.put("/content/", json=BANNER), 401)
    for role in (Role.USER, Role.MECHANIC):
        _, headers = await signed_in(runtime, client, role)
        body = assert_revcare_error(
            await client.put("/content/", json=BANNER, headers=headers), 403
        )
        assert body["detail"] == "MANAGE:CONTENT scope required"


async def test_bad_content_is_422_naming_each_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    bad = await client.put(
        "/content/",
        json={"content_id": "Home Banner!", "title": "", "body": "x" * 20_001},
        headers=admin,
    )
    fields = {item["loc"][-1] for item in assert_revcare_error(bad, 422)["detail"]}
    assert fields == {"content_id", "title", "body"}
