from __future__ import annotations

from pathlib import Path

import pytest

from ingestion import (
    DocumentScope,
    FaultMapping,
    FaultRecord,
    MappingError,
    fault_passages,
    fault_text,
    import_fault_csv,
    import_fault_mapping,
    mapping_from_cli,
    passage_id,
)

MAPPINGS = Path(__file__).resolve().parents[2] / "ingestion" / "mappings"
DATASETS = Path("/work/shared/datasets")

MAPPING_YAML = """
title: Engine room work orders
file: faults.csv
date: date
equipment: "machine {machine}"
equipment_code: "M{machine}"
symptom: problem
cause: cause
action: action
reference: work_order
details:
  model: "{machines.model}"
joins:
  - name: machines
    file: machines.csv
    match: {machine: machine}
required: [date, symptom]
"""


@pytest.fixture()
def mapping(tmp_path: Path) -> FaultMapping:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING_YAML, encoding="utf-8")
    return FaultMapping.from_yaml(path)


def test_csv_import_with_join_and_malformed_rows(
    corpus: dict[str, Path], mapping: FaultMapping
) -> None:
    result = import_fault_mapping(mapping, data_dir=corpus["faults.csv"].parent)
    assert result.rows_read == 6
    assert [r.reference for r in result.records] == ["WO-1", "WO-2", "WO-6"]
    # Header is line 1: WO-3 (line 4) lacks a field, WO-4 has a bad date, WO-5 no problem.
    assert [e.line for e in result.malformed] == [4, 5, 6]
    assert "expected 6 fields, found 5" in result.malformed[0].reason
    assert "not-a-date" in result.malformed[1].reason
    assert "symptom" in result.malformed[2].reason
    assert "3 malformed (lines 4, 5, 6)" in result.summary()

    first = result.records[0]
    assert first.equipment_codes == ("M17",)
    assert fault_text(first) == (
        "2015-03-02 — machine 17: comp2 vibration high; cause: bearing wear; "
        "action: replaced comp2 bearing; model: model3 (ref WO-1)"
    )
    # A join without a match leaves its template out rather than printing a half sentence.
    assert fault_text(result.records[2]) == (
        "2015-06-06 — machine 12: starter fails; cause: relay; action: replaced relay (ref WO-6)"
    )


def test_fault_passages_are_scoped_history(corpus: dict[str, Path], mapping: FaultMapping) -> None:
    result = import_fault_mapping(mapping, data_dir=corpus["faults.csv"].parent)
    scope = DocumentScope(org_id=5, document_id=9, version=1, vessel_id=2, tags=("import",))
    passages = fault_passages(result.records, scope, title=mapping.title or "")
    assert [p.kind for p in passages] == ["fault_history"] * 3
    assert passages[0].id == passage_id(9, 1, 0)
    assert passages[0].section == "machine 17"
    assert passages[0].equipment_codes == ("M17",)
    assert (passages[0].org_id, passages[0].vessel_id, passages[0].tags) == (5, 2, ("import",))
    assert passages[0].title == "Engine room work orders"


def test_mapping_from_command_line_options(corpus: dict[str, Path]) -> None:
    mapping = mapping_from_cli(
        ["--symptom=problem", "action=action", "date=date", "required=symptom"]
    )
    result = import_fault_csv(corpus["faults.csv"], mapping)
    # The date is not required here, but a date that is given must still be understood.
    assert [e.line for e in result.malformed] == [4, 5, 6]
    assert result.records[1].date == "2015-03-09"
    assert fault_text(result.records[1]) == "2015-03-09: comp1 overheating; action: cleaned cooler"


def test_record_text_without_csv() -> None:
    record = FaultRecord(
        date="2026-11-02",
        equipment="ME.FP2 main engine fuel pump 2",
        symptom="leaking at the plunger",
        cause="worn O-ring",
        action="replaced O-ring, tested",
        outcome="resolved",
        reference="F-17",
    )
    assert fault_text(record) == (
        "2026-11-02 — ME.FP2 main engine fuel pump 2: leaking at the plunger; "
        "cause: worn O-ring; action: replaced O-ring, tested; outcome: resolved (ref F-17)"
    )


def test_mapping_errors_name_the_columns(corpus: dict[str, Path]) -> None:
    with pytest.raises(MappingError, match=r"\['PROBLEM'\].*columns are"):
        import_fault_csv(corpus["faults.csv"], mapping_from_cli(["symptom=PROBLEM"]))
    with pytest.raises(MappingError, match="unknown required"):
        mapping_from_cli(["symptom=problem", "required=colour"])
    with pytest.raises(MappingError, match="field=column"):
        mapping_from_cli(["symptom"])


def test_shipped_mappings_load() -> None:
    names = sorted(p.name for p in MAPPINGS.glob("*.yaml"))
    assert names == [
        "azure_pdm_failures.yaml",
        "azure_pdm_maintenance.yaml",
        "faa_aid.yaml",
        "maintnet_logbook.yaml",
    ]
    for path in MAPPINGS.glob("*.yaml"):
        assert FaultMapping.from_yaml(path).file


@pytest.mark.skipif(not (DATASETS / "azure_pdm").is_dir(), reason="shared datasets absent")
def test_azure_pdm_failures_import() -> None:
    result = import_fault_mapping(
        MAPPINGS / "azure_pdm_failures.yaml", data_dir=DATASETS / "azure_pdm"
    )
    assert len(result.records) == 761
    assert not result.malformed
    first = fault_text(result.records[0])
    assert first.startswith("2015-01-05 — machine 1: failure of comp4; action: replaced comp4")


@pytest.mark.skipif(not (DATASETS / "omin_faa_maintnet").is_dir(), reason="shared datasets absent")
def test_maintnet_logbook_import() -> None:
    result = import_fault_mapping(
        MAPPINGS / "maintnet_logbook.yaml", data_dir=DATASETS / "omin_faa_maintnet"
    )
    assert len(result.records) == 6169
    assert fault_text(result.records[1]) == (
        "ENGINE IDLE OVERRIDE KILLED ENGINE.; action: REMOVED & REPLACED FUEL SERVO (ref 100002)"
    )
