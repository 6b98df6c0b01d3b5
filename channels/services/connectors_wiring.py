"""The connectors' ports implemented on records: readings sink, alarms, catalog, running hours."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import OperationalError

from channels.app.settings import Settings
from connectors import (
    AlarmEvent,
    ConfigError,
    ConnectorRuntime,
    ConnectorsConfig,
    ConnectorsSettings,
    Reading,
    SensorSpec,
    SinkRejected,
    SinkUnavailable,
    StaticCatalog,
)
from records import (
    ALL_TENANTS,
    BosunError,
    Database,
    ErrorCode,
    ReadingIn,
    Role,
    pending,
    readings,
    register,
    register_import,
    running_hours,
    system_caller,
)

log = logging.getLogger(__name__)
QUALITY = {"good": 0, "uncertain": 1, "bad": 2}


class VesselSensors:
    """A vessel's sensors by tag, as the connectors need them."""

    def __init__(self, db: Database, org_id: int, vessel_id: int) -> None:
        self.db, self.org_id, self.vessel_id = db, org_id, vessel_id
        self.caller = system_caller(org_id, "connector")
        self.ids: dict[str, int] = {}
        self.equipment: dict[str, int] = {}
        self.specs: dict[str, SensorSpec] = {}
        self.refresh()

    def refresh(self) -> None:
        """Reload the sensors from the register."""
        with self.db.transaction(self.caller) as s:
            by_tag = register.sensors_by_tag(s, self.caller, self.vessel_id)
            for tag, sensor in by_tag.items():
                self.ids[tag] = sensor.id
                self.equipment[tag] = sensor.equipment_id
                self.specs[tag] = SensorSpec(
                    tag=tag,
                    unit=sensor.unit,
                    low=sensor.low,
                    high=sensor.high,
                    counter=sensor.counter,
                    name=sensor.name,
                )

    def catalog(self) -> StaticCatalog:
        """Return the sensors as a connectors catalog."""
        return StaticCatalog(self.specs.values())


class RecordsSink:
    """Store readings in records; idempotent on (sensor, time) so replays store once."""

    def __init__(self, sensors: VesselSensors) -> None:
        self.sensors = sensors

    def _write(self, batch: Sequence[Reading]) -> None:
        unknown = [r.tag for r in batch if r.tag not in self.sensors.ids]
        if unknown:
            self.sensors.refresh()
            unknown = [t for t in unknown if t not in self.sensors.ids]
        rows = [
            ReadingIn(self.sensors.ids[r.tag], r.time, r.value, QUALITY.get(r.quality, 2))
            for r in batch
            if r.tag in self.sensors.ids
        ]
        try:
            with self.sensors.db.transaction(self.sensors.caller) as s:
                readings.insert_readings(s, self.sensors.caller, rows)
        except OperationalError as err:
            raise SinkUnavailable(f"database unreachable: {err.__class__.__name__}") from err
        except BosunError as err:
            if err.code is ErrorCode.unavailable:
                raise SinkUnavailable(err.message) from err
            raise SinkRejected(err.message) from err
        if unknown:
            raise SinkRejected(f"tags not in the register: {', '.join(sorted(set(unknown)))}")

    async def write(self, readings_: Sequence[Reading]) -> None:
        """Store a batch in a worker thread (the database driver blocks)."""
        await asyncio.to_thread(self._write, readings_)


class AlarmsToFaults:
    """Turn a raised limit alarm into a proposed fault for the vessel's officers to confirm."""

    def __init__(self, sensors: VesselSensors) -> None:
        self.sensors = sensors

    def _handle(self, event: AlarmEvent) -> None:
        if event.state != "raised":
            log.info("alarm cleared: %s back inside its %s limit", event.tag, event.kind)
            return
        equipment_id = self.sensors.equipment.get(event.tag)
        if equipment_id is None:
            return
        spec = self.sensors.specs.get(event.tag)
        name = spec.name if spec and spec.name else event.tag
        unit = f" {event.unit}" if event.unit else ""
        side = "above its high" if event.kind == "high" else "below its low"
        title = f"{name} {side} limit"
        detail = (
            f"{name} ({event.tag}) read {event.value:g}{unit} at "
            f"{event.time:%Y-%m-%d %H:%M} UTC, {side} limit {event.limit:g}{unit}."
        )
        caller = self.sensors.caller
        try:
            with self.sensors.db.transaction(caller) as s:
                pending.propose(
                    s,
                    caller,
                    kind="report_fault",
                    arguments={
                        "equipment_id": equipment_id,
                        "title": title,
                        "description": detail,
                        "priority": "high",
                    },
                    summary=f"Alarm: {detail} File a fault?",
                    addressed_to_role=Role.officer,
                    idempotency_key=f"alarm:{event.tag}:{event.kind}:{event.time.isoformat()}",
                )
        except OperationalError as err:
            raise SinkUnavailable("database unreachable") from err

    async def handle(self, event: AlarmEvent) -> None:
        """Propose the fault in a worker thread."""
        await asyncio.to_thread(self._handle, event)


def running_hours_hook(sensors: VesselSensors) -> object:
    """Return the hook that keeps equipment running hours equal to their counter sensors.

    The counter wins over the register in both directions, with an audit row
    (``records.running_hours.apply_counter``).
    """

    def update(tag: str, hours: float, at: datetime) -> None:
        equipment_id = sensors.equipment.get(tag)
        if equipment_id is None:
            return
        caller = sensors.caller
        with sensors.db.transaction(caller) as s:
            equipment = register.get_equipment(s, caller, equipment_id)
            running_hours.apply_counter(s, caller, equipment, hours, at)

    async def hook(tag: str, hours: float, at: datetime) -> None:
        await asyncio.to_thread(update, tag, hours, at)

    return hook


def find_vessel(db: Database, imo: str, organization: str | None) -> tuple[int, int]:
    """Return (org id, vessel id) of the organization's vessel with this IMO, else raise."""
    with db.transaction(ALL_TENANTS) as s:
        vessel_id, org_id = register_import.vessel_in_organization(s, imo, organization)
    return org_id, vessel_id


def vessel_of(db: Database, imo: str, organization: str | None = None) -> tuple[int, int] | None:
    """Return (org id, vessel id) of the vessel with this IMO, if it is in the database."""
    try:
        return find_vessel(db, imo, organization)
    except BosunError:
        return None


def connectors_settings(settings: Settings) -> ConnectorsSettings:
    """Connectors settings rooted at the same home as everything else."""
    return ConnectorsSettings(home=settings.home)


def build_runtime(
    settings: Settings,
    db: Database,
    config: ConnectorsConfig,
    tuning: ConnectorsSettings | None = None,
) -> tuple[ConnectorRuntime, object]:
    """Build the runtime for a config whose vessel is in the database.

    ``tuning`` replaces the connectors settings derived from ``settings`` (tests shorten the
    reconnect backoff and flush interval with it).
    """
    try:
        found = find_vessel(db, config.vessel, config.organization)
    except BosunError as error:
        hint = (
            "; import its register first (bosun import register FILE)"
            if error.code is ErrorCode.not_found
            else ""
        )
        raise ConfigError(str(config.vessel), [f"{error.message}{hint}"]) from error
    sensors = VesselSensors(db, *found)
    runtime = ConnectorRuntime(
        config,
        RecordsSink(sensors),
        settings=tuning or connectors_settings(settings),
        catalog=sensors.catalog(),
        alarms=AlarmsToFaults(sensors),
        running_hours=running_hours_hook(sensors),  # type: ignore[arg-type]
    )
    return runtime, sensors
