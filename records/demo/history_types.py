"""Plain frozen value types of the demo history (no database; the lead loads them via services)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Priority = Literal["low", "medium", "high", "critical"]
Role = Literal["crew", "officer", "chief_engineer", "shore", "admin"]
FaultStatus = Literal["open", "acknowledged", "in_progress", "resolved", "closed"]
WorkOrderKind = Literal["corrective", "preventive", "inspection"]
WorkOrderStatus = Literal["open", "in_progress", "completed", "cancelled"]
Channel = Literal["web", "telegram", "slack", "voice", "api"]

FAULT_STATUSES: tuple[FaultStatus, ...] = (
    "open",
    "acknowledged",
    "in_progress",
    "resolved",
    "closed",
)
WORK_ORDER_STATUSES: tuple[WorkOrderStatus, ...] = ("open", "in_progress", "completed", "cancelled")


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of a fault's or work order's status path: the new status, when, and by whom."""

    status: str
    at: datetime
    by_role: Role


@dataclass(frozen=True, slots=True)
class PartUse:
    """A quantity of one catalogue part used on a work order."""

    part_number: str
    quantity: float


@dataclass(frozen=True, slots=True)
class DemoFault:
    """A fault as the crew reported it, with the status path it went through.

    ``history`` starts with the ``open`` step at ``reported_at`` and is ordered in time;
    ``status`` is the last step's status. A reopened fault goes ``resolved -> open`` and on
    again. ``root_cause`` is set once the fault is resolved.
    """

    number: int
    equipment_code: str
    title: str
    description: str
    priority: Priority
    reported_by: Role
    reported_via: Channel
    reported_at: datetime
    status: FaultStatus
    history: tuple[StatusChange, ...]
    root_cause: str | None


@dataclass(frozen=True, slots=True)
class DemoWorkOrder:
    """A corrective (linked to a fault), preventive or inspection work order.

    Preventive and inspection orders carry the plan title that raised them. ``hours`` and
    ``completed_at`` are set when the order is completed; ``parts_used`` reduce stock then.
    """

    number: int
    equipment_code: str
    kind: WorkOrderKind
    title: str
    description: str
    priority: Priority
    status: WorkOrderStatus
    assignee_role: Role
    created_at: datetime
    due_at: datetime
    completed_at: datetime | None
    hours: float | None
    parts_used: tuple[PartUse, ...]
    fault_number: int | None
    plan_title: str | None
    history: tuple[StatusChange, ...]


@dataclass(frozen=True, slots=True)
class RunningHoursReading:
    """The running-hours counter of one piece of equipment at the end of a day."""

    equipment_code: str
    sensor_tag: str
    at: datetime
    hours: float


@dataclass(frozen=True, slots=True)
class StockReceipt:
    """Parts delivered on board (supply-boat delivery or urgent shipment)."""

    part_number: str
    quantity: float
    at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class DemoHistory:
    """Everything the generator produced for one period, ordered by time within each list."""

    start: datetime
    end: datetime
    seed: int
    faults: tuple[DemoFault, ...]
    work_orders: tuple[DemoWorkOrder, ...]
    running_hours: tuple[RunningHoursReading, ...]
    stock_receipts: tuple[StockReceipt, ...]
    initial_running_hours: Mapping[str, float]
    final_stock: Mapping[str, float]
