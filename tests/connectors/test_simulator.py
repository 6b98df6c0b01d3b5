from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors import (
    ConnectorRuntime,
    ConnectorsSettings,
    SensorSpec,
    StaticCatalog,
    VesselSimulator,
    check_connectors,
    load_config,
    load_register,
    serve_simulator,
    simulate_history,
)

from .helpers import MemorySink, wait_until

pytestmark = pytest.mark.slow(reason="runs the vessel simulator's servers")

REGISTER = """\
vessel: {name: MV Test, imo: "9700099", type: PSV}
equipment:
  - code: "601"
    name: Main engines
    children:
      - code: "601.1"
        name: Main engine No. 1
        class: main_engine
        criticality: critical
        sensors:
          - {tag: ME1_EXH_T, name: Exhaust gas temperature, unit: degC, high: 480}
          - {tag: ME1_LO_P, name: Lube oil pressure, unit: bar, low: 3.5}
          - {tag: ME1_RH, name: Running hours, unit: h, counter: running_hours}
      - code: "601.2"
        name: Main engine No. 2
        class: main_engine
        sensors:
          - {tag: ME2_EXH_T, name: Exhaust gas temperature, unit: degC, high: 480}
          - {tag: ME2_RH, name: Running hours, unit: h, counter: running_hours}
  - code: "721"
    name: Cooling
    children:
      - code: "721.1"
        name: SW cooling pump No. 1
        class: pump
        sensors:
          - {tag: SWP1_P, name: Discharge pressure, unit: bar, low: 1.5, high: 4.0}
          - {tag: SWP1_VIB, name: Vibration, unit: mm/s}
"""


@pytest.fixture
def register_file(tmp_path: Path) -> Path:
    f = tmp_path / "register.yaml"
    f.write_text(REGISTER)
    return f


def catalog_of(path: Path) -> StaticCatalog:
    reg = load_register(path)
    return StaticCatalog(
        SensorSpec(s.tag, s.unit, s.low, s.high, s.counter, s.name) for s in reg.sensors
    )


async def test_serve_writes_config_that_checks_clean(register_file: Path, tmp_path: Path) -> None:
    ready = asyncio.Event()
    sims: list[VesselSimulator] = []
    out = tmp_path / "connectors.yaml"
    task = asyncio.create_task(
        serve_simulator(
            register_file,
            out,
            0,
            0,
            update_interval_s=0.1,
            degrade_minutes=None,
            on_ready=sims.append,
            ready=ready,
        )
    )
    try:
        await asyncio.wait_for(ready.wait(), 15)
        sim = sims[0]
        assert sim.info.opcua_tags and sim.info.modbus_tags  # split across both servers
        catalog = catalog_of(register_file)
        cfg = load_config(out, catalog=catalog)
        assert {s.type for s in cfg.sources} == {"opcua", "modbus"}
        report = await check_connectors(cfg, catalog=catalog, timeout_s=5)
        assert not report.failed, report
        rows = {r.tag: r for r in report.rows}
        assert set(rows) == {s.tag for s in load_register(register_file).sensors}
        assert rows["ME1_EXH_T"].unit == "degC"
        for tag, row in rows.items():
            assert row.value is not None
            model = sim.models[tag]
            assert (
                abs(row.value - model.clean(__import__("numpy").array([time.time()]))[0])
                < 6 * model.noise + 0.2
            ), tag
        rh = [r.value for t, r in rows.items() if t.endswith("_RH")]
        assert all(v is not None and v > 1000 for v in rh)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_injected_breach_gives_one_alarm_then_clears(
    register_file: Path, tmp_path: Path, settings: ConnectorsSettings
) -> None:
    sim = VesselSimulator(
        load_register(register_file),
        opcua_port=0,
        modbus_port=0,
        update_interval_s=0.05,
        degrade_minutes=None,
    )
    await sim.start()
    out = tmp_path / "c.yaml"
    out.write_text(sim.connectors_yaml(publishing_interval_ms=50, poll_interval_ms=50))
    catalog = catalog_of(register_file)
    events: list[object] = []

    class Alarms:
        async def handle(self, event: object) -> None:
            events.append(event)

    hours: dict[str, float] = {}

    async def running_hours(tag: str, value: float, at: datetime) -> None:
        hours[tag] = value

    sink = MemorySink()
    runtime = ConnectorRuntime(
        load_config(out, catalog=catalog),
        sink,
        settings=settings,
        catalog=catalog,
        alarms=Alarms(),
        running_hours=running_hours,
    )
    await runtime.start()
    try:
        await wait_until(lambda: all(h.connected and h.reads > 0 for h in runtime.health()))
        tag = "ME1_EXH_T"
        sim.inject_fault(tag, "breach", duration_s=1.0)
        await wait_until(lambda: any(e.state == "cleared" for e in events), timeout=8)  # type: ignore[attr-defined]
        mine = [(e.tag, e.state) for e in events]  # type: ignore[attr-defined]
        assert mine == [(tag, "raised"), (tag, "cleared")]
        assert sum(1 for v in sink.values(tag) if v > 480) > 3  # many samples above, one alarm
        assert set(hours) == {"ME1_RH", "ME2_RH"}
    finally:
        await runtime.stop()
        await sim.stop()


def test_backfill_is_deterministic_and_ends_degradations_in_faults(register_file: Path) -> None:
    reg = load_register(register_file)
    end = datetime(2026, 6, 1, tzinfo=UTC)
    h1 = simulate_history(
        reg,
        days=180,
        step=timedelta(minutes=10),
        seed=7,
        end=end,
        mean_days_between_degradations=60,
    )
    batches = list(h1.readings(batch_size=20_000))
    n = sum(len(b) for b in batches)
    assert n == h1.reading_count == 180 * 144 * len(reg.sensors)
    h2 = simulate_history(
        reg,
        days=180,
        step=timedelta(minutes=10),
        seed=7,
        end=end,
        mean_days_between_degradations=60,
    )
    assert h1.faults == h2.faults
    assert [r.value for r in next(h2.readings(batch_size=20_000))[:50]] == [
        r.value for r in batches[0][:50]
    ]
    assert h1.faults, "degradations must end in faults"
    by_tag = {s.tag: s for s in reg.sensors}
    for f in h1.faults:
        s = by_tag[f.tag]
        assert f.equipment_code == s.equipment_code
        assert f.value > s.high if s.high is not None else f.value < (s.low or 0)
        assert end - timedelta(days=180) <= f.time < end < f.repaired_at or f.time < f.repaired_at
    # Counters only go up; readings before a fault show the drift toward the limit.
    rh = [r.value for b in batches for r in b if r.tag == "ME1_RH"]
    assert rh == sorted(rh)
    f = h1.faults[0]
    series = [(r.time, r.value) for b in batches for r in b if r.tag == f.tag]
    before = [v for t, v in series if f.time - timedelta(days=1) <= t < f.time]
    long_before = [
        v for t, v in series if f.time - timedelta(days=40) <= t < f.time - timedelta(days=30)
    ]
    if long_before:
        if by_tag[f.tag].high is not None:
            assert sum(before) / len(before) > sum(long_before) / len(long_before)
        else:
            assert sum(before) / len(before) < sum(long_before) / len(long_before)
    assert (
        simulate_history(reg, days=180, seed=8, end=end, mean_days_between_degradations=60).faults
        != h1.faults
    )
