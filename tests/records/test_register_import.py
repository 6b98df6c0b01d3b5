from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from records import (
    ALL_TENANTS,
    AuditLog,
    Database,
    Equipment,
    Sensor,
    Vessel,
    register,
    register_import,
)
from records.register_import import RegisterError
from tests.records.helpers import REGISTER


def _import(db: Database, text: str, prune: bool = False) -> register_import.ImportReport:
    spec = register_import.parse_yaml(text)
    with db.transaction(ALL_TENANTS) as s:
        org_id = register_import.resolve_organization(s, spec.organization).id
    with db.transaction(org_id) as s:
        return register_import.import_register(s, spec, prune=prune)


def _counts(db: Database, org_id: int) -> tuple[int, int, int]:
    with db.transaction(org_id) as s:
        return (
            s.scalar(select(func.count()).select_from(Equipment).where(Equipment.org_id == org_id)),
            s.scalar(select(func.count()).select_from(Sensor).where(Sensor.org_id == org_id)),
            s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.org_id == org_id)),
        )  # type: ignore[return-value]


def test_import_twice_changes_nothing(db: Database, tmp_path: Path) -> None:
    text = REGISTER.format(org="Import Co A", imo="9100001")
    first = _import(db, text)
    assert (first.created, first.sensors_created) == (5, 3)
    before = _counts(db, first.organization_id)
    second = _import(db, text)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 5)
    assert second.sensors_created == second.sensors_updated == 0
    assert _counts(db, first.organization_id) == before
    with db.transaction(first.organization_id) as s:
        from records import system_caller

        caller = system_caller(first.organization_id)
        me1 = register.get_equipment_by_code(s, caller, first.vessel_id, "601.1")
        assert me1.aliases == ["ME1", "port main engine"]
        assert me1.equipment_class == "main_engine"
        assert me1.parent_id == register.get_equipment_by_code(s, caller, first.vessel_id, "601").id
        tree = register.equipment_tree(s, caller, first.vessel_id)
        assert [c["code"] for c in tree[0]["children"]] == ["601.1", "601.2"]


def test_changes_update_and_missing_items_are_listed_then_pruned(db: Database) -> None:
    text = REGISTER.format(org="Import Co B", imo="9100002")
    first = _import(db, text)
    changed = text.replace("Main engine No. 2", "Main engine No. 2 (stbd)").replace(
        """          - code: "601.1.10"
            name: Fuel injection pump
            aliases: [fuel pump]
""",
        "",
    )
    second = _import(db, changed)
    assert second.updated == 1 and second.missing == ["601.1.10"]
    third = _import(db, changed, prune=True)
    assert third.pruned == ["601.1.10"]
    assert _counts(db, first.organization_id)[0] == 4


@pytest.mark.parametrize(
    ("mutation", "line", "words"),
    [
        (("high: 480}", "high: hot}"), 16, "high"),
        (('code: "601.2.10"', 'code: "601.1"'), 28, "duplicate code"),
        (("{tag: ME1_LO_P,", "{tag: ME1_EXH_T,"), 17, "duplicate sensor tag"),
        (("criticality: high", "criticality: extreme"), 14, "criticality"),
        (("aliases: [ME2, stbd main engine]", "aliases: [ME2, stbd main engine"), None, "YAML"),
    ],
)
def test_bad_register_is_rejected_with_line_and_nothing_imported(
    db: Database, mutation: tuple[str, str], line: int | None, words: str
) -> None:
    imo = f"92{abs(hash(mutation)) % 100000:05d}"
    text = REGISTER.format(org="Import Co C", imo=imo).replace(*mutation)
    with pytest.raises(RegisterError) as info:
        _import(db, text)
    assert words in str(info.value)
    if line is not None:
        assert info.value.line == line, str(info.value)
    with db.transaction(ALL_TENANTS) as s:
        assert s.scalar(select(Vessel).where(Vessel.imo == imo)) is None


def test_failure_mid_import_leaves_nothing(db: Database) -> None:
    text = REGISTER.format(org="Import Co D", imo="9100004")
    spec = register_import.parse_yaml(text)
    spec.equipment[-1].parent_code = "does-not-exist-yet"  # fails at the last item
    spec.equipment[-1].sensors = []
    with db.transaction(ALL_TENANTS) as s:
        org_id = register_import.resolve_organization(s, spec.organization).id
    with pytest.raises(RuntimeError), db.transaction(org_id) as s:
        register_import.import_register(s, spec)
        s.flush()
        raise RuntimeError("simulated failure after the last item")
    with db.transaction(ALL_TENANTS) as s:
        assert s.scalar(select(Vessel).where(Vessel.imo == "9100004")) is None


def test_csv_register_with_sensors(db: Database, tmp_path: Path) -> None:
    reg = tmp_path / "register.csv"
    reg.write_text(
        "code,parent_code,name,aliases,class,maker,model,serial,criticality\n"
        "700,,Thrusters,,,,,,\n"
        "700.1,700,Bow thruster,BT1|bow thruster,thruster,Brunvoll,FU-63,S1,high\n"
    )
    sensors = tmp_path / "sensors.csv"
    sensors.write_text(
        "tag,equipment_code,name,unit,low,high,counter\n"
        "BT1_MOTOR_T,700.1,Motor temperature,degC,,120,\n"
        "BT1_RH,700.1,Running hours,h,,,running_hours\n"
    )
    spec = register_import.load_file(
        reg, vessel_name="MV Csv", imo="9100005", organization="Csv Co", sensors_path=sensors
    )
    with db.transaction(ALL_TENANTS) as s:
        org_id = register_import.resolve_organization(s, spec.organization).id
    with db.transaction(org_id) as s:
        report = register_import.import_register(s, spec)
    assert (report.created, report.sensors_created) == (2, 2)
    bad = tmp_path / "bad_sensors.csv"
    bad.write_text(
        "tag,equipment_code,name,unit,low,high,counter\nX1,700.1,Ok,,,,\nX2,999,Broken,,,,\n"
    )
    with pytest.raises(RegisterError) as info:
        register_import.load_file(reg, vessel_name="MV Csv", imo="9100005", sensors_path=bad)
    assert info.value.line == 3 and "999" in str(info.value)
    with pytest.raises(RegisterError) as info:
        register_import.load_file(reg)
    assert "--vessel-name" in str(info.value)
