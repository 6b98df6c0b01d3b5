"""The demo vessel comes alive: backfilled readings, a trained model and a live simulator.

Three first-start steps for ``bosun up`` with the demo (see ``DEMO_LIVE_STEPS``):

1. **Readings**: months of simulated readings for every register sensor. The simulator's
   drifts are not random: each recorded fault whose title names something a sensor measures
   ("ME1 LO pressure dropping") gets a degradation on that sensor that crosses its limit when
   the fault was reported, so readings and fault history tell one story.
2. **Model**: the failure-risk model of the degrading equipment's class is trained on that
   history (failures are high and critical faults; low and medium ones are defects, kept as
   features), registered as the active version, and the vessel is scored.
3. **Live**: the simulator serves the register's sensors over OPC-UA and Modbus TCP on free
   ports, the connectors configuration for them is written to ``BOSUN_HOME/connectors.yaml``
   (``bosun up`` then runs it), and Main engine No. 1's lube oil pressure falls towards and
   past its low limit within minutes, so an alarm proposes a fault and the re-scored risk
   rises. Scoring runs every minute while the simulator serves.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from channels.app.runtime import Bosun
from channels.demo.seed import HISTORY_DAYS, counter_points, demo_vessel
from records import (
    ALL_TENANTS,
    Equipment,
    Priority,
    SystemState,
    model_registry,
    system_caller,
    utcnow,
    vessel_history,
)
from records.demo import register_path

if TYPE_CHECKING:  # the simulator (asyncua, pymodbus) is imported only when the demo runs
    from connectors import Degradation, SignalModel, SimRegister, VesselSimulator

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

DEGRADING_CODE = "601.1"
"""Main engine No. 1 ("ME1", "port main engine"): the equipment that degrades in the demo."""
DEGRADING_TAG = "ME1_LO_P"
"""Its lube oil pressure falls (LO pump wear, clogged automatic filter) past the 3.5 bar limit."""
DEMO_CLASS = "main_engine"
DEMO_HORIZON = "7d"
FAILURE_PRIORITIES = (Priority.high, Priority.critical)
READINGS_STEP = timedelta(hours=1)
SIMULATOR_HEADER = "# Written by the Bosun simulator"
STATE_KEY = "demo_live"
SEED = 0
RAMP_DAYS = (7.0, 14.0)
"""How long a drift takes to reach a recorded fault (days, drawn per fault)."""

_ABBREVIATIONS = {
    "lo": "lube oil",
    "temp": "temperature",
    "temps": "temperature",
    "press": "pressure",
    "jw": "jacket water",
    "hyd": "hydraulic",
}
_IGNORED = {
    "a",
    "alarm",
    "and",
    "creeping",
    "dropping",
    "falling",
    "high",
    "low",
    "on",
    "one",
    "of",
    "the",
    "unit",
    "up",
}
_FALLING = re.compile(r"\b(low|dropping|falling)\b", re.IGNORECASE)


def _words(text: str) -> set[str]:
    out: set[str] = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        out.update(_ABBREVIATIONS.get(word, word).split())
    return out - _IGNORED


def precursor_sensor(title: str, sensors: list[tuple[str, str]]) -> str | None:
    """Return the tag of the one sensor (tag, name) a fault title is about, if any.

    "ME1 LO pressure dropping" is about "Lube oil pressure"; a title must share at least
    two words with the sensor's name, and more than with any other sensor of the unit.
    """
    said = _words(title)
    scored = sorted(((len(said & _words(name)), tag) for tag, name in sensors), reverse=True)
    if not scored or scored[0][0] < 2 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def _drift(model: SignalModel, falling: bool) -> float | None:
    """Return the drift that takes even the most favourable value past the limit."""
    low, high = model.sensor.low, model.sensor.high
    margin = 3 * model.noise
    if (falling or high is None) and low is not None:
        return -((model.base + model.amp) - low + 0.05 * abs(low) + margin)
    if high is not None:
        return (high - (model.base - model.amp)) + 0.05 * abs(high) + margin
    return None


def fault_precursors(
    bosun: Bosun, org_id: int, vessel_id: int, register: SimRegister
) -> dict[str, list[Degradation]]:
    """Return, by tag, the drifts that end in the vessel's recorded faults."""
    from connectors import Degradation, SignalModel

    caller = system_caller(org_id, "simulator")
    with bosun.db.transaction(caller) as s:
        equipment = {e.id: e for e in vessel_history.vessel_equipment(s, caller, vessel_id)}
        faults = [
            (f.id, f.equipment_id, f.title, f.opened_at, f.resolved_at)
            for f in vessel_history.vessel_faults(s, caller, vessel_id)
        ]
    by_code: dict[str, list[tuple[str, str]]] = {}
    for sensor in register.sensors:
        if sensor.counter is None:
            by_code.setdefault(sensor.equipment_code, []).append((sensor.tag, sensor.name))
    models = {s.tag: SignalModel(s, SEED) for s in register.sensors}
    out: dict[str, list[Degradation]] = {}
    for fault_id, equipment_id, title, opened, resolved in faults:
        item: Equipment | None = equipment.get(equipment_id)
        while item is not None and item.code not in by_code:  # a pump's fault: its engine's
            item = equipment.get(item.parent_id) if item.parent_id else None
        if item is None:
            continue
        tag = precursor_sensor(title, by_code[item.code])
        if tag is None:
            continue
        size = _drift(models[tag], bool(_FALLING.search(title)))
        if size is None:
            continue
        rng = random.Random(f"precursor:{fault_id}")
        at = opened.timestamp()
        repair = (resolved or opened + timedelta(days=1)).timestamp()
        start = at - rng.uniform(*RAMP_DAYS) * 86_400
        out.setdefault(tag, []).append(Degradation(tag, start, at, max(repair, at + 3600), size))
    return out


def _state(bosun: Bosun) -> dict[str, object]:
    with bosun.db.transaction(ALL_TENANTS) as s:
        row = s.get(SystemState, STATE_KEY)
        return dict(row.value) if row else {}


def _mark(bosun: Bosun, step: str, **extra: object) -> None:
    with bosun.db.transaction(ALL_TENANTS) as s:
        row = s.get(SystemState, STATE_KEY)
        if row is None:
            row = SystemState(key=STATE_KEY, value={})
            s.add(row)
        row.value = {**row.value, step: {"at": utcnow().isoformat(), **extra}}


def backfill_readings(bosun: Bosun, progress: Progress, *, end: datetime | None = None) -> None:
    """Write months of simulated readings for the demo vessel, once.

    The readings end at ``end``: now for ``bosun up`` (the live simulator carries on from
    there); an evaluation passes one fixed instant (``history_end``, the seeded history's
    midnight) so that a home seeded twice on one day holds the same readings.
    """
    from channels.demo.history import write_history
    from connectors import load_register, simulate_history

    found = demo_vessel(bosun.db)
    if found is None or "readings" in _state(bosun):
        return
    org_id, vessel_id = found
    register = load_register(register_path())
    progress(f"demo: simulating {HISTORY_DAYS} days of readings of {len(register.sensors)} sensors")
    history = simulate_history(
        register,
        days=HISTORY_DAYS,
        step=READINGS_STEP,
        seed=SEED,
        end=end,
        mean_days_between_degradations=0,  # every drift ends in a recorded fault
        degradations=fault_precursors(bosun, org_id, vessel_id, register),
        counters=counter_points(bosun.db),  # counters start from the register's hours
    )
    written = write_history(bosun.db, org_id, vessel_id, history)
    _mark(bosun, "readings", count=written.readings, end=history.end.isoformat())
    progress(f"demo: {written.readings:,} readings backfilled")


def train_model(bosun: Bosun, progress: Progress) -> None:
    """Train the degrading equipment's class on the demo history (once) and score the vessel."""
    from channels.services.predictors import score_vessel, train_class

    found = demo_vessel(bosun.db)
    if found is None:
        return
    org_id, vessel_id = found
    caller = system_caller(org_id, "demo")
    with bosun.db.transaction(caller) as s:
        active = model_registry.active_model(s, caller, DEMO_CLASS)
    if active is None:
        progress(f"predictors: training the {DEMO_CLASS} failure-risk model on the demo history")
        outcome = train_class(
            bosun,
            caller,
            vessel_id,
            DEMO_CLASS,
            horizon=DEMO_HORIZON,
            progress=False,
            failure_priorities=FAILURE_PRIORITIES,
        )
        if outcome.problem:
            progress(f"predictors: no {DEMO_CLASS} model: {outcome.problem}")
            return
        metrics = outcome.metrics or {}
        shown = ", ".join(
            f"{k} {metrics[k]:.2f}" for k in ("pr_auc", "roc_auc", "f1") if k in metrics
        )
        progress(f"predictors: {DEMO_CLASS} model v{outcome.version} active ({shown})")
    scored = score_vessel(bosun, caller, vessel_id)
    progress(f"predictors: {scored} equipment scored")


class SimulatorThread:
    """The demo simulator on its own event loop; `stop()` shuts its servers down."""

    def __init__(self, simulator: VesselSimulator) -> None:
        self.simulator = simulator
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bosun-simulator", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        try:
            await self.simulator.start()
        except BaseException as err:  # reported to start() in the calling thread
            self._error = err
            self._started.set()
            return
        self._started.set()
        try:
            await self._stopped.wait()
        finally:
            await self.simulator.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Start the servers and wait until they listen."""
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("the demo simulator did not start")
        if self._error is not None:
            raise RuntimeError(f"the demo simulator failed to start: {self._error}")

    def stop(self) -> None:
        """Stop the servers."""
        if self._stopped is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout=15)


@dataclass
class LiveDemo:
    """How the live demo runs (the defaults are the product's; tests make it faster)."""

    degrade_minutes: float = 6.0
    interval_ms: int = 5000
    score_every_s: float = 60.0
    degrade_tags: list[str] = field(default_factory=lambda: [DEGRADING_TAG])

    def config_path(self, bosun: Bosun) -> Path | None:
        """Return where to write the simulator's connectors.yaml (None: the user has one)."""
        if bosun.settings.connectors_config is not None:
            return None
        path = bosun.settings.home / "connectors.yaml"
        if path.exists() and not path.read_text(encoding="utf-8").startswith(SIMULATOR_HEADER):
            return None
        return path

    def start(self, bosun: Bosun, progress: Progress) -> None:
        """Serve the demo vessel's sensors and point the connectors at them."""
        from channels.services.predictors import SCORE_JOB
        from connectors import VesselSimulator, load_register

        if demo_vessel(bosun.db) is None:
            return
        path = self.config_path(bosun)
        if path is None:
            progress("demo: connectors.yaml is your own; the simulator stays off")
            return
        # asyncua warns about its unsigned demo endpoint and session timeouts on every start
        logging.getLogger("asyncua").setLevel(logging.ERROR)
        simulator = VesselSimulator(
            load_register(register_path()),
            opcua_port=0,
            modbus_port=0,
            seed=SEED,
            degrade_minutes=self.degrade_minutes,
            degrade_tags=self.degrade_tags,
            counters=counter_points(bosun.db),
        )
        thread = SimulatorThread(simulator)
        thread.start()
        bosun.simulator = simulator
        bosun.components.add("demo simulator", thread.stop)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            simulator.connectors_yaml(
                publishing_interval_ms=self.interval_ms, poll_interval_ms=self.interval_ms
            ),
            encoding="utf-8",
        )
        info = simulator.info
        progress(
            f"demo: simulator serving OPC-UA {info.opcua_endpoint} and Modbus TCP "
            f"127.0.0.1:{info.modbus_port}; {', '.join(info.degrading)} degrading over "
            f"{self.degrade_minutes:g} min"
        )
        bosun.scheduler.every(self.score_every_s, SCORE_JOB)


def _start_live(bosun: Bosun, progress: Progress) -> None:
    live = LiveDemo()
    if not bosun.settings.is_embedded and not bosun.demo_requested:
        # A fleet's servers share one database: one simulator (on the server started with
        # --demo) feeds the demo vessel; the others must not read a stale one's ports.
        path = live.config_path(bosun)
        if path is not None and path.exists() and demo_vessel(bosun.db) is not None:
            path.unlink()
            progress("demo: simulator off on this server (bosun up --demo runs it)")
        return
    live.start(bosun, progress)


DEMO_LIVE_STEPS: list[tuple[str, Callable[[Bosun, Progress], None]]] = [
    ("demo readings", backfill_readings),
    ("demo model", train_model),
    ("demo simulator", _start_live),
]
"""First-start steps of the live demo, in order (each does nothing without the demo)."""


__all__ = [
    "DEGRADING_CODE",
    "DEGRADING_TAG",
    "DEMO_CLASS",
    "DEMO_LIVE_STEPS",
    "LiveDemo",
    "SimulatorThread",
    "backfill_readings",
    "fault_precursors",
    "precursor_sensor",
    "train_model",
]
