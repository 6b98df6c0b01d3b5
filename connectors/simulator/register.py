"""Read the sensors of a vessel register YAML (the Foundation format), without a database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from connectors.errors import ConnectorError


@dataclass(frozen=True, slots=True)
class SimSensor:
    """A register sensor with the equipment it belongs to."""

    tag: str
    name: str
    unit: str | None
    low: float | None
    high: float | None
    counter: str | None
    equipment_code: str
    equipment_name: str
    equipment_class: str | None
    criticality: str | None


@dataclass(frozen=True, slots=True)
class SimRegister:
    """The vessel and every sensor of its register, in file order."""

    imo: str
    vessel_name: str
    sensors: list[SimSensor]


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def load_register(path: str | Path) -> SimRegister:
    """Return the vessel and sensors of a register YAML file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConnectorError(f"cannot read register {p}: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("vessel"), dict):
        raise ConnectorError(
            f"{p}: not a register file (needs vessel: {{name, imo}} and equipment)"
        )
    vessel = data["vessel"]
    sensors: list[SimSensor] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for eq in items or []:
            for s in eq.get("sensors") or []:
                sensors.append(
                    SimSensor(
                        tag=str(s["tag"]),
                        name=str(s.get("name", s["tag"])),
                        unit=s.get("unit"),
                        low=_num(s.get("low")),
                        high=_num(s.get("high")),
                        counter=s.get("counter"),
                        equipment_code=str(eq["code"]),
                        equipment_name=str(eq.get("name", eq["code"])),
                        equipment_class=eq.get("class"),
                        criticality=eq.get("criticality"),
                    )
                )
            walk(eq.get("children") or [])

    walk(data.get("equipment") or [])
    return SimRegister(
        imo=str(vessel.get("imo", "")), vessel_name=str(vessel.get("name", "")), sensors=sensors
    )
