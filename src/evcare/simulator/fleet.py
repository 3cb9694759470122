"""Many simulated chargers at once, with a live table in the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from evcare.simulator.charger import PROTOCOLS, SimulatedCharger, Timing

STATE_STYLE = {
    "charging": "bold green",
    "preparing": "yellow",
    "finishing": "yellow",
    "available": "cyan",
    "connecting": "dim",
    "offline": "red",
    "rebooting": "magenta",
    "unavailable": "red",
}


@dataclass(frozen=True)
class FleetPlan:
    url: str
    count: int
    prefix: str
    password: str | None
    protocol: str  # "1.6", "2.0.1" or "mixed"
    id_tag: str
    timing: Timing
    sessions: int | None = None
    seed: int | None = None

    def charge_point_id(self, index: int) -> str:
        return f"{self.prefix}{index:03d}"

    def protocol_of(self, index: int) -> str:
        if self.protocol == "mixed":
            return PROTOCOLS[(index - 1) % len(PROTOCOLS)]
        return self.protocol


def build_fleet(plan: FleetPlan) -> list[SimulatedCharger]:
    rng = random.Random(plan.seed)  # noqa: S311 - a simulation, not security
    return [
        SimulatedCharger(
            url=plan.url,
            charge_point_id=plan.charge_point_id(index),
            password=plan.password,
            protocol=plan.protocol_of(index),
            id_tag=plan.id_tag,
            timing=plan.timing,
            max_power_kw=rng.choice((7.4, 22.0, 50.0, 60.0)),
            sessions=plan.sessions,
            rng=random.Random(rng.random()),  # noqa: S311
        )
        for index in range(1, plan.count + 1)
    ]


async def run_fleet(
    chargers: list[SimulatedCharger], *, console: Console | None = None, duration: float | None
) -> None:
    """Run every charger until each has done its sessions, ``duration`` ends, or Ctrl-C."""
    tasks = [asyncio.create_task(charger.run()) for charger in chargers]
    everything = asyncio.gather(*tasks)
    try:
        if console is None:
            await asyncio.wait_for(everything, timeout=duration)
            return
        with Live(render(chargers), console=console, refresh_per_second=2) as live:
            while not everything.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(everything), timeout=0.5)
                live.update(render(chargers))
                if duration is not None:
                    duration -= 0.5
                    if duration <= 0:
                        break
            live.update(render(chargers))
    except TimeoutError:
        pass
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await everything


def render(chargers: list[SimulatedCharger]) -> Group:
    table = Table(title="EVCare charger simulator", expand=False)
    table.add_column("charger", no_wrap=True)
    table.add_column("OCPP", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("tx", overflow="ellipsis", max_width=12)
    for column in ("kW", "kWh", "SoC", "done", "msgs"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("problem", overflow="fold", max_width=40)
    shown = chargers[:40]
    for charger in shown:
        state = charger.state
        table.add_row(
            state.charge_point_id,
            state.protocol,
            Text(state.state, style=STATE_STYLE.get(state.state, "")),
            state.transaction or "-",
            f"{state.power_w / 1000:.1f}",
            f"{state.energy_wh / 1000:.2f}",
            f"{state.soc}%" if state.soc is not None and state.transaction else "-",
            str(state.sessions_done),
            str(state.messages),
            state.last_error or "",
        )
    charging = sum(1 for c in chargers if c.state.state == "charging")
    done = sum(c.state.sessions_done for c in chargers)
    power = sum(c.state.power_w for c in chargers) / 1000
    footer = Text(
        f"{len(chargers)} chargers, {charging} charging, {power:.1f} kW now, "
        f"{done} sessions completed"
        + (f" (table shows the first {len(shown)})" if len(shown) < len(chargers) else "")
        + "  -  Ctrl-C to stop",
        style="bold",
    )
    return Group(table, footer)
