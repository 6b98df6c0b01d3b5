"""Simulated history, far faster than real time: readings and the faults degradations end in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from connectors.models import Reading
from connectors.simulator.register import SimRegister, SimSensor
from connectors.simulator.signals import CounterPoints, Degradation, SignalModel, stable_seed

_PRIORITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low"}


@dataclass(frozen=True, slots=True)
class SimulatedFault:
    """A fault the crew would have reported when a degradation crossed its limit."""

    equipment_code: str
    equipment_name: str
    tag: str
    time: datetime
    title: str
    description: str
    priority: str
    value: float
    limit: float
    repaired_at: datetime


def plan_degradations(
    model: SignalModel, start: float, end: float, rng: np.random.Generator, mean_days: float
) -> list[Degradation]:
    """Draw degradations on one sensor between start and end (a Poisson process)."""
    out: list[Degradation] = []
    if not model.degradable or mean_days <= 0:
        return out
    t = start + rng.exponential(mean_days * 86_400)
    while t < end:
        ramp = rng.uniform(3, 14) * 86_400
        repair_after = rng.uniform(0.25, 2.0) * 86_400
        out.append(
            Degradation(model.sensor.tag, t, t + ramp, t + ramp + repair_after, model.drift_size())
        )
        t += ramp + repair_after + rng.exponential(mean_days * 86_400)
    return out


def _fault(
    sensor: SimSensor, model: SignalModel, d: Degradation, at: float, value: float
) -> SimulatedFault:
    lim = model.limit()
    word = "above" if model.direction > 0 else "below"
    unit = f" {sensor.unit}" if sensor.unit else ""
    return SimulatedFault(
        equipment_code=sensor.equipment_code,
        equipment_name=sensor.equipment_name,
        tag=sensor.tag,
        time=datetime.fromtimestamp(at, UTC),
        title=f"{sensor.equipment_name}: {sensor.name.lower()} {word} limit",
        description=(
            f"{sensor.name} ({sensor.tag}) reached {value:.1f}{unit}, {word} its limit of "
            f"{lim:g}{unit}, after a gradual drift over "
            f"{(at - d.start) / 86_400:.1f} days."
        ),
        priority=_PRIORITY.get(sensor.criticality or "", "medium"),
        value=value,
        limit=lim,
        repaired_at=datetime.fromtimestamp(d.repair, UTC),
    )


class SimulatedHistory:
    """N days of readings for every sensor of a register, deterministic for a seed."""

    def __init__(
        self,
        register: SimRegister,
        *,
        days: float,
        step: timedelta = timedelta(minutes=10),
        seed: int = 0,
        end: datetime | None = None,
        mean_days_between_degradations: float = 365.0,
        degradations: Mapping[str, Sequence[Degradation]] | None = None,
        counters: Mapping[str, CounterPoints] | None = None,
    ) -> None:
        """Simulate; `degradations` are known drifts by tag, added to the random ones.

        `counters` pins running-hours counters, by tag, to known (time, hours) values.

        Known degradations shape the readings only (they are precursors of faults recorded
        elsewhere); faults are derived from the random ones alone.
        """
        self.register = register
        self.seed = seed
        self.end = (end or datetime.now(UTC)).astimezone(UTC)
        self.step_s = step.total_seconds()
        # Align to the step so a re-run covers the same timestamps (the idempotent insert
        # then skips what an earlier backfill already stored).
        end_s = (self.end.timestamp() // self.step_s) * self.step_s
        self.end = datetime.fromtimestamp(end_s, UTC)
        n = int(days * 86_400 // self.step_s)
        self.times = end_s - self.step_s * np.arange(n, 0, -1, dtype=np.float64)
        self.models = [SignalModel(s, seed, (counters or {}).get(s.tag)) for s in register.sensors]
        self.degradations: dict[str, list[Degradation]] = {}
        self.faults: list[SimulatedFault] = []
        start_s = float(self.times[0]) if n else end_s
        for m in self.models:
            rng = np.random.default_rng(stable_seed(seed, "degradation", m.sensor.tag))
            plan = plan_degradations(m, start_s, end_s, rng, mean_days_between_degradations)
            known = list((degradations or {}).get(m.sensor.tag, ()))
            self.degradations[m.sensor.tag] = sorted([*plan, *known], key=lambda d: d.start)
            for d in plan:
                window = self.times[(self.times >= d.start) & (self.times < d.repair)]
                if window.size == 0:
                    continue
                clean = m.clean(window, plan)
                crossed = clean > m.limit() if m.direction > 0 else clean < m.limit()
                if crossed.any():
                    i = int(np.argmax(crossed))
                    self.faults.append(_fault(m.sensor, m, d, float(window[i]), float(clean[i])))
        self.faults.sort(key=lambda f: f.time)

    @property
    def reading_count(self) -> int:
        """Return how many readings `readings()` yields."""
        return len(self.times) * len(self.models)

    def readings(self, batch_size: int = 50_000) -> Iterator[list[Reading]]:
        """Yield readings in batches, oldest time slice first."""
        if not self.models or len(self.times) == 0:
            return
        per_slice = max(1, batch_size // len(self.models))
        rngs = [
            np.random.default_rng(stable_seed(self.seed, "noise", m.sensor.tag))
            for m in self.models
        ]
        for i in range(0, len(self.times), per_slice):
            t = self.times[i : i + per_slice]
            stamps = [datetime.fromtimestamp(float(x), UTC) for x in t]
            batch: list[Reading] = []
            for m, rng in zip(self.models, rngs, strict=True):
                vals = m.values(t, self.degradations[m.sensor.tag], rng).tolist()
                tag = m.sensor.tag
                batch.extend(
                    Reading(tag, ts, v, "good", "simulator")
                    for ts, v in zip(stamps, vals, strict=True)
                )
            yield batch


def simulate_history(
    register: SimRegister,
    *,
    days: float,
    step: timedelta = timedelta(minutes=10),
    seed: int = 0,
    end: datetime | None = None,
    mean_days_between_degradations: float = 365.0,
    degradations: Mapping[str, Sequence[Degradation]] | None = None,
    counters: Mapping[str, CounterPoints] | None = None,
) -> SimulatedHistory:
    """Return `days` of simulated history ending at `end` (now): `.readings()`, `.faults`."""
    return SimulatedHistory(
        register,
        days=days,
        step=step,
        seed=seed,
        end=end,
        mean_days_between_degradations=mean_days_between_degradations,
        degradations=degradations,
        counters=counters,
    )
