"""Simulator → OPC-UA/Modbus → connectors → records: readings, alarms, running hours."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from channels.app.settings import Settings
from channels.cli.connectors import build_runtime
from connectors import ConnectorsSettings, VesselSimulator, load_config, load_register
from records import (
    ALL_TENANTS,
    Database,
    PendingAction,
    Reading,
    Role,
    migrate,
    register,
    register_import,
    system_caller,
)

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


def test_simulated_vessel_flows_into_records(tmp_path: Path) -> None:
    reg = tmp_path / "register.yaml"
    reg.write_text(REGISTER)
    url = f"sqlite:///{tmp_path / 'bosun.db'}"
    migrate(url)
    db = Database.from_url(url)
    spec = register_import.load_file(reg)
    with db.transaction(ALL_TENANTS) as s:
        org_id = register_import.resolve_organization(s, "Wired Co").id
    with db.transaction(org_id) as s:
        report = register_import.import_register(s, spec)
    tuning = ConnectorsSettings(home=tmp_path, flush_interval_s=0.1, running_hours_interval_s=0)

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
            await asyncio.sleep(3)
            sim.inject_fault("ME1_EXH_T", "breach", duration_s=30)
            await asyncio.sleep(4)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            await sim.stop()

    asyncio.run(scenario())
    caller = system_caller(org_id)
    with db.transaction(org_id) as s:
        sensors = register.sensors_by_tag(s, caller, report.vessel_id)
        counts = {
            tag: s.scalar(
                select(func.count()).select_from(Reading).where(Reading.sensor_id == sensor.id)
            )
            for tag, sensor in sensors.items()
        }
        assert all(counts.values()) and counts["ME1_EXH_T"] > 3, counts
        actions = s.scalars(select(PendingAction).where(PendingAction.org_id == org_id)).all()
        exhaust = [a for a in actions if "Exhaust" in a.arguments["title"]]
        assert len(exhaust) == 1, [a.summary for a in actions]
        assert exhaust[0].kind == "report_fault"
        assert exhaust[0].addressed_to_role is Role.officer
        me1 = register.get_equipment_by_code(s, caller, report.vessel_id, "601.1")
        assert me1.running_hours > 0
    db.dispose()


@pytest.mark.parametrize("text", ["180d", "12h", "30m"])
def test_durations_parse(text: str) -> None:
    from channels.cli.connectors import parse_days

    assert parse_days(text) in (180, 0.5, 30 / 1440)
