"""Vessels, equipment, sensors and readings."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from channels.http.api.schemas.common import Id, Int32, ReadModel, WriteModel, optional
from records import Criticality


class VesselRead(ReadModel):
    """A vessel."""

    id: int
    name: str
    imo: str
    type: str | None
    created_at: datetime


class _EquipmentFields(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, validate_by_name=True, validate_by_alias=True, extra="forbid"
    )

    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list, description="How the crew say it.")
    equipment_class: str | None = Field(
        default=None, alias="class", max_length=50, description="What predictors train per."
    )
    maker: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    serial: str | None = Field(default=None, max_length=200)
    criticality: Criticality | None = None


class EquipmentCreate(_EquipmentFields):
    """A new piece of equipment in a vessel's register."""

    vessel_id: Id
    code: str = Field(min_length=1, max_length=50, description="Unique within the vessel.")
    parent_id: Id | None = None


class EquipmentUpdate(WriteModel):
    """Changes to a piece of equipment (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    name: str = optional(min_length=1, max_length=200)
    aliases: list[str] = optional()
    equipment_class: str | None = Field(default=None, alias="class", max_length=50)
    maker: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    serial: str | None = Field(default=None, max_length=200)
    criticality: Criticality | None = None
    parent_id: Id | None = Field(default=None, description="null makes it a top-level system.")


class EquipmentRead(_EquipmentFields):
    """A piece of equipment."""

    model_config = ConfigDict(
        from_attributes=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )

    id: int
    vessel_id: int
    parent_id: int | None
    code: str
    name: str
    running_hours: float
    running_hours_at: datetime | None = None
    installed_on: date | None = None


class EquipmentNode(EquipmentRead):
    """A piece of equipment with what is below it in the tree."""

    children: list[EquipmentNode] = Field(default_factory=list)


class RunningHoursSet(WriteModel):
    """A running-hours counter value."""

    hours: float = Field(ge=0, allow_inf_nan=False)
    at: AwareDatetime | None = Field(default=None, description="When read; default now.")


class SensorRead(ReadModel):
    """A measured quantity on a piece of equipment."""

    id: int
    vessel_id: int
    equipment_id: int
    tag: str
    name: str
    unit: str | None
    low: float | None
    high: float | None
    counter: str | None


class ReadingCreate(WriteModel):
    """One reading to store."""

    sensor_id: Id
    time: AwareDatetime
    value: float = Field(allow_inf_nan=False)
    quality: Int32 = Field(default=0, description="0 = good; other values are source codes.")


class ReadingRead(BaseModel):
    """One stored reading."""

    sensor_id: int
    time: datetime
    value: float
    quality: int


class ReadingsWritten(BaseModel):
    """How many readings a batch carried (duplicates of sensor and time are ignored)."""

    received: int
