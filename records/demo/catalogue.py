"""Read the shipped demo files (register, parts, plans) into small frozen value types."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

_HERE = Path(__file__).resolve().parent

PlanKind = Literal["preventive", "inspection"]


def register_path() -> Path:
    """Return the path of the demo vessel's equipment register (YAML, issue 2 format)."""
    return _HERE / "register.yaml"


def parts_path() -> Path:
    """Return the path of the demo parts catalogue with opening stock (YAML)."""
    return _HERE / "parts.yaml"


def plans_path() -> Path:
    """Return the path of the demo maintenance plans (YAML)."""
    return _HERE / "plans.yaml"


@dataclass(frozen=True, slots=True)
class RegisterItem:
    """One equipment item of the register, flattened (parent code instead of children)."""

    code: str
    parent_code: str | None
    name: str
    aliases: tuple[str, ...]
    equipment_class: str | None
    criticality: str | None
    running_hours_tag: str | None


@dataclass(frozen=True, slots=True)
class CataloguePart:
    """A part in the catalogue with the equipment it fits and its stock levels."""

    number: str
    name: str
    fits: tuple[str, ...]
    unit: str
    min_stock: float
    stock: float


@dataclass(frozen=True, slots=True)
class PlanPart:
    """A part a plan's work order normally uses."""

    number: str
    quantity: float


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """A maintenance plan: every N running hours or every N days."""

    equipment_code: str
    title: str
    kind: PlanKind
    every_hours: float | None
    every_days: int | None
    estimated_hours: float
    parts: tuple[PlanPart, ...]


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _walk(items: list[dict[str, Any]], parent: str | None) -> Iterator[RegisterItem]:
    for item in items:
        counter = next(
            (s["tag"] for s in item.get("sensors", []) if s.get("counter") == "running_hours"),
            None,
        )
        yield RegisterItem(
            code=str(item["code"]),
            parent_code=parent,
            name=str(item["name"]),
            aliases=tuple(str(a) for a in item.get("aliases", [])),
            equipment_class=item.get("class"),
            criticality=item.get("criticality"),
            running_hours_tag=counter,
        )
        yield from _walk(item.get("children", []), str(item["code"]))


@cache
def load_register_items() -> tuple[RegisterItem, ...]:
    """Return the demo register's equipment, parents before children."""
    data = _load_yaml(register_path())
    return tuple(_walk(data["equipment"], None))


@cache
def load_parts() -> tuple[CataloguePart, ...]:
    """Return the demo parts catalogue."""
    data = _load_yaml(parts_path())
    return tuple(
        CataloguePart(
            number=str(p["number"]),
            name=str(p["name"]),
            fits=tuple(str(c) for c in p["fits"]),
            unit=str(p["unit"]),
            min_stock=float(p["min_stock"]),
            stock=float(p["stock"]),
        )
        for p in data["parts"]
    )


@cache
def load_plans() -> tuple[DemoPlan, ...]:
    """Return the demo maintenance plans."""
    data = _load_yaml(plans_path())
    plans = []
    for p in data["plans"]:
        plans.append(
            DemoPlan(
                equipment_code=str(p["equipment"]),
                title=str(p["title"]),
                kind=p["kind"],
                every_hours=float(p["every_hours"]) if "every_hours" in p else None,
                every_days=int(p["every_days"]) if "every_days" in p else None,
                estimated_hours=float(p.get("estimated_hours", 1.0)),
                parts=tuple(
                    PlanPart(number=str(x["number"]), quantity=float(x["quantity"]))
                    for x in p.get("parts", [])
                ),
            )
        )
    return tuple(plans)
