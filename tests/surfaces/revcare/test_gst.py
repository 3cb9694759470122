"""RevCare /gst/: admins set the rate (0-100, two decimals); every change is kept."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.surfaces.revcare.helpers import assert_revcare_error


async def test_the_default_rate_applies_until_an_admin_sets_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/gst/")
    assert response.json() == {"percent": 18, "effective_at": None, "is_default": True}


async def test_an_admin_changes_the_rate_and_the_history_keeps_every_change(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    first = await client.put("/gst/?percent=12.5", headers=headers)
    assert first.status_code == 200, first.text
    assert (first.json()["percent"], first.json()["set_by"]) == (12.5, f"ADM{admin.id:06d}")
    await client.put("/gst/?percent=18", headers=headers)

    current = await client.get("/gst/")
    assert (current.json()["percent"], current.json()["is_default"]) == (18, False)
    history = await client.get("/gst/history", headers=headers)
    assert [change["percent"] for change in history.json()] == [18, 12.5]
    assert set(history.json()[0]) == {"id", "percent", "effective_at", "set_by"}


async def test_a_rate_outside_0_to_100_or_with_three_decimals_is_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    for bad in ("101", "-1", "18.125", "eighteen"):
        body = assert_revcare_error(await client.put(f"/gst/?percent={bad}", headers=headers), 422)
        assert body["detail"][0]["loc"] == ["query", "percent"]
    assert_revcare_error(await client.put("/gst/", headers=headers), 422)
    assert (await client.put("/gst/?percent=0", headers=headers)).json()["percent"] == 0
    assert (await client.put("/gst/?percent=100", headers=headers)).json()["percent"] == 100


async def test_changing_and_auditing_the_rate_is_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert_revcare_error(await client.put("/gst/?percent=18"), 401)
    assert_revcare_error(await client.get("/gst/history"), 401)
    for role in (Role.USER, Role.MECHANIC):
        _, headers = await signed_in(runtime, client, role)
        body = assert_revcare_error(await client.put("/gst/?percent=5", headers=headers), 403)
        assert body["detail"] == "MANAGE:SETTINGS scope required"
        assert_revcare_error(await client.get("/gst/history", headers=headers), 403)
