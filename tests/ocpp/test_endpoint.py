"""The OCPP endpoint's handshake rules and what misbehaving chargers get."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import websockets
from ocpp.v16 import call
from sqlalchemy import select, update
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from evcare.charging.chargers.models import Charger
from evcare.core.runtime import Runtime
from evcare.core.security import hash_generated_secret
from evcare.ocpp.registry import registry_of
from tests.factories.ocpp import CHARGER_PASSWORD, basic_auth, connect, make_charger, ws_url


@asynccontextmanager
async def raw(
    base_url: str,
    charge_point_id: str,
    *,
    password: str = CHARGER_PASSWORD,
    subprotocols: tuple[str, ...] = ("ocpp1.6",),
) -> AsyncIterator[ClientConnection]:
    async with websockets.connect(
        ws_url(base_url, charge_point_id),
        subprotocols=[websockets.Subprotocol(p) for p in subprotocols],
        additional_headers=basic_auth(charge_point_id, password),
        open_timeout=10,
        max_size=None,
    ) as socket:
        yield socket


async def _answer(socket: ClientConnection) -> list[object]:
    frame: list[object] = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    return frame


async def test_wrong_password_is_refused_with_401(live_server: str, runtime: Runtime) -> None:
    charger = await make_charger(runtime)
    with pytest.raises(InvalidStatus) as refused:
        async with raw(live_server, charger.charge_point_id, password="not-the-password"):
            pass
    assert refused.value.response.status_code == 401


async def test_unknown_charger_is_refused_with_404(live_server: str, runtime: Runtime) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with raw(live_server, "NO-SUCH-CP"):
            pass
    assert refused.value.response.status_code == 404


async def test_archived_charger_is_refused(live_server: str, runtime: Runtime) -> None:
    charger = await make_charger(runtime, archived=True)
    with pytest.raises(InvalidStatus) as refused:
        async with raw(live_server, charger.charge_point_id):
            pass
    assert refused.value.response.status_code == 404


async def test_a_charger_offering_no_ocpp_subprotocol_is_closed(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    async with websockets.connect(
        ws_url(live_server, charger.charge_point_id),
        additional_headers=basic_auth(charger.charge_point_id, CHARGER_PASSWORD),
    ) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1002


async def test_bad_frames_get_call_errors_and_another_charger_does_not_notice(
    live_server: str, runtime: Runtime
) -> None:
    bad = await make_charger(runtime)
    good = await make_charger(runtime)
    async with (
        raw(live_server, bad.charge_point_id) as socket,
        connect(live_server, good.charge_point_id) as neighbour,
    ):
        await socket.send("{not json")
        # OCPP-J 1.6 names it FormationViolation (2.0.1: FormatViolation).
        assert (await _answer(socket))[:3] == [4, "-1", "FormationViolation"]
        await socket.send(json.dumps({"not": "an array"}))
        assert (await _answer(socket))[2] == "ProtocolError"
        await socket.send(
            json.dumps(
                [2, "m1", "StartTransaction", {"connectorId": "one", "idTag": 5, "meterStart": 0}]
            )
        )
        frame = await _answer(socket)
        assert frame[:2] == [4, "m1"] and frame[2] in {"TypeConstraintViolation", "ProtocolError"}
        await socket.send(json.dumps([2, "m2", "NoSuchAction", {}]))
        assert (await _answer(socket))[:3] == [4, "m2", "NotImplemented"]
        heartbeat = await neighbour.call(call.Heartbeat())
        assert heartbeat.current_time
        await socket.send(json.dumps([2, "m3", "Heartbeat", {}]))
        assert (await _answer(socket))[:2] == [3, "m3"]


@pytest.mark.parametrize(
    ("subprotocol", "format_violation"),
    [("ocpp1.6", "FormationViolation"), ("ocpp2.0.1", "FormatViolation")],
)
async def test_call_error_codes_are_the_ones_ocpp_j_names_for_the_version(
    live_server: str, runtime: Runtime, subprotocol: str, format_violation: str
) -> None:
    charger = await make_charger(runtime)
    async with raw(live_server, charger.charge_point_id, subprotocols=(subprotocol,)) as socket:
        await socket.send("[2, ")
        assert (await _answer(socket))[:3] == [4, "-1", format_violation]
        # Not an action of any OCPP version: "not known by receiver".
        await socket.send(json.dumps([2, "u1", "MakeCoffee", {}]))
        assert (await _answer(socket))[:3] == [4, "u1", "NotImplemented"]
        # An action of the version that a CSMS does not take (it sends it): "recognized but
        # not supported".
        await socket.send(json.dumps([2, "u2", "Reset", {"type": "Hard"}]))
        assert (await _answer(socket))[:3] == [4, "u2", "NotSupported"]


async def test_a_flood_that_gets_closed_answers_every_call_it_had_accepted(
    live_server: str, runtime: Runtime
) -> None:
    """Each call the server read is either refused (GenericError) or answered, even once
    the flood gets the connection closed: the answers seen form a prefix of what was sent,
    with no accepted call dropped in the middle."""
    charger = await make_charger(runtime)
    async with raw(live_server, charger.charge_point_id) as socket:
        for n in range(400):
            await socket.send(json.dumps([2, f"f{n}", "Heartbeat", {}]))
        seen: dict[int, int] = {}
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                frame = await _answer(socket)
                seen[int(str(frame[1])[1:])] = int(str(frame[0]))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert 3 in seen.values() and 4 in seen.values()
    assert sorted(seen) == list(range(max(seen) + 1))


async def test_an_oversized_frame_closes_only_that_charger(
    live_server: str, runtime: Runtime
) -> None:
    bad = await make_charger(runtime)
    good = await make_charger(runtime)
    async with (
        raw(live_server, bad.charge_point_id) as socket,
        connect(live_server, good.charge_point_id) as neighbour,
    ):
        await socket.send(json.dumps([2, "big", "DataTransfer", {"vendorId": "x" * 200_000}]))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        assert (await neighbour.call(call.Heartbeat())).current_time


async def test_a_flood_is_refused_without_slowing_another_charger(
    live_server: str, runtime: Runtime
) -> None:
    bad = await make_charger(runtime)
    good = await make_charger(runtime)
    async with (
        raw(live_server, bad.charge_point_id) as socket,
        connect(live_server, good.charge_point_id) as neighbour,
    ):
        for n in range(300):
            await socket.send(json.dumps([2, f"f{n}", "Heartbeat", {}]))
        refused = answered = 0
        closed = False
        try:
            while refused + answered < 300:
                frame = await _answer(socket)
                if frame[0] == 4:
                    assert frame[2] == "GenericError"
                    refused += 1
                else:
                    answered += 1
        except ConnectionClosed as error:
            closed = True
            assert error.rcvd is not None and error.rcvd.code == 1008
        assert refused > 0 or closed
        assert answered < 300
        assert (await neighbour.call(call.Heartbeat())).current_time


async def test_a_reconnecting_charger_replaces_its_old_connection(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    async with (
        raw(live_server, charger.charge_point_id) as first,
        connect(live_server, charger.charge_point_id) as second,
    ):
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(first.recv(), timeout=10)
        assert (await second.call(call.Heartbeat())).current_time
        assert registry_of(runtime).is_connected_here(charger.charge_point_id)


async def test_a_slow_database_does_not_hold_back_the_chargers_answers(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    async with connect(live_server, charger.charge_point_id) as cp:
        async with runtime.sessionmaker() as blocker:
            # Hold a write on the charger row: the Heartbeat handler's update must wait.
            await blocker.execute(
                update(Charger).where(Charger.id == charger.id).values(name="locked")
            )
            heartbeat = asyncio.create_task(cp.call(call.Heartbeat()))
            await asyncio.sleep(0.3)
            assert not heartbeat.done()
            answer = await registry_of(runtime).call(
                charger.charge_point_id, "Reset", {"type": "Soft"}, wait_seconds=5
            )
            assert answer == {"status": "Accepted"}
            assert not heartbeat.done()
            await blocker.rollback()
        assert (await asyncio.wait_for(heartbeat, timeout=10)).current_time


async def test_a_wrong_password_is_refused_even_after_a_right_one_connected(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    async with raw(live_server, charger.charge_point_id) as socket:
        await socket.send(json.dumps([2, "h1", "Heartbeat", {}]))
        assert (await _answer(socket))[:2] == [3, "h1"]
    with pytest.raises(InvalidStatus) as refused:
        async with raw(live_server, charger.charge_point_id, password=CHARGER_PASSWORD + "x"):
            pass
    assert refused.value.response.status_code == 401
    async with raw(live_server, charger.charge_point_id) as again:
        await again.send(json.dumps([2, "h2", "Heartbeat", {}]))
        assert (await _answer(again))[:2] == [3, "h2"]


async def test_a_charger_with_an_argon2_password_hash_connects_once_and_is_upgraded(
    live_server: str, runtime: Runtime
) -> None:
    """Chargers registered before OCPP passwords were stored as SHA-256 keep working:
    the Argon2id hash is checked once, then replaced; a wrong password is still refused."""
    charger = await make_charger(runtime)
    legacy = runtime.credentials.passwords.hash(CHARGER_PASSWORD)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Charger).where(Charger.id == charger.id).values(password_hash=legacy)
        )
        await session.commit()
    with pytest.raises(InvalidStatus) as refused:
        async with raw(live_server, charger.charge_point_id, password="not-the-password"):
            pass
    assert refused.value.response.status_code == 401
    assert await _stored_hash(runtime, charger.id) == legacy
    async with raw(live_server, charger.charge_point_id) as socket:
        await socket.send(json.dumps([2, "h1", "Heartbeat", {}]))
        assert (await _answer(socket))[:2] == [3, "h1"]
    upgraded = await _stored_hash(runtime, charger.id)
    assert upgraded == hash_generated_secret(CHARGER_PASSWORD)
    async with raw(live_server, charger.charge_point_id) as socket:
        await socket.send(json.dumps([2, "h2", "Heartbeat", {}]))
        assert (await _answer(socket))[:2] == [3, "h2"]


async def _stored_hash(runtime: Runtime, charger_id: int) -> str | None:
    async with runtime.sessionmaker() as session:
        stored: str | None = await session.scalar(
            select(Charger.password_hash).where(Charger.id == charger_id)
        )
        return stored
