"""Running hours, one truth: register, backfilled counter readings and live counters agree."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from channels.demo.history import write_history
from channels.demo.seed import counter_points, seed_demo
from channels.services.connectors_wiring import VesselSensors, running_hours_hook
from connectors import SignalModel, load_register, simulate_history
from connectors.simulator.register import SimRegister
from records import (
    ALL_TENANTS,
    AuditLog,
    Database,
    Equipment,
    MaintenancePlan,
    Role,
    Sensor,
    Vessel,
    migrate,
    readings,
    register,
    running_hours,
    system_caller,
)
from records.demo import register_path
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def test_pinned_counter_follows_points_then_runs_at_duty() -> None:
    sim = load_register(register_path())
    sensor = next(s for s in sim.sensors if s.tag == "BT2_RH")
    t0 = datetime(2026, 6, 1, tzinfo=UTC).timestamp()
    points = [(t0, 13_000.0), (t0 + 86_400, 13_010.0), (t0 + 2 * 86_400, 13_010.0)]
    model = SignalModel(sensor, 7, points)
    at = np.array([t0, t0 + 43_200, t0 + 86_400, t0 + 2 * 86_400, t0 + 2 * 86_400 + 36_000])
    values = model.clean(at)
    assert list(values[:4]) == [13_000.0, 13_005.0, 13_010.0, 13_010.0]
    assert values[4] == pytest.approx(13_010.0 + 10 * model.duty)
    assert model.clean(np.array([t0 - 3_600.0]))[0] == pytest.approx(13_000.0 - model.duty)
    free = SignalModel(sensor, 7)  # unpinned: its own start, as before
    assert abs(free.clean(np.array([t0]))[0] - 13_000.0) > 1.0


def test_hook_lets_a_lower_counter_win(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    chief = tenant[Role.chief_engineer]
    now = datetime.now(UTC)
    with db.transaction(chief) as s:
        me1 = register.get_equipment(s, chief, eq["601.1"])
        register.set_running_hours(s, chief, me1, 32_277.0, now - timedelta(hours=2))
    hook: Callable[[str, float, datetime], Any] = running_hours_hook(  # type: ignore[assignment]
        VesselSensors(db, tenant.org_id, tenant.vessel_id)
    )
    asyncio.run(hook("ME1_RH", 13_638.4, now))
    with db.transaction(chief) as s:
        me1 = register.get_equipment(s, chief, eq["601.1"])
        assert me1.running_hours == pytest.approx(13_638.4)
        row = s.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "equipment", AuditLog.entity_id == me1.id)
            .order_by(AuditLog.id.desc())
        ).first()
        assert row is not None and row.channel == "connector"
        assert row.before is not None and row.before["running_hours"] == 32_277.0
    asyncio.run(hook("ME1_RH", 13_640.0, now + timedelta(minutes=1)))
    with db.transaction(chief) as s:
        assert register.get_equipment(s, chief, eq["601.1"]).running_hours == 13_640.0


def test_demo_register_backfill_and_counters_start_from_the_same_hours(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bosun.db'}"
    migrate(url)
    db = Database.from_url(url)
    try:
        seed_demo(db, progress=lambda _m: None)
        points = counter_points(db)
        with db.transaction(ALL_TENANTS) as s:
            vessel = s.scalars(select(Vessel)).one()
            org_id, vessel_id = vessel.org_id, vessel.id
            rows = s.execute(
                select(Sensor.tag, Equipment.running_hours, Equipment.running_hours_at)
                .join(Equipment, Equipment.id == Sensor.equipment_id)
                .where(Sensor.counter == "running_hours")
            ).all()
        register_hours = {tag: (hours, at) for tag, hours, at in rows}
        with db.transaction(ALL_TENANTS) as s:
            # Hour-based plans on parts (a turbocharger, a gearbox) count their owner's hours.
            hourly = s.scalars(
                select(MaintenancePlan).where(MaintenancePlan.every_hours.is_not(None))
            ).all()
            assert hourly and all((p.last_done_hours or 0) > 1_000 for p in hourly)
        assert len(points) == len(register_hours) == 20
        for tag, (hours, at) in register_hours.items():
            assert points[tag][-1] == (at.timestamp(), hours)  # the register is the history's end
        # Spoil one figure the way the old demo had it (BT2: register far above its counter).
        with db.transaction(org_id) as s:
            system = system_caller(org_id)
            bt2_id = s.scalars(
                select(Sensor.equipment_id).where(
                    Sensor.tag == "BT2_RH", Sensor.vessel_id == vessel_id
                )
            ).one()
            bt2 = register.get_equipment(s, system, bt2_id)
            true_hours = bt2.running_hours
            register.set_running_hours(
                s, system, bt2, 32_277.0, bt2.running_hours_at - timedelta(days=1)
            )
        # Backfill three days of the counters through the simulator, pinned to the history.
        full = load_register(register_path())
        counters_only = SimRegister(
            full.imo, full.vessel_name, [x for x in full.sensors if x.counter]
        )
        sim = simulate_history(
            counters_only, days=3, step=timedelta(hours=1), seed=1, counters=points
        )
        written = write_history(db, org_id, vessel_id, sim)
        assert 1 <= written.hours_set <= 20
        with db.transaction(org_id) as s:
            system = system_caller(org_id)
            sensors = register.sensors_by_tag(s, system, vessel_id)
            for tag in points:
                sensor = sensors[tag]
                latest = readings.latest_readings(s, system, [sensor.id])[sensor.id]
                eq = register.get_equipment(s, system, sensor.equipment_id)
                assert eq.running_hours_at is not None
                if latest.time >= eq.running_hours_at:  # a newer counter reading won
                    assert abs(eq.running_hours - latest.value) < 0.05, tag
                else:  # the register is the history's end, where the counter's curve passes
                    model = SignalModel(
                        next(x for x in full.sensors if x.tag == tag), 1, points[tag]
                    )
                    at = np.array([eq.running_hours_at.timestamp()])
                    assert model.clean(at)[0] == pytest.approx(eq.running_hours), tag
                rh = running_hours.running_hours(s, system, eq.id)
                assert rh.hours == pytest.approx(max(latest.value, eq.running_hours), abs=0.05)
            bt2 = register.get_equipment(s, system, bt2_id)
            assert bt2.running_hours == pytest.approx(true_hours, abs=30)
            audit = s.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "equipment", AuditLog.entity_id == bt2_id)
                .order_by(AuditLog.id.desc())
            ).first()
            assert audit is not None and audit.channel == "simulator"
            assert audit.before is not None and audit.before["running_hours"] == 32_277.0
    finally:
        db.dispose()
