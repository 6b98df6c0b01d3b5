"""Demo vessel for Bosun: MV Northern Bosun (PSV) register, parts, plans and generated history.

The files are shipped in the package; ``generate_history`` returns plain frozen dataclasses
that the composition root loads through the records services (no database here).
"""

from records.demo.catalogue import (
    CataloguePart,
    DemoPlan,
    PlanPart,
    RegisterItem,
    load_parts,
    load_plans,
    load_register_items,
    parts_path,
    plans_path,
    register_path,
)
from records.demo.history import DEFAULT_SEED, RUNS_WITH, HistoryError, generate_history
from records.demo.history_types import (
    DemoFault,
    DemoHistory,
    DemoWorkOrder,
    PartUse,
    RunningHoursReading,
    StatusChange,
    StockReceipt,
)
from records.demo.users import DemoUser, demo_users

__all__ = [
    "DEFAULT_SEED",
    "RUNS_WITH",
    "CataloguePart",
    "DemoFault",
    "DemoHistory",
    "DemoPlan",
    "DemoUser",
    "DemoWorkOrder",
    "HistoryError",
    "PartUse",
    "PlanPart",
    "RegisterItem",
    "RunningHoursReading",
    "StatusChange",
    "StockReceipt",
    "demo_users",
    "generate_history",
    "load_parts",
    "load_plans",
    "load_register_items",
    "parts_path",
    "plans_path",
    "register_path",
]
