"""Typed values the connectors produce: readings, alarm events, sensor specs, health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Quality = Literal["good", "uncertain", "bad"]
LimitKind = Literal["high", "low"]
AlarmState = Literal["raised", "cleared"]
SourceType = Literal["opcua", "modbus", "mqtt"]


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of one sensor tag at one time (timezone-aware UTC)."""

    tag: str
    time: datetime
    value: float
    quality: Quality = "good"
    source: str = ""


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """What the vessel register says about a tag: unit, limits, counter kind."""

    tag: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    counter: str | None = None
    name: str | None = None
    hysteresis: float | None = None


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """A limit crossing (`raised`) or the return inside the limit (`cleared`)."""

    tag: str
    kind: LimitKind
    state: AlarmState
    value: float
    limit: float
    time: datetime
    source: str = ""
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class TagValue:
    """The latest value of one tag as held in a source snapshot."""

    value: float
    time: datetime
    quality: Quality = "good"


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """Health of one source at one moment."""

    name: str
    type: SourceType
    connected: bool
    last_value_time: datetime | None
    reads: int
    errors: int
    reconnects: int
    buffer_depth: int
    dropped: int
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """What a coordinator knows about its source: health and each tag's latest value."""

    health: SourceHealth
    values: dict[str, TagValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One line of `bosun connectors check`: a tag read once, or why it failed."""

    source: str
    tag: str
    value: float | None
    unit: str | None
    status: str

    @property
    def ok(self) -> bool:
        """Return whether this tag was read successfully."""
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of checking a configuration against its live sources."""

    rows: list[CheckRow]
    source_errors: dict[str, str]

    @property
    def failed(self) -> bool:
        """Return True when any source or tag failed (the CLI exits non-zero)."""
        return bool(self.source_errors) or any(not r.ok for r in self.rows)
