from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from records.demo import (
    demo_users,
    load_parts,
    load_plans,
    load_register_items,
    parts_path,
    plans_path,
)
from records.demo.fault_templates import SHORT_NAMES, TEMPLATES

from .conftest import walk

CRITICALITIES = {"low", "medium", "high", "critical"}
ITEM_KEYS = {
    "code",
    "name",
    "aliases",
    "class",
    "maker",
    "model",
    "serial",
    "criticality",
    "sensors",
    "children",
}
SENSOR_KEYS = {"tag", "name", "unit", "low", "high", "counter"}


def test_register_has_the_issue_2_shape(register: dict[str, Any]) -> None:
    assert set(register) <= {"organization", "vessel", "equipment"}
    assert register["vessel"] == {"name": "MV Northern Bosun", "imo": "9700001", "type": "PSV"}
    for item, _ in walk(register["equipment"]):
        assert set(item) <= ITEM_KEYS, item["code"]
        assert isinstance(item["code"], str) and isinstance(item["name"], str)
        assert all(isinstance(a, str) and a for a in item.get("aliases", []))
        for key in ("maker", "model", "serial"):
            assert key not in item or isinstance(item[key], str), (item["code"], key)
        assert item.get("criticality", "low") in CRITICALITIES


def test_codes_unique_and_parents_exist(register: dict[str, Any]) -> None:
    pairs = list(walk(register["equipment"]))
    codes = [item["code"] for item, _ in pairs]
    assert len(codes) == len(set(codes))
    assert len(codes) >= 60
    for item, parent in pairs:
        if parent is None:
            assert "." not in item["code"]
        else:
            assert parent in codes
            assert item["code"].rsplit(".", 1)[0] == parent
    depth = max(item["code"].count(".") + 1 for item, _ in pairs)
    assert depth >= 3


def test_sensors_unique_with_sane_limits(register: dict[str, Any]) -> None:
    sensors = [s for item, _ in walk(register["equipment"]) for s in item.get("sensors", [])]
    tags = [s["tag"] for s in sensors]
    assert len(sensors) >= 40
    assert len(tags) == len(set(tags))
    for sensor in sensors:
        assert set(sensor) <= SENSOR_KEYS, sensor["tag"]
        assert sensor["unit"] and sensor["name"]
        if "low" in sensor and "high" in sensor:
            assert sensor["low"] < sensor["high"], sensor["tag"]
        if "counter" in sensor:
            assert sensor["counter"] == "running_hours" and sensor["unit"] == "h"
        else:
            assert "low" in sensor or "high" in sensor, sensor["tag"]
    counters = [s for s in sensors if "counter" in s]
    assert len(counters) >= 10


def test_predictor_classes_and_deliberate_ambiguity(register: dict[str, Any]) -> None:
    items = [item for item, _ in walk(register["equipment"])]
    classes = Counter(item.get("class") for item in items)
    assert classes["main_engine"] == 2
    assert classes["generator"] >= 4
    for name in ("thruster", "purifier", "pump", "compressor"):
        assert classes[name] >= 2, name
    aliases = Counter(a.lower() for item in items for a in item.get("aliases", []))
    for alias in ("fuel pump", "bow thruster", "purifier", "turbo", "compressor", "steering gear"):
        assert aliases[alias] >= 2, alias
    for alias in ("me1", "me2", "dg1", "harbour genny", "emergency generator", "bt1", "fire pump"):
        assert aliases[alias] == 1, alias


def test_flattened_register_matches_file(codes: set[str]) -> None:
    items = load_register_items()
    assert {i.code for i in items} == codes
    seen: set[str] = set()
    for item in items:
        assert item.parent_code is None or item.parent_code in seen
        seen.add(item.code)


def test_parts_fit_existing_equipment(codes: set[str]) -> None:
    with parts_path().open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    assert raw["vessel_imo"] == "9700001"
    parts = load_parts()
    numbers = [p.number for p in parts]
    assert len(numbers) == len(set(numbers)) >= 40
    for part in parts:
        assert part.fits and set(part.fits) <= codes, part.number
        assert 0 <= part.min_stock <= part.stock, part.number
        assert part.unit in {"pcs", "set", "L", "kg", "m"}


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def test_plans_reference_register_and_catalogue(codes: set[str]) -> None:
    with plans_path().open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    assert len(raw["plans"]) == len(load_plans()) >= 30
    catalogue = {p.number: p for p in load_parts()}
    for plan in load_plans():
        assert plan.equipment_code in codes, plan.title
        assert (plan.every_hours is None) != (plan.every_days is None), plan.title
        assert plan.kind in {"preventive", "inspection"}
        for use in plan.parts:
            fits = catalogue[use.number].fits
            assert any(_related(plan.equipment_code, c) for c in fits), (plan.title, use.number)


def test_fault_templates_use_existing_codes_and_parts(codes: set[str]) -> None:
    catalogue = {p.number: p for p in load_parts()}
    assert set(SHORT_NAMES) <= codes
    for template in TEMPLATES:
        assert set(template.codes) <= codes, template.title
        for code in template.codes:
            for number, _ in template.parts:
                assert any(_related(code, c) for c in catalogue[number].fits), (code, number)


def test_demo_users_cover_every_role() -> None:
    users = demo_users()
    assert {u.role for u in users} == {"crew", "officer", "chief_engineer", "shore", "admin"}
    assert len({u.email for u in users}) == len(users)


def test_public_api_is_pinned() -> None:
    import records.demo as demo

    assert set(demo.__all__) == {
        "DEFAULT_SEED",
        "CataloguePart",
        "DemoFault",
        "DemoHistory",
        "DemoPlan",
        "DemoUser",
        "DemoWorkOrder",
        "HistoryError",
        "PartUse",
        "PlanPart",
        "RUNS_WITH",
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
    }
    assert all(hasattr(demo, name) for name in demo.__all__)
    assert demo.register_path().is_file()
    assert demo.parts_path().is_file() and demo.plans_path().is_file()
