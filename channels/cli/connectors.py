"""``bosun connectors check|run`` and ``bosun simulate``."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from channels.cli.console import err, fail, out
from channels.cli.context import OrganizationOption

if TYPE_CHECKING:
    from channels.app.settings import Settings
    from connectors import (
        ConnectorRuntime,
        ConnectorsConfig,
        ConnectorsSettings,
        VesselSimulator,
    )
    from records import Database

connectors_app = typer.Typer(no_args_is_help=True, help="Live readings from OPC-UA, Modbus, MQTT.")


def _vessel_of(db: Database, imo: str, organization: str | None = None) -> tuple[int, int] | None:
    """Return (org id, vessel id) of the vessel with this IMO, if it is in the database."""
    from records import BosunError

    try:
        return _find_vessel(db, imo, organization)
    except BosunError:
        return None


def _find_vessel(db: Database, imo: str, organization: str | None) -> tuple[int, int]:
    """Return (org id, vessel id) of the organization's vessel with this IMO, else raise."""
    from records import ALL_TENANTS, register_import

    with db.transaction(ALL_TENANTS) as s:
        vessel_id, org_id = register_import.vessel_in_organization(s, imo, organization)
    return org_id, vessel_id


def connectors_settings(settings: Settings) -> ConnectorsSettings:
    """Connectors settings rooted at the same home as everything else."""
    from connectors import ConnectorsSettings

    return ConnectorsSettings(home=settings.home)


@connectors_app.command("check")
def check(
    config: Annotated[Path, typer.Argument(help="connectors.yaml to test")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each source.")] = 10.0,
) -> None:
    """Connect to every source and read each tag once; store nothing. Non-zero if any failed."""
    from rich.table import Table

    from channels.app.runtime import open_bosun
    from channels.app.settings import Settings
    from channels.services.connectors_wiring import VesselSensors
    from connectors import ConfigError, StaticCatalog, check_connectors, load_config

    try:
        parsed = load_config(config)
    except ConfigError as error:
        raise fail(str(error)) from error
    settings = Settings()
    catalog: StaticCatalog | None = None
    database_present = not settings.is_embedded or (settings.home / "bosun.db").exists()
    if database_present:
        bosun = open_bosun(settings)
        found = _vessel_of(bosun.db, parsed.vessel, parsed.organization)
        if found is not None:
            catalog = VesselSensors(bosun.db, *found).catalog()
            try:
                parsed = load_config(config, catalog=catalog)
            except ConfigError as error:
                raise fail(str(error)) from error
        bosun.db.dispose()
    report = asyncio.run(check_connectors(parsed, catalog=catalog, timeout_s=timeout))
    table = Table(title=f"{config.name}: one read of every tag (nothing stored)")
    for column in ("source", "tag", "value", "unit", "status"):
        table.add_column(column)
    for row in report.rows:
        value = "" if row.value is None else f"{row.value:g}"
        table.add_row(row.source, row.tag, value, row.unit or "", row.status)
    out.print(table)
    if catalog is None:
        out.print(
            f"vessel {parsed.vessel} is not in the database: tags were not checked "
            "against the register"
        )
    if report.failed:
        raise fail("some sources or tags failed (see the status column)")
    out.print("all sources and tags answered")


def build_runtime(
    settings: Settings,
    db: Database,
    config: ConnectorsConfig,
    tuning: ConnectorsSettings | None = None,
) -> tuple[ConnectorRuntime, object]:
    """Build the runtime for a config whose vessel is in the database."""
    from channels.services.connectors_wiring import (
        AlarmsToFaults,
        RecordsSink,
        VesselSensors,
        running_hours_hook,
    )
    from connectors import ConfigError, ConnectorRuntime
    from records import BosunError, ErrorCode

    try:
        found = _find_vessel(db, config.vessel, config.organization)
    except BosunError as error:
        hint = (
            "; import its register first (bosun import register FILE)"
            if error.code is ErrorCode.not_found
            else ""
        )
        raise ConfigError(str(config.vessel), [f"{error.message}{hint}"]) from error
    sensors = VesselSensors(db, *found)
    runtime = ConnectorRuntime(
        config,
        RecordsSink(sensors),
        settings=connectors_settings(settings),
        catalog=sensors.catalog(),
        alarms=AlarmsToFaults(sensors),
        running_hours=running_hours_hook(sensors),  # type: ignore[arg-type]
    )
    return runtime, sensors


@connectors_app.command("run")
def run(config: Annotated[Path, typer.Argument(help="connectors.yaml")]) -> None:
    """Read the configured sources into the database until stopped (Ctrl-C)."""
    from channels.app.runtime import open_bosun
    from channels.app.settings import Settings
    from connectors import ConfigError, load_config

    settings = Settings()
    bosun = open_bosun(settings)
    try:
        parsed = load_config(config)
        runtime, _ = build_runtime(settings, bosun.db, parsed)
    except ConfigError as error:
        raise fail(str(error)) from error

    async def main() -> None:
        task = asyncio.create_task(runtime.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        out.print(f"reading {len(parsed.sources)} source(s) into the database; Ctrl-C stops")
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
    for health in runtime.health():
        out.print(
            f"{health.name}: {health.reads} reads, {health.errors} errors, "
            f"{health.reconnects} reconnects, buffer {health.buffer_depth}"
        )


def parse_days(text: str) -> float:
    """Parse a duration like ``180d``, ``12h`` or ``30m`` into days."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhm])\s*", text)
    if not match:
        raise typer.BadParameter(f"{text!r}: give a duration like 180d, 12h or 30m")
    value, unit = float(match[1]), match[2]
    return value / {"d": 1, "h": 24, "m": 1440}[unit]


def simulate(
    register: Annotated[Path, typer.Option(help="Register YAML whose sensors to simulate.")],
    connectors_out: Annotated[
        Path | None, typer.Option(help="Where to write the matching connectors.yaml.")
    ] = None,
    opcua_port: Annotated[int, typer.Option(help="OPC-UA port (0: pick a free one).")] = 4840,
    modbus_port: Annotated[int, typer.Option(help="Modbus TCP port (0: pick a free one).")] = 5020,
    backfill: Annotated[
        str | None,
        typer.Option(
            help="Instead of serving, write this much history (e.g. 180d) into the "
            "database of the imported register's vessel."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same signals).")] = 0,
    organization: OrganizationOption = None,
) -> None:
    """Serve a register's sensors over OPC-UA and Modbus TCP on 127.0.0.1, or backfill history."""
    from connectors import serve_simulator

    if backfill is not None:
        backfill_history(register, parse_days(backfill), seed=seed, organization=organization)
        return

    def ready(sim: VesselSimulator) -> None:
        info = sim.info
        err.print(
            f"OPC-UA {info.opcua_endpoint} ({len(info.opcua_tags)} tags), Modbus TCP "
            f"127.0.0.1:{info.modbus_port} ({len(info.modbus_tags)} registers)"
            + (f"; connectors config in {info.connectors_path}" if info.connectors_path else "")
        )
        print("ready", flush=True)

    async def main() -> None:
        task = asyncio.create_task(
            serve_simulator(
                register, connectors_out, opcua_port, modbus_port, seed=seed, on_ready=ready
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())


def backfill_history(
    register: Path, days: float, *, seed: int = 0, organization: str | None = None
) -> None:
    """Write simulated readings and the faults they end in into the vessel's database."""
    from rich.progress import Progress

    from channels.app.runtime import open_bosun
    from channels.app.settings import Settings
    from channels.demo.history import write_history
    from connectors import load_register, simulate_history

    settings = Settings()
    bosun = open_bosun(settings)
    sim_register = load_register(register)
    history = simulate_history(sim_register, days=days, seed=seed)
    found = _vessel_of(bosun.db, sim_register.imo, organization)
    if found is None:
        raise fail(
            f"vessel {sim_register.imo} is not in the database; import the register "
            f"first: bosun import register {register}"
        )
    with Progress(console=err) as progress:
        written = write_history(bosun.db, *found, history, progress=progress)
    out.print(
        f"backfilled {days:g} days: {written.readings:,} readings, "
        f"{written.faults} faults (step {timedelta(seconds=history.step_s)})"
    )
