"""Simulator → OPC-UA/Modbus → connectors → records: readings, alarms, running hours."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from channels.app.settings import Settings
from channels.services.connectors_wiring import build_runtime
from connectors import ConnectorsSettings, VesselSimulator, load_config, load_register
from records import (
    Database,
    PendingAction,
    Reading,
    Role,
    migrate,
    register,
    system_caller,
)
from tests import factories
from tests.waiting import wait_until_async

REGISTER = """
vessel: {name: MV Wired, imo: "9800001", type: PSV}
equipment:
  - code: "601"
    name: Main engines
    children:
      - code: "601.1"
        name: Main engine No. 1
        aliases: [ME1]
        class: main_engine
        sensors:
          - {tag: ME1_EXH_T, name: Exhaust gas temperature, unit: degC, low: 200, high: 480}
          - {tag: ME1_LO_P, name: Lube oil pressure, unit: bar, low: 3.5, high: 8}
          - {tag: ME1_RH, name: Running hours, unit: h, counter: running_hours}
      - code: "601.2"
        name: Main engine No. 2
        sensors:
          - {tag: ME2_EXH_T, name: Exhaust gas temperature, unit: degC, low: 200, high: 480}
"""


@pytest.mark.slow(reason="runs the vessel simulator's servers")
def test_simulated_vessel_flows_into_records(tmp_path: Path) -> None:
    reg = tmp_path / "register.yaml"
    reg.write_text(REGISTER)
    url = f"sqlite:///{tmp_path / 'bosun.db'}"
    migrate(url)
    db = Database.from_url(url)
    org_id = factories.organization(db, "Wired Co")
    report = factories.import_register(db, org_id, REGISTER)
    tuning = ConnectorsSettings(home=tmp_path, flush_interval_s=0.1, running_hours_interval_s=0)
    caller = system_caller(org_id)

    def reading_counts() -> dict[str, int]:
        with db.transaction(org_id) as s:
            sensors = register.sensors_by_tag(s, caller, report.vessel_id)
            return {
                tag: s.scalar(
                    select(func.count()).select_from(Reading).where(Reading.sensor_id == sensor.id)
                )
                or 0
                for tag, sensor in sensors.items()
            }

    def exhaust_alarms() -> list[PendingAction]:
        with db.transaction(org_id) as s:
            actions = s.scalars(select(PendingAction).where(PendingAction.org_id == org_id)).all()
            found = [a for a in actions if "Exhaust" in a.arguments["title"]]
            s.expunge_all()
            return found

    def running_hours() -> float:
        with db.transaction(org_id) as s:
            me1 = register.get_equipment_by_code(s, caller, report.vessel_id, "601.1")
            return float(me1.running_hours or 0)

    async def scenario() -> None:
        sim = VesselSimulator(
            load_register(reg),
            opcua_port=0,
            modbus_port=0,
            update_interval_s=0.2,
            degrade_minutes=None,
        )
        await sim.start()
        try:
            config_path = tmp_path / "connectors.yaml"
            config_path.write_text(sim.connectors_yaml())
            runtime, _ = build_runtime(
                Settings(home=tmp_path, database_url=url), db, load_config(config_path), tuning
            )
            task = asyncio.create_task(runtime.run())
            await wait_until_async(
                lambda: all(reading_counts().values()), timeout=60, what="readings of every sensor"
            )
            sim.inject_fault("ME1_EXH_T", "breach", duration_s=30)
            await wait_until_async(
                lambda: (
                    exhaust_alarms() and running_hours() > 0 and reading_counts()["ME1_EXH_T"] > 3
                ),
                timeout=60,
                what="an exhaust alarm, running hours and more exhaust readings on ME1",
            )
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            await sim.stop()

    asyncio.run(scenario())
    counts = reading_counts()
    assert all(counts.values()) and counts["ME1_EXH_T"] > 3, counts
    exhaust = exhaust_alarms()
    assert len(exhaust) == 1, [a.summary for a in exhaust]
    assert exhaust[0].kind == "report_fault"
    assert exhaust[0].addressed_to_role is Role.officer
    assert running_hours() > 0
    db.dispose()


@pytest.mark.parametrize("text", ["180d", "12h", "30m"])
def test_durations_parse(text: str) -> None:
    from channels.cli.connectors import parse_days

    assert parse_days(text) in (180, 0.5, 30 / 1440)
