"""HTTP request path: an authenticated EV-CMS read through uvicorn, against a bare route.

EVCare runs as ``uvicorn evcare.app:create_app`` (production settings, its default log
level, request log on stderr to a file) and answers ``GET /api/v1/profile/vehicles`` for
a user with a few vehicles: every middleware, the bearer token checked against the
database, the request's unit of work, the envelope. Beside it, in another uvicorn
process, a bare Starlette route runs **the same SQL** on the same driver and pool
settings (``evcare.core.db.create_engine``): the statements are captured once from a real
EVCare request with SQLAlchemy's ``before_cursor_execute`` event and replayed verbatim
(``exec_driver_sql``, same parameters, one connection, committed), and the rows go back as
JSON. The ratio EVCare / bare is what the framework, the middleware, the authentication
and the rendering cost on top of the database work.

Measured from a separate load-generator process, both servers side by side and
interleaved in rounds (so a noisy neighbour hits both alike):

- throughput (requests/s) at a fixed concurrency (``--connections``, closed loop), with
  ``wrk`` when it is installed, otherwise the generator below;
- latency at a fixed rate (open loop): 70 % of EVCare's measured throughput offered to
  both; each request's latency counts from its scheduled time, so a server that falls
  behind is charged for the wait (no coordinated omission);
- CPU time of the server process per request (user + system, from ``/proc``): the
  figure least moved by other work on the machine.

The generator is a minimal HTTP/1.1 keep-alive client over asyncio streams (uvloop):
httpx or aiohttp would spend more CPU per request than the bare server does, and on a
2-vCPU machine the generator competes with the server it measures.

    .venv/bin/python bench/http.py                                  # SQLite file
    .venv/bin/python bench/http.py --database-url sqlite \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

A PostgreSQL URL names a server: a fresh database is created there for the run and
dropped afterwards. Everything binds to 127.0.0.1, runs for a bounded time, and asserts
nothing about time: it prints figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/http.py``, this file's folder comes first on the path, and this
# file would stand in for the standard library's ``http`` package: take the folder off.
sys.path.remove(str(Path(__file__).resolve().parent))

import argparse
import asyncio
import base64
import contextlib
import json
import os
import pickle
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

PATH = "/api/v1/profile/vehicles"
BARE_PATH = "/bare/vehicles"
PASSWORD = "Bench-password-1"
VEHICLES = (
    ("Tata", "Nexon EV", 2023, 40.5, "MH12AB1234"),
    ("MG", "ZS EV", 2022, 50.3, "KA01CD5678"),
    ("Hyundai", "Kona Electric", 2021, 39.2, "DL03EF9012"),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# -- the database and the captured statements --------------------------------------------


@dataclass
class Prepared:
    token: str
    statements: list[tuple[str, Any]]
    body: dict[str, Any]


async def prepare(url: str, secret: str, data_dir: Path) -> Prepared:
    """Schema, a user signed in through EV-CMS with a few vehicles, and the SQL of one
    ``GET /profile/vehicles`` as EVCare runs it."""
    import httpx
    from sqlalchemy import event

    from evcare.app import create_app
    from evcare.core.config import Settings
    from evcare.core.migrate import upgrade
    from evcare.identity.models import Role, User

    await upgrade(url)
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key=secret,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_level="WARNING",
        data_dir=data_dir,
    )
    app = create_app(settings)
    runtime = app.state.runtime
    try:
        async with runtime.sessionmaker() as session:
            user = User(
                email="http-bench@evcare.dev",
                phone="9800000001",
                first_name="Bench",
                last_name="Driver",
                role=Role.USER,
                password_hash=runtime.credentials.passwords.hash(PASSWORD),
            )
            session.add(user)
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            signed_in = await client.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            )
            signed_in.raise_for_status()
            token: str = signed_in.json()["data"]["accessToken"]
            headers = {"Authorization": f"Bearer {token}"}
            for make, model, year, battery, registration in VEHICLES:
                added = await client.post(
                    PATH,
                    headers=headers,
                    json={
                        "make": make,
                        "model": model,
                        "year": year,
                        "batteryCapacity": battery,
                        "registrationNumber": registration,
                    },
                )
                added.raise_for_status()
            statements: list[tuple[str, Any]] = []

            def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
                statements.append((statement, parameters))

            event.listen(runtime.engine.sync_engine, "before_cursor_execute", capture)
            try:
                listed = await client.get(PATH, headers=headers)
            finally:
                event.remove(runtime.engine.sync_engine, "before_cursor_execute", capture)
            listed.raise_for_status()
            body: dict[str, Any] = listed.json()
    finally:
        await runtime.engine.dispose()
    return Prepared(token=token, statements=statements, body=body)


@contextlib.asynccontextmanager
async def fresh_database(url: str) -> Any:
    """``sqlite``: a new file; a PostgreSQL URL: a new database on that server, dropped
    afterwards."""
    if url == "sqlite" or url.startswith("sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="evcare-http-bench-"))
        try:
            yield f"sqlite+aiosqlite:///{folder / 'bench.db'}" if url == "sqlite" else url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"evcare_http_bench_{secrets.token_hex(4)}"
    server = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    admin = await asyncpg.connect(server, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(server, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# -- the servers -------------------------------------------------------------------------


def start_evcare(
    url: str, port: int, secret: str, data_dir: Path, source: Path | None = None
) -> subprocess.Popen[bytes]:
    """``source``: another checkout's ``src`` folder, run instead of the installed code."""
    env = {
        **os.environ,
        "EVCARE_ENVIRONMENT": "production",
        "EVCARE_DATABASE_URL": url,
        "EVCARE_SECRET_KEY": secret,
        # Production refuses the development key (an older checkout ignores the setting).
        "EVCARE_KYC_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        # One client address sends everything: the per-IP limit stays on, out of reach.
        "EVCARE_RATE_LIMIT": "1000000000/minute",
        "EVCARE_DATA_DIR": str(data_dir),
    }
    env.pop("EVCARE_REDIS_URL", None)
    env.pop("EVCARE_LOG_LEVEL", None)
    if source is not None:
        env["PYTHONPATH"] = str(source.resolve())
    log = (data_dir / f"evcare-{port}.log").open("ab")
    return subprocess.Popen(  # noqa: S603
        [
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
        ],
        env=env,
        stdout=log,
        stderr=log,
    )


def start_bare(url: str, port: int, statements: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    log = (data_dir / "bare.log").open("ab")
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            __file__,
            "--role",
            "bare",
            "--port",
            str(port),
            "--database-url",
            url,
            "--statements",
            str(statements),
        ],
        stdout=log,
        stderr=log,
    )


def run_bare(url: str, port: int, statements_file: Path) -> None:
    """A Starlette route running EVCare's captured statements on EVCare's engine settings."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from evcare.core.db import create_engine

    statements: list[tuple[str, Any]] = pickle.loads(statements_file.read_bytes())  # noqa: S301 (written by this run)
    engine = create_engine(url)

    def plain(value: Any) -> Any:
        return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)

    async def vehicles(request: Request) -> JSONResponse:
        rows: list[Any] = []
        async with engine.connect() as connection:
            for statement, parameters in statements:
                result = await connection.exec_driver_sql(statement, parameters)
                rows = list(result.mappings()) if result.returns_rows else []
            await connection.commit()
        listed = [{key: plain(value) for key, value in row.items()} for row in rows]
        return JSONResponse({"success": True, "data": {"vehicles": listed}})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> Any:
        yield
        await engine.dispose()

    app = Starlette(routes=[Route(BARE_PATH, vehicles)], lifespan=lifespan)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        backlog=4096,
    )


async def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError("server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the load generator ------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection sending the same GET again and again."""

    def __init__(self, port: int, request: bytes) -> None:
        self.port = port
        self.request = request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        try:
            self.writer.write(self.request)
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()  # counted as an error; the next call connects again
            self.writer = None
            return 0
        status = int(head[9:12])
        match = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
        if match is None:
            raise RuntimeError("response without content-length")
        await self.reader.readexactly(int(match.group(1)))
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    def count(self, status: int) -> None:
        if status == 200:
            self.ok += 1
        else:
            self.errors += 1


async def closed_loop(
    port: int, request: bytes, connections: int, duration: float, warmup: float
) -> dict[str, Any]:
    tally = Tally()
    start = time.perf_counter()
    measure_from = start + warmup
    until = measure_from + duration

    async def worker() -> None:
        connection = Connection(port, request)
        try:
            while (now := time.perf_counter()) < until:
                status = await connection.get()
                if now >= measure_from:
                    tally.count(status)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return {"requests_per_s": tally.ok / duration, "ok": tally.ok, "errors": tally.errors}


async def open_loop(
    port: int, request: bytes, connections: int, rate: float, duration: float, warmup: float
) -> dict[str, Any]:
    """Request i is due at start + i / rate; its latency counts from then."""
    tally = Tally()
    start = time.perf_counter() + 0.2
    total = int((warmup + duration) * rate)
    counter = iter(range(total))

    async def worker() -> None:
        connection = Connection(port, request)
        try:
            for index in counter:
                due = start + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                status = await connection.get()
                if due - start >= warmup:
                    tally.latencies.append(time.perf_counter() - due)
                    tally.count(status)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    ordered = sorted(tally.latencies)
    return {
        "ok": tally.ok,
        "errors": tally.errors,
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": (ordered[-1] if ordered else float("nan")) * 1000,
    }


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def run_load(args: argparse.Namespace) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    request = (
        f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
        f"Authorization: Bearer {args.token}\r\n\r\n"
    ).encode()
    if args.rate:
        result = asyncio.run(
            open_loop(args.port, request, args.connections, args.rate, args.duration, args.warmup)
        )
    else:
        result = asyncio.run(
            closed_loop(args.port, request, args.connections, args.duration, args.warmup)
        )
    print(json.dumps(result), flush=True)


def load(
    port: int,
    path: str,
    token: str,
    *,
    connections: int,
    duration: float,
    warmup: float,
    rate: float = 0.0,
) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--role",
        "load",
        "--port",
        str(port),
        "--path",
        path,
        "--token",
        token,
        "--connections",
        str(connections),
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
        "--rate",
        str(rate),
    ]
    done = subprocess.run(command, capture_output=True, check=True, timeout=duration * 3 + 120)  # noqa: S603
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def wrk_load(
    port: int, path: str, token: str, *, connections: int, duration: float, warmup: float
) -> dict[str, Any]:
    """Closed loop with ``wrk`` (one thread: the other core is the server's)."""
    url = f"http://127.0.0.1:{port}{path}"
    header = f"Authorization: Bearer {token}"
    base = ["wrk", "-t1", f"-c{connections}", "-H", header]
    if warmup > 0:
        subprocess.run([*base, f"-d{max(1, round(warmup))}s", url], capture_output=True, check=True)  # noqa: S603
    done = subprocess.run(  # noqa: S603
        [*base, f"-d{max(1, round(duration))}s", url],
        capture_output=True,
        check=True,
        timeout=duration * 3 + 60,
    )
    output = done.stdout.decode()
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    if rate is None:
        raise RuntimeError(f"wrk said: {output}")
    return {
        "requests_per_s": float(rate.group(1)),
        "errors": (int(bad.group(1)) if bad else 0) + (1 if socket_errors else 0),
    }


# -- the orchestration -------------------------------------------------------------------


@dataclass
class Target:
    name: str
    port: int
    path: str
    process: subprocess.Popen[bytes]
    throughput: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: int = 0


def check_answers(evcare: Target, bare: Target, token: str, expected: dict[str, Any]) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    ours = httpx.get(f"http://127.0.0.1:{evcare.port}{evcare.path}", headers=headers)
    theirs = httpx.get(f"http://127.0.0.1:{bare.port}{bare.path}", headers=headers)
    ours.raise_for_status()
    theirs.raise_for_status()
    if ours.json() != expected:
        raise RuntimeError(f"EVCare answered {ours.text}, expected {expected}")
    count = len(expected["data"]["vehicles"])
    if len(theirs.json()["data"]["vehicles"]) != count:
        raise RuntimeError(f"bare route answered {theirs.text}")


async def bench_database(url: str, args: argparse.Namespace, use_wrk: bool) -> dict[str, Any]:
    secret = secrets.token_urlsafe(32)
    data_dir = Path(tempfile.mkdtemp(prefix="evcare-http-data-"))
    kind = url.split("://")[0]
    print(f"[{kind}] preparing the database ...", flush=True)
    prepared = await prepare(url, secret, data_dir)
    statements_file = data_dir / "statements.pickle"
    statements_file.write_bytes(pickle.dumps(prepared.statements))
    print(f"[{kind}] statements of one EVCare request ({len(prepared.statements)}):", flush=True)
    for statement, _ in prepared.statements:
        print("    " + " ".join(statement.split())[:150], flush=True)
    evcare_port, bare_port = free_port(), free_port()
    evcare = Target("EVCare", evcare_port, PATH, start_evcare(url, evcare_port, secret, data_dir))
    bare = Target(
        "bare", bare_port, BARE_PATH, start_bare(url, bare_port, statements_file, data_dir)
    )
    targets = [evcare, bare]
    if args.baseline:
        # The same request served by another version of the code, measured in the same
        # rounds: a change's before and after side by side.
        port = free_port()
        process = start_evcare(url, port, secret, data_dir, Path(args.baseline))
        targets.insert(1, Target("before", port, PATH, process))
    try:
        for target in targets:
            await wait_ready(target.port, target.process)
        for target in targets:
            if target is not bare:
                check_answers(target, bare, prepared.token, prepared.body)
        closed = wrk_load if use_wrk else load
        for round_number in range(args.rounds):
            # Alternate who goes first, so a drift in the machine's load hits both alike.
            order = targets[round_number % len(targets) :] + targets[: round_number % len(targets)]
            for target in order:
                before = cpu_seconds(target.process.pid)
                result = closed(
                    target.port,
                    target.path,
                    prepared.token,
                    connections=args.connections,
                    duration=args.duration,
                    warmup=args.warmup,
                )
                used = cpu_seconds(target.process.pid) - before
                served = result["requests_per_s"] * (args.duration + args.warmup)
                target.throughput.append(result["requests_per_s"])
                target.cpu_us.append(used / max(served, 1) * 1e6)
                target.errors += result["errors"]
                print(
                    f"[{kind}] round {round_number + 1} {target.name:>6}: "
                    f"{result['requests_per_s']:8.0f} req/s at {args.connections} connections, "
                    f"{target.cpu_us[-1]:6.0f} µs server CPU per request",
                    flush=True,
                )
        rate = args.rate_share * statistics.median(evcare.throughput)
        for round_number in range(args.rounds):
            order = targets[round_number % len(targets) :] + targets[: round_number % len(targets)]
            for target in order:
                result = load(
                    target.port,
                    target.path,
                    prepared.token,
                    connections=args.open_connections,
                    duration=args.duration,
                    warmup=args.warmup,
                    rate=rate,
                )
                target.p50.append(result["p50_ms"])
                target.p99.append(result["p99_ms"])
                target.errors += result["errors"]
                print(
                    f"[{kind}] round {round_number + 1} {target.name:>6}: at {rate:.0f} req/s "
                    f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                    f"max {result['max_ms']:.1f} ms",
                    flush=True,
                )
        if args.profile:
            profile(evcare, prepared.token, args, kind)
    finally:
        for target in targets:
            stop(target.process)
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"kind": kind, "rate": rate, "targets": targets}


def profile(evcare: Target, token: str, args: argparse.Namespace, kind: str) -> None:
    """py-spy samples the EVCare server during one more closed-loop run."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    output = Path(args.profile).with_suffix(f".{kind.replace('+', '-')}.txt")
    recorder = subprocess.Popen(  # noqa: S603
        [
            spy,
            "record",
            "--pid",
            str(evcare.process.pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--duration",
            str(round(args.duration)),
            "--output",
            str(output),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    load(
        evcare.port,
        evcare.path,
        token,
        connections=args.connections,
        duration=args.duration,
        warmup=0.5,
    )
    recorder.wait(timeout=args.duration + 60)
    print(f"[{kind}] py-spy collapsed stacks of EVCare written to {output}", flush=True)


def report(results: list[dict[str, Any]], args: argparse.Namespace, use_wrk: bool) -> None:
    generator = "wrk -t1" if use_wrk else "bench/http.py's generator"
    print()
    print(
        f"HTTP request path: GET {PATH} ({len(VEHICLES)} vehicles), {args.rounds} rounds of "
        f"{args.duration:g} s per figure, {os.cpu_count()} CPUs; closed loop {generator} "
        f"at {args.connections} connections; open loop at {args.rate_share:.0%} of "
        f"EVCare's throughput over {args.open_connections} connections. Medians of the rounds."
    )
    median = statistics.median
    for result in results:
        targets: list[Target] = result["targets"]
        bare = targets[-1]
        print()
        print(
            f"{result['kind']:<34}"
            + "".join(f"{target.name:>10}" for target in targets)
            + "".join(f"{target.name + '/bare':>14}" for target in targets[:-1])
        )

        def row(label: str, values: list[float], fmt: str = "{:.0f}") -> None:
            ratios = "".join(
                f"{value / values[-1]:>13.2f}x" if values[-1] else f"{'-':>14}"
                for value in values[:-1]
            )
            print(f"{label:<34}" + "".join(f"{fmt.format(v):>10}" for v in values) + ratios)

        row("throughput (req/s)", [median(t.throughput) for t in targets])
        row("server CPU per request (µs)", [median(t.cpu_us) for t in targets])
        rate = f"{result['rate']:.0f}"
        row(f"p50 at {rate} req/s (ms)", [median(t.p50) for t in targets], "{:.2f}")
        row(f"p99 at {rate} req/s (ms)", [median(t.p99) for t in targets], "{:.2f}")
        print(f"{'non-200 answers / errors':<34}" + "".join(f"{t.errors:>10}" for t in targets))
        share = median(targets[0].throughput) / median(bare.throughput)
        verdict = "meets" if share >= 0.5 else "misses"
        print(f"EVCare's throughput is {share:.2f}x the bare route's: {verdict} the 0.5x goal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=["bench", "bare", "load"], default="bench")
    parser.add_argument(
        "--database-url",
        action="append",
        help="'sqlite' (a fresh file, the default) or a PostgreSQL server URL; repeatable",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--open-connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per figure")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate-share", type=float, default=0.7)
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="closed-loop generator: wrk when installed (auto), or the Python one",
    )
    parser.add_argument(
        "--baseline",
        help="another checkout's src folder: its EVCare measured in the same rounds ('before')",
    )
    parser.add_argument("--profile", help="file stem for py-spy's collapsed stacks of EVCare")
    # Internal roles.
    parser.add_argument("--port", type=int)
    parser.add_argument("--statements")
    parser.add_argument("--path")
    parser.add_argument("--token")
    parser.add_argument("--rate", type=float, default=0.0)
    args = parser.parse_args()
    if args.role == "bare":
        run_bare(args.database_url[0], args.port, Path(args.statements))
        return
    if args.role == "load":
        run_load(args)
        return
    use_wrk = args.generator == "wrk" or (
        args.generator == "auto" and shutil.which("wrk") is not None
    )

    async def run_all() -> list[dict[str, Any]]:
        results = []
        for url in args.database_url or ["sqlite"]:
            async with fresh_database(url) as fresh:
                results.append(await bench_database(fresh, args, use_wrk))
        return results

    report(asyncio.run(run_all()), args, use_wrk)


if __name__ == "__main__":
    main()
