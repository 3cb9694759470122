"""OCPP load: one EVCare process holding N charge points, against a bare ``ocpp`` CSMS.

Each simulated charge point (OCPP 1.6J over a real WebSocket, HTTP Basic auth) boots,
reports its status, and then sends a Heartbeat every 30 s; 20 % of them also have a
transaction running and send MeterValues every 10 s (energy + power). What is measured,
in the steady state after every charger is connected and booted:

- CALL -> CALLRESULT latency as the charger sees it (p50 / p95 / p99 / max), per action;
- the server's memory per charger: (RSS with N connected - RSS before) / N;
- the same load against a bare central system built on the ``ocpp`` library alone
  (``websockets.serve`` + ``ocpp.v16.ChargePoint`` handlers, no database, no auth), and the
  ratio EVCare / bare beside each figure.

EVCare runs as ``uvicorn evcare.app:create_app`` in its own process on a fresh SQLite file
(or ``--database-url``), with N chargers created up front; the load generator runs in
another process. Everything binds to 127.0.0.1, runs for a bounded time, and asserts
nothing: it prints figures.

    .venv/bin/python bench/ocpp_load.py --chargers 10000 --duration 120
    .venv/bin/python bench/ocpp_load.py --chargers 2000 --duration 60 --target evcare
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import os
import random
import resource
import secrets
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSWORD = "bench-charger-secret"
ID_TAG = "BENCH-TAG-0001"
PREFIX = "BENCH-"


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def charge_point_id(index: int) -> str:
    return f"{PREFIX}{index:05d}"


# -- the servers -------------------------------------------------------------------------


async def prepare_evcare_database(url: str, count: int) -> None:
    """Fresh schema plus ``count`` chargers (one connector each), a driver and their tag."""
    from sqlalchemy import insert, select

    from evcare.charging.chargers.models import Charger
    from evcare.charging.sessions.models import IdTag
    from evcare.charging.stations.models import Connector, Station
    from evcare.core.config import Settings
    from evcare.core.migrate import upgrade
    from evcare.core.runtime import Runtime
    from evcare.core.security import hash_generated_secret
    from evcare.identity.models import Role, User

    await upgrade(url)
    settings = Settings(database_url=url)
    runtime = Runtime.build(settings)
    # Stored as the service stores generated OCPP passwords (one hash for all).
    password_hash = hash_generated_secret(PASSWORD)
    try:
        async with runtime.sessionmaker() as session:
            owner = User(
                email="bench-brand@evcare.dev", first_name="Bench", last_name="", role=Role.BRAND
            )
            driver = User(
                email="bench-driver@evcare.dev", first_name="Bench", last_name="", role=Role.USER
            )
            session.add_all([owner, driver])
            await session.flush()
            station = Station(
                owner_id=owner.id,
                owner_type="brand",
                name="Bench station",
                address="127.0.0.1",
                latitude=12.97,
                longitude=77.59,
            )
            session.add(station)
            await session.flush()
            session.add(IdTag(token=ID_TAG, user_id=driver.id, kind="rfid"))
            await session.execute(
                insert(Charger),
                [
                    {
                        "charge_point_id": charge_point_id(i),
                        "name": f"Bench {i}",
                        "station_id": station.id,
                        "manufacturer": "Bench",
                        "model": "Load",
                        "password_hash": password_hash,
                    }
                    for i in range(count)
                ],
            )
            rows = (
                await session.execute(
                    select(Charger.id, Charger.charge_point_id).where(
                        Charger.station_id == station.id
                    )
                )
            ).all()
            await session.execute(
                insert(Connector),
                [
                    {
                        "station_id": station.id,
                        "charger_id": charger_key,
                        "connector_id": f"{cp_id}-1",
                        "connector_number": 1,
                        "type": "Type2",
                        "power_kw": 22.0,
                        "base_price_minor": 1800,
                    }
                    for charger_key, cp_id in rows
                ],
            )
            await session.commit()
    finally:
        await runtime.engine.dispose()


async def start_evcare(
    url: str, port: int, data_dir: Path, sqlite_pool_size: int | None
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "EVCARE_ENVIRONMENT": "test",
        "EVCARE_DATABASE_URL": url,
        "EVCARE_SECRET_KEY": secrets.token_urlsafe(32),
        "EVCARE_RATE_LIMIT": "1000000/minute",
        "EVCARE_LOG_LEVEL": "WARNING",
        "EVCARE_DATA_DIR": str(data_dir),
    }
    env.pop("EVCARE_REDIS_URL", None)
    if sqlite_pool_size is not None:
        # Experiment: the same app with SQLite reached through a fixed pool of N connections.
        return await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--role",
            "evcare-pooled",
            "--port",
            str(port),
            "--sqlite-pool-size",
            str(sqlite_pool_size),
            env=env,
        )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "evcare.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--backlog",
        "4096",
        env=env,
    )


def run_evcare_pooled(port: int, pool_size: int) -> None:
    """EVCare with its SQLite engine limited to ``pool_size`` connections (no overflow)."""
    raise_fd_limit()
    import uvicorn
    from sqlalchemy.ext.asyncio import create_async_engine

    import evcare.core.db as db
    import evcare.core.runtime as runtime

    original = db.create_engine

    def pooled(url: str, *, echo: bool = False) -> Any:
        if not url.startswith("sqlite"):
            return original(url, echo=echo)
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_size=pool_size, max_overflow=0, pool_timeout=60
        )
        db.event.listen(engine.sync_engine, "connect", db._sqlite_pragmas)
        return engine

    db.create_engine = pooled  # type: ignore[assignment]
    runtime.create_engine = pooled  # type: ignore[attr-defined]
    uvicorn.run(
        "evcare.app:create_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        backlog=4096,
    )


async def start_bare(port: int, *, paced: bool) -> asyncio.subprocess.Process:
    pacing = ["--bare-gc-pacer"] if paced else []
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--role", "bare", "--port", str(port), *pacing
    )


def run_bare_csms(port: int, *, paced: bool) -> None:
    """A central system made of the ``ocpp`` library alone: canned answers, no storage;
    ``paced``: with EVCare's collector pacer, to tell its effect from the rest."""
    raise_fd_limit()
    from datetime import UTC, datetime

    from ocpp.routing import on
    from ocpp.v16 import ChargePoint
    from ocpp.v16 import call_result as result
    from websockets.asyncio.server import ServerConnection, serve

    def now() -> str:
        return datetime.now(UTC).isoformat()

    class BareCentralSystem(ChargePoint):  # type: ignore[misc]
        transaction = 0

        @on("BootNotification")
        def boot(self, **_: Any) -> Any:
            return result.BootNotification(current_time=now(), interval=30, status="Accepted")

        @on("Heartbeat")
        def heartbeat(self, **_: Any) -> Any:
            return result.Heartbeat(current_time=now())

        @on("StatusNotification")
        def status(self, **_: Any) -> Any:
            return result.StatusNotification()

        @on("Authorize")
        def authorize(self, **_: Any) -> Any:
            return result.Authorize(id_tag_info={"status": "Accepted"})

        @on("StartTransaction")
        def start_transaction(self, **_: Any) -> Any:
            BareCentralSystem.transaction += 1
            return result.StartTransaction(
                transaction_id=BareCentralSystem.transaction, id_tag_info={"status": "Accepted"}
            )

        @on("MeterValues")
        def meter_values(self, **_: Any) -> Any:
            return result.MeterValues()

        @on("StopTransaction")
        def stop_transaction(self, **_: Any) -> Any:
            return result.StopTransaction()

    async def handle(connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        cp = BareCentralSystem(path.rstrip("/").split("/")[-1], connection)
        with contextlib.suppress(Exception):
            await cp.start()

    async def main() -> None:
        background: list[asyncio.Task[None]] = []
        if paced:
            from evcare.core.gcpacing import GcPacer

            background.append(asyncio.create_task(GcPacer(10.0).run()))
        async with serve(
            handle,
            "127.0.0.1",
            port,
            subprotocols=["ocpp1.6"],
            backlog=4096,  # type: ignore[list-item]
        ):
            await asyncio.Future()

    _use_uvloop()
    asyncio.run(main())


def _use_uvloop() -> None:
    # uvicorn picks uvloop when installed; the bare system gets the same loop to be fair.
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


# -- the load generator ------------------------------------------------------------------


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    timeouts: int = 0
    measuring: bool = False

    def record(self, action: str, seconds: float) -> None:
        if self.measuring:
            self.latencies.setdefault(action, []).append(seconds)


class LoadCharger:
    """A lean OCPP 1.6J charge point: pre-shaped frames, one reader, futures per call."""

    def __init__(self, index: int, base_url: str, recorder: Recorder) -> None:
        self.id = charge_point_id(index)
        self.url = f"{base_url.replace('http://', 'ws://')}/ocpp/{self.id}"
        self.recorder = recorder
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.transaction: int | None = None
        self.meter_wh = 1_000_000 + index
        self.ws: Any = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        auth = base64.b64encode(f"{self.id}:{PASSWORD}".encode()).decode()
        self.ws = await connect(
            self.url,
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {auth}"},
            open_timeout=120,
            ping_interval=None,
            max_queue=64,
        )
        asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame[0] in (3, 4):
                    future = self.pending.pop(frame[1], None)
                    if future is not None and not future.done():
                        future.set_result(frame)
                elif frame[0] == 2:  # a command from the server: say yes
                    await self.ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        message_id = uuid.uuid4().hex
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        started = time.perf_counter()
        await self.ws.send(json.dumps([2, message_id, action, payload]))
        try:
            frame = await asyncio.wait_for(future, timeout=60)
        except TimeoutError:
            self.pending.pop(message_id, None)
            self.recorder.timeouts += 1
            return None
        elapsed = time.perf_counter() - started
        if frame[0] == 4:
            self.recorder.errors += 1
            return None
        self.recorder.record(action, elapsed)
        answer: dict[str, Any] = frame[2]
        return answer

    async def boot(self, with_transaction: bool) -> None:
        await self.call(
            "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Load"}
        )
        await self.call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
        )
        if with_transaction:
            answer = await self.call(
                "StartTransaction",
                {
                    "connectorId": 1,
                    "idTag": ID_TAG,
                    "meterStart": self.meter_wh,
                    "timestamp": _now(),
                },
            )
            if answer is not None:
                self.transaction = int(answer["transactionId"])

    async def heartbeats(self, every: float, until: float) -> None:
        await asyncio.sleep(random.uniform(0, every))
        while time.monotonic() < until:
            await self.call("Heartbeat", {})
            await asyncio.sleep(every)

    async def meter_values(self, every: float, until: float) -> None:
        if self.transaction is None:
            return
        await asyncio.sleep(random.uniform(0, every))
        while time.monotonic() < until:
            power = random.uniform(6_500, 7_400)
            self.meter_wh += int(power * every / 3600)
            await self.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": self.transaction,
                    "meterValue": [
                        {
                            "timestamp": _now(),
                            "sampledValue": [
                                {
                                    "value": str(self.meter_wh),
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                },
                                {
                                    "value": f"{power:.0f}",
                                    "measurand": "Power.Active.Import",
                                    "unit": "W",
                                },
                            ],
                        }
                    ],
                },
            )
            await asyncio.sleep(every)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"


async def generate_load(args: argparse.Namespace) -> dict[str, Any]:
    from evcare.core.gcpacing import GcPacer

    recorder = Recorder()
    chargers = [LoadCharger(i, args.url, recorder) for i in range(args.chargers)]
    metered = set(
        random.Random(1).sample(range(args.chargers), int(args.chargers * args.meter_share))
    )
    gate = asyncio.Semaphore(args.connect_concurrency)
    failures = 0

    async def bring_up(index: int, charger: LoadCharger) -> None:
        nonlocal failures
        async with gate:
            try:
                await charger.open()
                await charger.boot(index in metered)
            except Exception:
                failures += 1
                charger.ws = None

    started = time.monotonic()
    await asyncio.gather(*(bring_up(i, c) for i, c in enumerate(chargers)))
    ramp_seconds = time.monotonic() - started
    live = [c for c in chargers if c.ws is not None]
    print(json.dumps({"ready": len(live), "ramp_seconds": ramp_seconds}), flush=True)
    # The generator holds N connections too: its own full collections (~0.6 s at
    # 10,000) would show up as latency of whichever server is measured. One now, then
    # everything frozen and paced (see evcare.core.gcpacing), before measuring.
    gc.collect()
    pacer_of_generator = GcPacer(5.0)
    pacer_of_generator.tick()
    pacer = asyncio.create_task(pacer_of_generator.run())
    # Let the parent read memory with everything connected, then measure.
    await asyncio.sleep(args.settle)
    recorder.measuring = True
    until = time.monotonic() + args.duration
    await asyncio.gather(
        *(c.heartbeats(args.heartbeat, until) for c in live),
        *(c.meter_values(args.meter_every, until) for c in live),
    )
    recorder.measuring = False
    pacer.cancel()
    for charger in live:
        with contextlib.suppress(Exception):
            await charger.ws.close()
    return {
        "connected": len(live),
        "failed_to_connect": failures,
        "ramp_seconds": ramp_seconds,
        "errors": recorder.errors,
        "timeouts": recorder.timeouts,
        "latencies": recorder.latencies,
    }


def run_load_generator(args: argparse.Namespace) -> None:
    raise_fd_limit()
    _use_uvloop()
    result = asyncio.run(generate_load(args))
    print(json.dumps({"result": result}), flush=True)


# -- the orchestration -------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Figures:
    name: str
    connected: int
    ramp_seconds: float
    errors: int
    timeouts: int
    per_action: dict[str, dict[str, float]]
    overall: dict[str, float]
    rss_idle: int
    rss_loaded: int

    @property
    def bytes_per_charger(self) -> float:
        return (self.rss_loaded - self.rss_idle) / max(1, self.connected)


def summarise(values: list[float]) -> dict[str, float]:
    return {
        "count": float(len(values)),
        "p50": percentile(values, 0.50) * 1000,
        "p95": percentile(values, 0.95) * 1000,
        "p99": percentile(values, 0.99) * 1000,
        "max": (max(values) if values else float("nan")) * 1000,
        "mean": (statistics.fmean(values) if values else float("nan")) * 1000,
    }


async def wait_ready(port: int, process: asyncio.subprocess.Process) -> None:
    for _ in range(600):
        if process.returncode is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError("server did not start")


async def measure(name: str, args: argparse.Namespace, workdir: Path) -> Figures:
    port = free_port()
    if name == "evcare":
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        print(
            f"[evcare] preparing {args.chargers} chargers in {url.split('://')[0]} ...", flush=True
        )
        await prepare_evcare_database(url, args.chargers)
        server = await start_evcare(url, port, workdir, args.sqlite_pool_size)
    else:
        server = await start_bare(port, paced=args.bare_gc_pacer)
    try:
        await wait_ready(port, server)
        await asyncio.sleep(2)
        rss_idle = rss_bytes(server.pid)
        print(f"[{name}] server up (RSS {rss_idle / 2**20:.0f} MiB); connecting ...", flush=True)
        generator = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--role",
            "load",
            "--url",
            f"http://127.0.0.1:{port}",
            "--chargers",
            str(args.chargers),
            "--duration",
            str(args.duration),
            "--heartbeat",
            str(args.heartbeat),
            "--meter-every",
            str(args.meter_every),
            "--meter-share",
            str(args.meter_share),
            "--connect-concurrency",
            str(args.connect_concurrency),
            "--settle",
            str(args.settle),
            stdout=asyncio.subprocess.PIPE,
            limit=2**28,
        )
        assert generator.stdout is not None
        rss_loaded = 0
        result: dict[str, Any] = {}
        deadline = time.monotonic() + args.duration + args.settle + 1800
        while time.monotonic() < deadline:
            line = await asyncio.wait_for(generator.stdout.readline(), timeout=1800)
            if not line:
                break
            message = json.loads(line)
            if "ready" in message:
                await asyncio.sleep(min(2.0, args.settle / 2))
                rss_loaded = rss_bytes(server.pid)
                print(
                    f"[{name}] {message['ready']} connected in {message['ramp_seconds']:.0f}s "
                    f"(RSS {rss_loaded / 2**20:.0f} MiB); measuring {args.duration:.0f}s ...",
                    flush=True,
                )
            elif "result" in message:
                result = message["result"]
        await generator.wait()
    finally:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), timeout=30)
        except TimeoutError:
            server.kill()
            await server.wait()
    latencies: dict[str, list[float]] = result.get("latencies", {})
    everything = [value for values in latencies.values() for value in values]
    return Figures(
        name=name,
        connected=int(result.get("connected", 0)),
        ramp_seconds=float(result.get("ramp_seconds", 0)),
        errors=int(result.get("errors", 0)),
        timeouts=int(result.get("timeouts", 0)),
        per_action={action: summarise(values) for action, values in latencies.items()},
        overall=summarise(everything),
        rss_idle=rss_idle,
        rss_loaded=rss_loaded,
    )


def report(results: dict[str, Figures], args: argparse.Namespace) -> None:
    evcare, bare = results.get("evcare"), results.get("bare")
    rate = args.chargers / args.heartbeat + args.chargers * args.meter_share / args.meter_every
    print()
    print(
        f"OCPP load: {args.chargers} charge points (1.6J), Heartbeat every {args.heartbeat:g}s, "
        f"{args.meter_share:.0%} MeterValues every {args.meter_every:g}s "
        f"(~{rate:.0f} CALLs/s), {args.duration:g}s measured, {os.cpu_count()} CPUs"
    )
    header = f"{'figure':<34}" + "".join(f"{name:>14}" for name in results)
    if evcare and bare:
        header += f"{'EVCare/bare':>14}"
    print(header)

    def row(label: str, pick: Any, fmt: str = "{:.1f}") -> None:
        values = {name: pick(figures) for name, figures in results.items()}
        line = f"{label:<34}" + "".join(f"{fmt.format(v):>14}" for v in values.values())
        if evcare and bare and values["bare"]:
            line += f"{values['evcare'] / values['bare']:>13.1f}x"
        print(line)

    row("connected", lambda f: f.connected, "{:.0f}")
    row("ramp (s)", lambda f: f.ramp_seconds)
    for action in ("Heartbeat", "MeterValues"):
        for stat in ("p50", "p95", "p99", "max"):
            row(
                f"{action} {stat} (ms)",
                lambda f, a=action, s=stat: f.per_action.get(a, {}).get(s, float("nan")),
                "{:.2f}",
            )
    for stat in ("p50", "p99"):
        row(f"all CALLs {stat} (ms)", lambda f, s=stat: f.overall[s], "{:.2f}")
    row("CALLs measured", lambda f: f.overall["count"], "{:.0f}")
    row("CallErrors / timeouts", lambda f: f.errors + f.timeouts, "{:.0f}")
    row("server RSS idle (MiB)", lambda f: f.rss_idle / 2**20, "{:.0f}")
    row("server RSS loaded (MiB)", lambda f: f.rss_loaded / 2**20, "{:.0f}")
    row("memory per charger (KiB)", lambda f: f.bytes_per_charger / 1024)
    if evcare:
        verdict = "meets" if evcare.overall["p99"] < 50 else "misses"
        p99 = evcare.overall["p99"]
        print(f"\nEVCare p99 CALL->CALLRESULT {p99:.1f} ms: {verdict} the 50 ms target")


async def orchestrate(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="evcare-ocpp-load-"))
    targets = ["evcare", "bare"] if args.target == "both" else [args.target]
    results = {name: await measure(name, args, workdir) for name in targets}
    report(results, args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--role",
        choices=["run", "load", "bare", "evcare-pooled"],
        default="run",
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds measured")
    parser.add_argument("--heartbeat", type=float, default=30.0)
    parser.add_argument("--meter-every", type=float, default=10.0)
    parser.add_argument("--meter-share", type=float, default=0.2)
    parser.add_argument("--connect-concurrency", type=int, default=200)
    parser.add_argument("--settle", type=float, default=5.0, help="pause before measuring")
    parser.add_argument("--target", choices=["both", "evcare", "bare"], default="both")
    parser.add_argument("--database-url", default=None, help="EVCare database (fresh schema)")
    parser.add_argument(
        "--bare-gc-pacer",
        action="store_true",
        help="give the bare system EVCare's collector pacer too (evcare.core.gcpacing)",
    )
    parser.add_argument(
        "--sqlite-pool-size",
        type=int,
        default=None,
        help="experiment: EVCare's SQLite engine with exactly this many connections",
    )
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.chargers <= 20_000:
        parser.error("--chargers must be between 1 and 20000")
    if not 1 <= args.duration <= 3600:
        parser.error("--duration must be between 1 and 3600 seconds")
    if args.role == "bare":
        run_bare_csms(args.port, paced=args.bare_gc_pacer)
    elif args.role == "evcare-pooled":
        run_evcare_pooled(args.port, args.sqlite_pool_size)
    elif args.role == "load":
        run_load_generator(args)
    else:
        limit = raise_fd_limit()
        if limit < args.chargers + 256:
            parser.error(f"file descriptor limit {limit} is too low for {args.chargers} chargers")
        asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()
