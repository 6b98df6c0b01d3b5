"""The live demo's first-start steps on a temporary home, in process, end to end.

Backfilled readings, the demo model trained and active, the simulator on free ports read by
the real connectors into records, Main engine No. 1's lube oil pressure falling past its
limit, the alarm proposing a fault, the risk rising, and the assistant saying so.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from assistant import Assistant, AssistantSettings
from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.demo.live import (
    DEGRADING_CODE,
    DEGRADING_TAG,
    DEMO_CLASS,
    LiveDemo,
    backfill_readings,
    precursor_sensor,
    train_model,
)
from channels.demo.seed import seed_demo
from channels.services.connectors import start_connectors
from channels.services.predictors import score_vessel, wire_scoring
from records import (
    PendingAction,
    Reading,
    Role,
    User,
    model_registry,
    register,
    system_caller,
    users,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.slow  # about 40-60 s on two busy cores: seeding, backfill, training


def _ephemeral_range() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except OSError:
        return range(1024, 65536)


@pytest.fixture
def bosun(tmp_path: Path) -> Iterator[Bosun]:
    running = open_bosun(Settings(home=tmp_path / "home"))
    yield running
    running.close()  # connectors, then the simulator, then the jobs and the database


def test_precursor_sensor_matches_crew_wording() -> None:
    me1 = [
        ("ME1_EXH_T", "Exhaust gas temperature after turbocharger"),
        ("ME1_LO_P", "Lube oil pressure"),
        ("ME1_LO_T", "Lube oil temperature inlet"),
        ("ME1_HT_T", "HT cooling water temperature outlet"),
    ]
    assert precursor_sensor("ME1 LO pressure dropping", me1) == "ME1_LO_P"
    assert precursor_sensor("ME1 HT water temp creeping up", me1) == "ME1_HT_T"
    assert precursor_sensor("ME1 exhaust temp high on one unit", me1) == "ME1_EXH_T"
    assert precursor_sensor("ME1 governor hunting", me1) is None


def test_live_demo_first_start(bosun: Bosun) -> None:
    seeded = seed_demo(bosun.db)
    steps: list[str] = []
    started = time.monotonic()
    backfill_readings(bosun, steps.append)
    train_model(bosun, steps.append)
    first_start_s = time.monotonic() - started
    caller = system_caller(seeded.org_id, "test")

    # A model of the degrading equipment's class is active, trained on a history with both
    # healthy and failing days, and Main engine No. 1 has a first prediction.
    with bosun.db.transaction(caller) as s:
        active = model_registry.active_model(s, caller, DEMO_CLASS)
        assert active is not None, steps
        assert 0 < active.metrics["n_positive"] < active.metrics["n"], active.metrics
        me1 = register.get_equipment_by_code(s, caller, seeded.vessel_id, DEGRADING_CODE)
        before = model_registry.latest_prediction(s, caller, me1.id)
        assert before is not None and before.factors
        sensor = register.sensors_by_tag(s, caller, seeded.vessel_id)[DEGRADING_TAG]
        backfilled = s.scalars(select(Reading).where(Reading.sensor_id == sensor.id)).all()
        assert len(backfilled) > 24 * 150, "months of hourly readings"
        history_end = max(r.time for r in backfilled)
    assert any("readings backfilled" in text for text in steps), steps

    wire_scoring(bosun)
    bosun.runner.start()
    live = LiveDemo(degrade_minutes=0.25, interval_ms=300, score_every_s=3600)
    live.start(bosun, steps.append)
    simulator = bosun.simulator
    assert simulator is not None
    ports = (simulator.opcua_port, simulator.modbus_port)
    assert not {4840, 5020} & set(ports) and all(p in _ephemeral_range() for p in ports)
    for port in ports:  # they listen now
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    config = yaml.safe_load((bosun.settings.home / "connectors.yaml").read_text())
    assert config["vessel"] == "9700001"
    assert {source["type"] for source in config["sources"]} == {"opcua", "modbus"}
    assert f":{simulator.opcua_port}/" in config["sources"][0]["endpoint"]
    connectors = start_connectors(bosun)
    assert connectors is not None

    live_values: list[float] = []

    def alarm_raised() -> PendingAction | None:
        with bosun.db.transaction(caller) as s:
            live_values[:] = [
                r.value
                for r in s.scalars(
                    select(Reading)
                    .where(Reading.sensor_id == sensor.id, Reading.time > history_end)
                    .order_by(Reading.time)
                )
            ]
            found = next(
                (
                    a
                    for a in s.scalars(select(PendingAction))
                    if a.kind == "report_fault" and a.arguments["equipment_id"] == me1.id
                ),
                None,
            )
            if found is not None:
                s.expunge(found)
            return found

    alarm = wait_until(
        alarm_raised,
        timeout=40,
        step=1.0,
        what=lambda: f"an alarm; lube oil pressure read {live_values[-5:]}",
    )
    assert len(live_values) >= 5, "live readings arrive through the connectors"
    assert live_values[-1] < live_values[0] - 0.5, live_values
    assert alarm is not None, f"no alarm; lube oil pressure read {live_values[-5:]}"
    assert "Lube oil pressure below its low limit" in alarm.arguments["title"]
    assert alarm.addressed_to_role is Role.officer

    # Re-scored on the live readings: the risk rises, with lube oil pressure a main factor.
    assert score_vessel(bosun, caller, seeded.vessel_id) >= 1
    with bosun.db.transaction(caller) as s:
        after = model_registry.latest_prediction(s, caller, me1.id)
        assert after is not None and after.as_of > before.as_of
        assert after.risk > before.risk, (before.risk, after.risk)
        assert any("lube_oil_pressure" in str(f.get("feature")) for f in after.factors), (
            after.factors
        )
        s.expunge(after)
    with bosun.db.transaction(caller) as s:
        me2 = register.get_equipment_by_code(s, caller, seeded.vessel_id, "601.2")
        healthy = model_registry.latest_prediction(s, caller, me2.id)
        assert healthy is not None and healthy.risk < after.risk, (healthy.risk, after.risk)
        chief = s.scalar(select(User).where(User.role == Role.chief_engineer))
        assert chief is not None
        crew_caller = users.caller_for(chief, "test")
    assistant = Assistant(settings=AssistantSettings(chat_model="offline"))
    with bosun.db.transaction(crew_caller) as s:
        turn = assistant.turn(s, crew_caller, "how is ME1 doing?", vessel_id=seeded.vessel_id)
    reply = turn.reply
    assert "Main engine No. 1" in reply, reply
    assert "Predicted failure risk" in reply and "main factors" in reply, reply
    assert "ube oil pressure" in reply.split("main factors", 1)[1], reply
    assert "below low limit" in reply, reply
    print(f"first-start demo steps {first_start_s:.1f} s; metrics {active.metrics}")
    print(f"ME1 risk {before.risk:.2f} -> {after.risk:.2f}, ME2 {healthy.risk:.2f}; {reply}")
