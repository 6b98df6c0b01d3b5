"""Faults, work orders, parts and stock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from channels.http.api.schemas.common import Id, NoteRead, ReadModel, WriteModel, optional
from records import FaultStatus, Priority, WorkOrderKind, WorkOrderStatus, work_orders


class FaultCreate(WriteModel):
    """A fault to report."""

    equipment_id: Id
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    priority: Priority = Priority.medium


class FaultUpdate(WriteModel):
    """Changes to a fault's text, priority or root cause."""

    title: str = optional(min_length=1, max_length=300)
    description: str = optional(max_length=20_000)
    priority: Priority = optional()
    root_cause: str | None = Field(default=None, max_length=20_000)


class FaultTransition(WriteModel):
    """Move a fault to another status (open → acknowledged → in_progress → resolved → closed)."""

    status: FaultStatus
    note: str | None = Field(default=None, max_length=10_000)
    root_cause: str | None = Field(default=None, max_length=20_000)


class FaultRead(ReadModel):
    """A fault."""

    id: int
    vessel_id: int
    equipment_id: int
    title: str
    description: str
    priority: Priority
    status: FaultStatus
    reported_by_id: int | None
    reported_via: str
    root_cause: str | None
    notes: list[NoteRead]
    attachments: list[dict[str, Any]]
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class WorkOrderCreate(WriteModel):
    """A work order to create."""

    equipment_id: Id
    title: str = Field(min_length=1, max_length=300)
    kind: WorkOrderKind = WorkOrderKind.corrective
    description: str = Field(default="", max_length=20_000)
    priority: Priority = Priority.medium
    fault_id: Id | None = None
    assignee_id: Id | None = None
    due: AwareDatetime | None = None


class WorkOrderUpdate(WriteModel):
    """Changes to a work order: fields, status, a note."""

    title: str = optional(min_length=1, max_length=300)
    description: str = optional(max_length=20_000)
    priority: Priority = optional()
    assignee_id: Id | None = Field(default=None, description="null: nobody.")
    due: AwareDatetime | None = None
    hours: float = optional(ge=0, allow_inf_nan=False)
    status: WorkOrderStatus = optional()
    note: str = optional(max_length=10_000)


class WorkOrderRead(ReadModel):
    """A work order."""

    id: int
    vessel_id: int
    equipment_id: int
    fault_id: int | None
    plan_id: int | None
    kind: WorkOrderKind
    title: str
    description: str
    priority: Priority
    status: WorkOrderStatus
    assignee_id: int | None
    created_by_id: int | None
    due: datetime | None
    hours: float
    notes: list[NoteRead]
    created_at: datetime
    completed_at: datetime | None
    updated_at: datetime
    overdue: bool = Field(default=False, description="Still open past its due time.")

    @model_validator(mode="after")
    def _mark_overdue(self) -> WorkOrderRead:
        self.overdue = work_orders.past_due(self.status, self.due)
        return self


class PartUsageCreate(WriteModel):
    """Parts used on a work order (taken from the vessel's stock)."""

    part_id: Id
    quantity: float = Field(gt=0, allow_inf_nan=False)


class PartUsageRead(ReadModel):
    """Parts used on a work order."""

    id: int
    work_order_id: int
    part_id: int
    quantity: float
    used_at: datetime


class PartCreate(WriteModel):
    """A catalogue part."""

    number: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=300)
    unit: str = Field(default="pcs", max_length=20)
    equipment_codes: list[str] = Field(default_factory=list)


class PartUpdate(WriteModel):
    """Changes to a catalogue part."""

    name: str = optional(min_length=1, max_length=300)
    unit: str = optional(min_length=1, max_length=20)
    equipment_codes: list[str] = optional()


class PartRead(ReadModel):
    """A catalogue part."""

    id: int
    number: str
    name: str
    unit: str
    equipment_codes: list[str]


class StockSet(WriteModel):
    """How many of a part a vessel holds."""

    quantity: float = Field(ge=0, allow_inf_nan=False)
    minimum: float = optional(ge=0, allow_inf_nan=False)
    location: str | None = Field(default=None, max_length=100)


class StockRead(BaseModel):
    """A part with a vessel's quantity on board."""

    vessel_id: int
    part: PartRead
    quantity: float
    minimum: float
    location: str | None
    below_minimum: bool
    at_minimum: bool = Field(default=False, description="Exactly at its (positive) minimum.")


class PlanDueRead(BaseModel):
    """A maintenance plan with when it is next due (by date and/or running hours)."""

    plan_id: int
    vessel_id: int
    equipment_id: int
    equipment_code: str
    equipment_name: str
    title: str
    kind: WorkOrderKind
    every_hours: float | None
    every_days: int | None
    last_done_at: datetime | None
    last_done_hours: float | None
    next_due_at: datetime | None
    next_due_hours: float | None
    running_hours: float | None
    hours_left: float | None
    days_left: float | None
    estimated_due_at: datetime | None
    overdue: bool
    open_work_order_id: int | None


class FaultGroupRead(BaseModel):
    """Fault counts of one machine (with everything below it) or one equipment class."""

    key: str
    name: str
    equipment_id: int | None
    count: int
    fault_ids: list[int]
    last_at: datetime
    last_fault_id: int
    last_title: str
    mtbf: float | None = Field(description="Mean interval between consecutive faults.")
    mtbf_unit: str | None = Field(description="'running hours' (from the counter) or 'days'.")
    mttr_hours: float | None = Field(description="Mean hours from opened to resolved.")
    resolved: int


class FaultStatsRead(BaseModel):
    """Fault statistics for a period, largest group first."""

    since: datetime | None
    until: datetime
    group_by: str
    total: int
    group_count: int
    groups: list[FaultGroupRead]
