"""Exponential backoff with full jitter for reconnect loops."""

from __future__ import annotations

import random


class Backoff:
    """Delays that double from `initial` up to `maximum`, each drawn with jitter."""

    def __init__(self, initial: float, maximum: float, *, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self._attempt = 0
        self._rng = rng or random.Random()

    def reset(self) -> None:
        """Start again from the initial delay (after a connection worked)."""
        self._attempt = 0

    def next_delay(self) -> float:
        """Return the next delay in seconds: uniform in [cap/2, cap], cap doubling."""
        cap = min(self.maximum, self.initial * (2 ** min(self._attempt, 30)))
        self._attempt += 1
        return float(cap / 2 + self._rng.random() * cap / 2)
