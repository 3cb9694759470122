"""``authenticate`` over a real socket.io connection: the same rules as HTTP."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role, UserStatus
from tests.factories.identity import bearer, login, make_user
from tests.factories.realtime import connected


async def test_valid_token_is_answered_with_the_user_id(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    user = await make_user(runtime)
    token = await login(client, user)
    async with connected(live_server) as socket:
        await socket.client.emit("authenticate", {"token": token})
        assert await socket.next("authenticated") == {"userId": str(user.id)}


async def test_acknowledgement_carries_the_same_answer(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    user = await make_user(runtime, role=Role.BRAND)
    token = await login(client, user)
    async with connected(live_server) as socket:
        ack = await socket.call("authenticate", {"token": token})
    assert ack == {"success": True, "userId": str(user.id)}


async def test_garbage_token_is_refused(live_server: str) -> None:
    async with connected(live_server) as socket:
        ack = await socket.call("authenticate", {"token": "not-a-jwt"})
        refusal = await socket.next("unauthorized")
    assert ack["success"] is False
    assert refusal == {"message": "Invalid or malformed token"}
    assert socket.received("authenticated") == []


async def test_missing_token_is_refused(live_server: str) -> None:
    async with connected(live_server) as socket:
        await socket.client.emit("authenticate", {})
        assert await socket.next("unauthorized") == {"message": "token is required"}


async def test_token_of_a_logged_out_sign_in_is_refused(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    user = await make_user(runtime)
    token = await login(client, user)
    response = await client.post("/api/v1/auth/logout", headers=bearer(token))
    assert response.status_code == 200
    async with connected(live_server) as socket:
        await socket.client.emit("authenticate", {"token": token})
        assert await socket.next("unauthorized") == {"message": "Token revoked"}


async def test_token_of_a_blocked_account_is_refused(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    user = await make_user(runtime)
    token = await login(client, user)
    async with runtime.sessionmaker() as session:
        row = await session.get(type(user), user.id)
        assert row is not None
        row.status = UserStatus.BLOCKED
        await session.commit()
    async with connected(live_server) as socket:
        await socket.client.emit("authenticate", {"token": token})
        assert await socket.next("unauthorized") == {"message": "Account is blocked"}


async def test_token_in_the_handshake_authenticates_too(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    import socketio

    from tests.factories.realtime import Listener

    user = await make_user(runtime)
    token = await login(client, user)
    sio = socketio.AsyncClient(reconnection=False)
    listener = Listener(sio)
    await sio.connect(live_server, auth={"token": token}, wait_timeout=10)
    try:
        assert await listener.next("authenticated") == {"userId": str(user.id)}
    finally:
        await sio.disconnect()


async def test_logging_out_ends_the_sockets_of_that_sign_in_only(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    user = await make_user(runtime)
    ending, staying = await login(client, user), await login(client, user)
    async with (
        connected(live_server, token=ending) as ended,
        connected(live_server, token=staying) as kept,
    ):
        response = await client.post("/api/v1/auth/logout", headers=bearer(ending))
        assert response.status_code == 200
        assert await ended.next("unauthorized") == {"message": "Token revoked"}
        refused = await ended.call("join-session", {"sessionId": "SES000001"})
        still = await kept.call("join-session", {"sessionId": "SES999999"})
    # The socket keeps answering why its sign-in ended (not "Authenticate first").
    assert refused == {"success": False, "message": "Token revoked"}
    assert still["message"] == "Session SES999999 not found"
    assert kept.received("unauthorized") == []


async def test_an_admin_blocking_the_user_ends_their_sockets_at_once(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    user = await make_user(runtime)
    token = await login(client, user)
    async with connected(live_server, token=token) as socket:
        response = await client.put(
            f"/api/v1/admin/users/{user.id}/status",
            json={"status": "blocked", "reason": "Chargeback fraud"},
            headers=bearer(await login(client, admin)),
        )
        assert response.status_code == 200, response.text
        assert await socket.next("unauthorized") == {"message": "Token revoked"}
        refused = await socket.call("join-session", {"sessionId": "SES000001"})
    assert refused == {"success": False, "message": "Token revoked"}
