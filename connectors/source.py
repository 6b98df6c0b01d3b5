"""The Protocol every protocol adapter implements, and the emit callback type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from connectors.models import Reading, SourceType

Emit = Callable[[Sequence[Reading]], None]
"""Receives readings from a running source."""


class Source(Protocol):
    """A connection to one device or server, translated into readings.

    Every library error leaves these methods as `SourceError` (chained to the cause).
    """

    name: str
    type: SourceType

    async def connect(self) -> None:
        """Open the connection (and session/subscription)."""
        ...

    async def run(self, emit: Emit) -> None:
        """Deliver readings to `emit` until the connection fails (raise SourceError)."""
        ...

    async def read_once(self, timeout_s: float = 5.0) -> dict[str, Reading | str]:
        """Read every tag once (waiting up to `timeout_s` for push sources): Reading or reason."""
        ...

    async def close(self) -> None:
        """Close the connection; never raises."""
        ...
