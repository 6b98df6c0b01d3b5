"""Deterministic sensor signals: level, daily load cycle, noise, degradations, counters."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from connectors.simulator.register import SimSensor

_DEFAULTS: dict[str, tuple[float, float]] = {
    "degc": (60.0, 10.0),
    "bar": (5.0, 1.0),
    "rpm": (700.0, 150.0),
    "%": (50.0, 20.0),
    "a": (100.0, 30.0),
    "kw": (800.0, 250.0),
    "mm/s": (2.0, 0.5),
    "v": (440.0, 5.0),
    "hz": (60.0, 0.2),
    "m3/h": (30.0, 8.0),
    "l/h": (150.0, 40.0),
}


COUNTER_EPOCH = 1_700_000_000.0  # counters start from their initial hours here (2023-11)


def stable_seed(*parts: object) -> int:
    """Return a seed that depends only on the parts (not on Python's hash salt)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True, slots=True)
class Degradation:
    """A slow drift on one sensor from `start` until repair; it crosses the limit on the way."""

    tag: str
    start: float
    ramp_end: float
    repair: float
    size: float  # drift reached at ramp_end (signed)


CounterPoints = Sequence[tuple[float, float]]
"""A running-hours counter's known values: (epoch seconds, hours), oldest first."""


class SignalModel:
    """The signal of one sensor as a pure function of time (epoch seconds)."""

    def __init__(self, sensor: SimSensor, seed: int, counter: CounterPoints | None = None) -> None:
        """Build the signal; ``counter`` pins a running-hours counter to known values.

        A pinned counter follows its points (linear between them) and runs on at its duty
        rate after the last one (and before the first), so it starts from the hours the
        register and the recorded history hold.
        """
        self.sensor = sensor
        rng = np.random.default_rng(stable_seed(seed, sensor.tag))
        lo, hi = sensor.low, sensor.high
        if lo is not None and hi is not None and hi > lo:
            base, amp = (lo + hi) / 2, 0.15 * (hi - lo)
        elif hi is not None:
            base, amp = (0.7 * hi, 0.08 * abs(hi)) if hi > 0 else (hi - 10.0, 2.0)
        elif lo is not None:
            base, amp = (1.45 * lo, 0.1 * lo) if lo > 0 else (lo + 10.0, 2.0)
        else:
            base, amp = _DEFAULTS.get((sensor.unit or "").lower(), (10.0, 2.0))
        self.base = base * float(rng.uniform(0.97, 1.03))
        self.amp = amp
        self.noise = max(abs(amp) * 0.08, 1e-3)
        self.phase_h = float(rng.uniform(-2.0, 2.0))
        self.duty = float(rng.uniform(0.35, 0.9))
        self.hours0 = float(rng.uniform(2_000, 30_000))
        self.is_counter = sensor.counter == "running_hours"
        points = sorted(counter or ())
        self.counter_t = np.array([t for t, _ in points], dtype=np.float64)
        self.counter_h = np.array([h for _, h in points], dtype=np.float64)
        self.direction = 1.0 if hi is not None else (-1.0 if lo is not None else 0.0)

    @property
    def degradable(self) -> bool:
        """Return whether this sensor has a limit a degradation can end beyond."""
        return not self.is_counter and self.direction != 0.0

    def limit(self) -> float:
        """Return the limit a degradation drives toward."""
        lim = self.sensor.high if self.direction > 0 else self.sensor.low
        assert lim is not None
        return lim

    def drift_size(self) -> float:
        """Return the drift that puts even the lowest-load value past the limit."""
        lim = self.limit()
        if self.direction > 0:
            return (lim - (self.base - self.amp)) + 0.05 * abs(lim) + 3 * self.noise
        return -((self.base + self.amp) - lim + 0.05 * abs(lim) + 3 * self.noise)

    def load(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the daily load cycle in [-1, 1] (peak mid-afternoon)."""
        hours = (t / 3600.0) % 24.0
        out: NDArray[np.float64] = np.sin(2 * math.pi * (hours - 9.0 - self.phase_h) / 24.0)
        return out

    def clean(
        self, t: NDArray[np.float64], degradations: Sequence[Degradation] = ()
    ) -> NDArray[np.float64]:
        """Return the noise-free value at times `t` (epoch seconds)."""
        if self.is_counter:
            if self.counter_t.size:
                return self._pinned_counter(t)
            return self.hours0 + self.duty * (t - COUNTER_EPOCH) / 3600.0
        v = self.base + self.amp * self.load(t)
        for d in degradations:
            ramp = np.clip((t - d.start) / max(d.ramp_end - d.start, 1.0), 0.0, None)
            active = (t >= d.start) & (t < d.repair)
            v = v + np.where(active, d.size * np.minimum(ramp, 1.0) ** 2, 0.0)
        return v

    def _pinned_counter(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        first_t, last_t = self.counter_t[0], self.counter_t[-1]
        inside: NDArray[np.float64] = np.interp(t, self.counter_t, self.counter_h)
        after = self.counter_h[-1] + self.duty * (t - last_t) / 3600.0
        before = np.maximum(self.counter_h[0] - self.duty * (first_t - t) / 3600.0, 0.0)
        out: NDArray[np.float64] = np.where(
            t > last_t, after, np.where(t < first_t, before, inside)
        )
        return out

    def values(
        self, t: NDArray[np.float64], degradations: list[Degradation], rng: np.random.Generator
    ) -> NDArray[np.float64]:
        """Return values with noise (counters carry none)."""
        v = self.clean(t, degradations)
        if self.is_counter:
            return np.round(v, 1)
        return v + rng.normal(0.0, self.noise, size=v.shape)
