"""``join-session``: the driver, the charger's owner and admins may watch; others may not."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from evcare.charging.sessions.models import ChargingSession
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories.identity import login, make_user
from tests.factories.ocpp import connect, make_charger, make_driver, make_id_tag
from tests.factories.realtime import connected
from tests.realtime.test_session_events import start_session


async def active_session(
    runtime: Runtime, live_server: str, *, owner_role: Role = Role.BRAND
) -> tuple[str, dict[str, User]]:
    """A session started by a real charger; its public id and who is who."""
    brand = await make_user(runtime, role=owner_role)
    charger = await make_charger(runtime, owner=brand)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id) as cp:
        await start_session(cp, tag)
    async with runtime.sessionmaker() as session:
        row = (
            await session.scalars(
                select(ChargingSession).where(ChargingSession.user_id == driver.id)
            )
        ).one()
    return f"SES{row.id:06d}", {"brand": brand, "driver": driver}


async def test_driver_may_watch_their_own_session(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    session_id, people = await active_session(runtime, live_server)
    driver = people["driver"]
    async with connected(live_server, token=await login(client, driver)) as socket:
        ack = await socket.call("join-session", {"sessionId": session_id})
    assert ack == {"success": True, "sessionId": session_id}


async def test_bare_key_is_accepted_as_the_session_id(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    session_id, people = await active_session(runtime, live_server)
    bare_key = str(int(session_id.removeprefix("SES")))
    async with connected(live_server, token=await login(client, people["driver"])) as socket:
        ack = await socket.call("join-session", {"sessionId": bare_key})
    assert ack["success"] is True


async def test_charger_owner_and_admin_may_watch(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    session_id, people = await active_session(runtime, live_server)
    brand = people["brand"]
    admin = await make_user(runtime, role=Role.ADMIN)
    for person in (brand, admin):
        async with connected(live_server, token=await login(client, person)) as socket:
            ack = await socket.call("join-session", {"sessionId": session_id})
        assert ack["success"] is True, person.role


async def test_someone_elses_session_is_refused_as_not_found(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    session_id, _ = await active_session(runtime, live_server)
    stranger = await make_user(runtime)
    other_brand = await make_user(runtime, role=Role.BRAND)
    for person in (stranger, other_brand):
        async with connected(live_server, token=await login(client, person)) as socket:
            ack = await socket.call("join-session", {"sessionId": session_id})
            refusal = await socket.next("join-session-failed")
        assert ack["success"] is False
        assert refusal == {"sessionId": session_id, "message": f"Session {session_id} not found"}


async def test_unknown_or_malformed_session_id_is_refused(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    user = await make_user(runtime)
    async with connected(live_server, token=await login(client, user)) as socket:
        unknown = await socket.call("join-session", {"sessionId": "SES999999"})
        malformed = await socket.call("join-session", {"sessionId": "../etc"})
        missing = await socket.call("join-session", {})
        too_long = await socket.call("join-session", {"sessionId": "1" * 40})
    assert unknown["success"] is False and unknown["message"] == "Session SES999999 not found"
    assert malformed["success"] is False
    assert missing == {"success": False, "sessionId": None, "message": "sessionId is required"}
    assert too_long["message"] == "sessionId is too long"


async def test_joining_before_authenticating_is_refused(live_server: str) -> None:
    async with connected(live_server) as socket:
        ack = await socket.call("join-session", {"sessionId": "SES000001"})
        refusal = await socket.next("unauthorized")
    assert ack == {"success": False, "message": "Authenticate first"}
    assert refusal == {"message": "Authenticate first"}


async def test_joining_after_logout_is_refused(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    session_id, people = await active_session(runtime, live_server)
    driver = people["driver"]
    token = await login(client, driver)
    async with connected(live_server, token=token) as socket:
        response = await client.post(
            "/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        ack = await socket.call("join-session", {"sessionId": session_id})
    assert ack == {"success": False, "message": "Token revoked"}


async def test_leaving_a_session_is_acknowledged(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    session_id, people = await active_session(runtime, live_server)
    driver = people["driver"]
    async with connected(live_server, token=await login(client, driver)) as socket:
        await socket.call("join-session", {"sessionId": session_id})
        ack = await socket.call("leave-session", {"sessionId": session_id})
    assert ack == {"success": True, "sessionId": session_id}
