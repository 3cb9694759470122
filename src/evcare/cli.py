"""The ``evcare`` command: serve, up, worker, db upgrade, demo, create-admin, simulate, openapi."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from evcare.core.config import Settings, get_settings
from evcare.core.migrate import upgrade as upgrade_database
from evcare.core.observability import configure_logging
from evcare.core.runtime import Runtime
from evcare.demo import DEMO_INTEGRATION, DEMO_LOGINS, load_demo
from evcare.integrations.webhooks import delivery as webhook_delivery
from evcare.operations.backup_cli import backup_app
from evcare.simulator.defaults import DEMO_CHARGER_PASSWORD, DEMO_CHARGER_PREFIX, DEMO_ID_TAG

app = typer.Typer(help="EVCare: charging network, service workshops and partner hub.")
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(backup_app, name="backup")
console = Console()
error_console = Console(stderr=True)

PortOption = Annotated[int | None, typer.Option("--port", "-p", help="default 5000 (EVCARE_PORT)")]
HostOption = Annotated[str | None, typer.Option("--host", help="default 127.0.0.1 (EVCARE_HOST)")]


def _settings() -> Settings:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


async def _upgrade(settings: Settings) -> None:
    await upgrade_database(settings.resolved_database_url)


async def _demo(settings: Settings) -> list[str]:
    runtime = Runtime.build(settings)
    try:
        async with runtime.sessionmaker() as session:
            created = await load_demo(session, runtime.credentials)
            await session.commit()
            return created
    finally:
        await runtime.engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    settings = _settings()
    asyncio.run(_upgrade(settings))
    console.print(f"[green]database is up to date[/] ({_safe_url(settings)})")


@app.command()
def demo() -> None:
    """Load demo data (idempotent)."""
    settings = _settings()
    _load_demo(settings)


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    first_name: Annotated[str, typer.Option(prompt=True)],
    last_name: Annotated[str, typer.Option(prompt=True)] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an admin account from the command line."""
    if len(password) < 8:
        raise typer.BadParameter("password must be at least 8 characters")
    settings = _settings()
    asyncio.run(_upgrade(settings))
    asyncio.run(_create_admin(settings, email, first_name, last_name, password))
    console.print(f"[green]admin created:[/] {email}")


async def _create_admin(
    settings: Settings, email: str, first_name: str, last_name: str, password: str
) -> None:
    from evcare.core.errors import Conflict
    from evcare.identity import repository
    from evcare.identity.models import Role, User

    runtime = Runtime.build(settings)
    try:
        async with runtime.sessionmaker() as session:
            if await repository.email_taken(session, email):
                raise Conflict("An account with this email already exists")
            session.add(
                User(
                    email=email.strip().lower(),
                    first_name=first_name,
                    last_name=last_name,
                    role=Role.ADMIN,
                    password_hash=runtime.credentials.passwords.hash(password),
                    is_email_verified=True,
                )
            )
            await session.commit()
    except Conflict as error:
        console.print(f"[red]{error.detail}[/]")
        raise typer.Exit(1) from error
    finally:
        await runtime.engine.dispose()


@app.command("hub-invoices")
def hub_invoices(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM, a month that has ended (default: last)")
    ] = None,
) -> None:
    """Write the developer hub's monthly invoices (plan fee + overage) of one month for
    every subscribed integration that has none yet; running it again writes nothing."""
    from evcare.core.errors import ValidationFailed

    try:
        lines = asyncio.run(_hub_invoices(_settings(), month))
    except ValidationFailed as error:
        raise typer.BadParameter(error.detail, param_hint="--month") from error
    for line in lines:
        console.print(line)


async def _hub_invoices(settings: Settings, month: str | None) -> list[str]:
    from evcare.core.clock import utcnow
    from evcare.integrations import invoices

    last = (utcnow().date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    runtime = Runtime.build(settings)
    try:
        async with runtime.sessionmaker() as session:
            created = await invoices.generate_month(session, invoices.Month.parse(month or last))
            await session.commit()
    finally:
        await runtime.engine.dispose()
    lines = [f"{i.number} {i.id} {i.integration_id} {i.total_minor} {i.currency}" for i in created]
    return lines or [f"no new invoices for {month or last}"]


@app.command()
def openapi(
    output: Annotated[
        str, typer.Option("--output", "-o", help="file to write, or - for standard output")
    ] = "",
) -> None:
    """Write the developer hub's OpenAPI contract, from the repository's root by default to
    docs/integrations/integrations.openapi.yaml."""
    from evcare.surfaces.hub import contract
    from evcare.surfaces.hub.app import build_hub_app

    runtime = Runtime.build(_settings())
    try:
        text = contract.as_yaml(contract.document(build_hub_app(runtime)))
    finally:
        asyncio.run(runtime.engine.dispose())
    if output == "-":
        typer.echo(text, nl=False)
        return
    path = Path(output) if output else contract.EXPORT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    console.print(f"[green]wrote[/] {path}")


@app.command()
def serve(port: PortOption = None, host: HostOption = None) -> None:
    """Serve EVCare (all surfaces, OCPP and socket.io on one port)."""

    settings = _settings()
    listener = _listen(settings, host, port)
    asyncio.run(_upgrade(settings))
    _run(settings, listener)


@app.command()
def worker() -> None:
    """Deliver webhooks until stopped (SIGTERM or Ctrl-C). Run as many as you like against
    PostgreSQL: each claims due deliveries with FOR UPDATE SKIP LOCKED, so no attempt is
    made twice. Set EVCARE_WEBHOOK_DELIVER_IN_PROCESS=false on the servers then."""
    settings = _settings()
    configure_logging(settings.log_level)
    asyncio.run(_work(settings))


async def _work(settings: Settings) -> None:
    # Only the delivery runner: the outbox stays with `evcare serve`, whose process holds
    # every subscriber (socket.io fan-out included).
    runtime = Runtime.build(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await webhook_delivery.start(runtime)
    console.print("[green]evcare worker[/green] delivering webhooks")
    try:
        await stopping.wait()
    finally:
        await webhook_delivery.stop(runtime)
        await runtime.engine.dispose()


@app.command()
def up(port: PortOption = None, host: HostOption = None) -> None:
    """Migrate, load demo data and serve: the one command for a first look."""
    settings = _settings()
    listener = _listen(settings, host, port)
    _load_demo(settings)
    _run(settings, listener)


@app.command()
def simulate(
    chargers: Annotated[
        int, typer.Option("--chargers", "-n", min=1, max=10_000, help="how many charge points")
    ] = 4,
    url: Annotated[str, typer.Option(help="EVCare base URL")] = "http://127.0.0.1:5000",
    protocol: Annotated[
        str, typer.Option(help="OCPP version: 1.6, 2.0.1 or mixed (alternating)")
    ] = "mixed",
    prefix: Annotated[str, typer.Option(help="charge point ids are <prefix>001, ...")] = (
        DEMO_CHARGER_PREFIX
    ),
    password: Annotated[
        str, typer.Option(help="HTTP Basic password of every charger (security profile 1)")
    ] = DEMO_CHARGER_PASSWORD,
    id_tag: Annotated[str, typer.Option(help="RFID token the simulated drivers present")] = (
        DEMO_ID_TAG
    ),
    meter_interval: Annotated[float, typer.Option(min=0.05, help="seconds between samples")] = 5.0,
    heartbeat_interval: Annotated[float, typer.Option(min=0.5)] = 60.0,
    session_seconds: Annotated[float, typer.Option(min=0.1, help="how long a car charges")] = 90.0,
    idle_seconds: Annotated[float, typer.Option(min=0.0, help="pause between visits")] = 10.0,
    sessions: Annotated[
        int | None, typer.Option(min=1, help="stop after this many sessions per charger")
    ] = None,
    duration: Annotated[float | None, typer.Option(min=1, help="stop after N seconds")] = None,
    quiet: Annotated[bool, typer.Option(help="no live table")] = False,
) -> None:
    """Run simulated charge points against an EVCare server (demo chargers by default)."""
    from evcare.simulator.charger import PROTOCOLS, Timing
    from evcare.simulator.fleet import FleetPlan, build_fleet, run_fleet

    if protocol not in (*PROTOCOLS, "mixed"):
        raise typer.BadParameter("--protocol must be 1.6, 2.0.1 or mixed")
    timing = Timing(
        heartbeat=heartbeat_interval,
        meter=meter_interval,
        session=(session_seconds * 0.8, session_seconds * 1.2),
        idle=(idle_seconds * 0.5, idle_seconds * 1.5),
    )
    plan = FleetPlan(
        url=url,
        count=chargers,
        prefix=prefix,
        password=password or None,
        protocol=protocol,
        id_tag=id_tag,
        timing=timing,
        sessions=sessions,
    )
    fleet = build_fleet(plan)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_fleet(fleet, console=None if quiet else console, duration=duration))
    done = sum(charger.state.sessions_done for charger in fleet)
    console.print(f"\nsimulator stopped: {done} session(s) completed")


def _listen(settings: Settings, host: str | None, port: int | None) -> socket.socket:
    """Bind the server's socket first, so a busy port is one clear line (and exit 1) before
    any work, and uvicorn serves on this very socket: nothing can take the port between."""
    bind_host = host or settings.host
    bind_port = port or settings.port
    sock = socket.socket(socket.AF_INET6 if ":" in bind_host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((bind_host, bind_port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            other = 8000 if bind_port != 8000 else 8001
            message = (
                f"port {bind_port} is in use: stop the other process "
                f"or pass --port {other} (or set EVCARE_PORT={other})"
            )
        else:
            message = f"cannot listen on {bind_host}:{bind_port}: {error.strerror or error}"
        error_console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    sock.set_inheritable(True)
    return sock


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How ``evcare serve`` runs uvicorn (the tests serve their app with the same)."""
    return {
        "log_level": settings.log_level.lower(),
        # Our JSON handler (configure_logging) writes uvicorn's records too.
        "log_config": None,
        "access_log": False,
        # No "server: uvicorn": it tells an attacker what to look up.
        "server_header": False,
        "proxy_headers": settings.trust_forwarded_for,
        # WebSocket frames (OCPP, socket.io) are small; refuse huge ones at the protocol level.
        "ws_max_size": 1 << 20,
    }


def _run(settings: Settings, listener: socket.socket) -> None:
    import uvicorn

    bind_host, bind_port = listener.getsockname()[:2]
    console.print(
        f"[bold green]EVCare listening on http://{bind_host}:{bind_port}[/]\n"
        f"  EV-CMS  http://{bind_host}:{bind_port}/api/v1/docs\n"
        f"  RevCare http://{bind_host}:{bind_port}/docs\n"
        f"  Hub     http://{bind_host}:{bind_port}/v1/docs\n"
        f"  database {_safe_url(settings)}"
    )
    configure_logging(settings.log_level)
    config = uvicorn.Config("evcare.app:create_app", factory=True, **uvicorn_options(settings))
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[listener])


def _load_demo(settings: Settings) -> None:
    asyncio.run(_upgrade(settings))
    created = asyncio.run(_demo(settings))
    console.print(f"demo data: {len(created)} record(s) created" if created else "demo present")
    _print_logins()


def _print_logins() -> None:
    table = Table(title="Demo logins (password for all: " + DEMO_LOGINS[0].password + ")")
    table.add_column("role")
    table.add_column("email")
    table.add_column("phone (RevCare username)")
    for login in DEMO_LOGINS:
        table.add_row(login.role, login.email, login.phone)
    console.print(table)
    demo = DEMO_INTEGRATION
    console.print(
        "Demo partner integration (docs/developer-hub/01-quickstart.md):\n"
        f"  export INTEGRATION_ID={demo.integration_id}"
        f" CLIENT_ID={demo.client_id} CLIENT_SECRET={demo.client_secret}",
        highlight=False,
        soft_wrap=True,  # one line, so it pastes into a shell as it is
    )


def _safe_url(settings: Settings) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("EVCARE_ENVIRONMENT", "development")
    app()
