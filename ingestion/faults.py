"""Fault histories as passages: records of past faults and CSV exports of other systems."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingestion.chunk import DocumentScope, passage_id
from ingestion.errors import MappingError, UnreadableFileError
from knowledge import Passage

_PLACEHOLDER_RE = re.compile(r"\{([^{}]+)\}")
_DATE_FORMATS = ("%Y%m%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")
FIELDS = (
    "date",
    "equipment",
    "equipment_code",
    "symptom",
    "cause",
    "action",
    "outcome",
    "reference",
)


@dataclass(frozen=True, slots=True)
class FaultRecord:
    """One past fault or work order, as the knowledge base should read it."""

    date: str | None
    """ISO date (YYYY-MM-DD) of the fault or work."""
    equipment: str | None
    symptom: str | None
    cause: str | None = None
    action: str | None = None
    outcome: str | None = None
    reference: str | None = None
    """Identifier in the source system (fault or work-order number)."""
    equipment_codes: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    """Further labelled facts, e.g. (("model", "model3"),)."""


def fault_text(record: FaultRecord) -> str:
    """Render a record as one readable line: date — equipment: symptom; cause; action."""
    head = " — ".join(p for p in (record.date, record.equipment) if p)
    parts = [record.symptom] if record.symptom else []
    for label, value in (
        ("cause", record.cause),
        ("action", record.action),
        ("outcome", record.outcome),
        *record.details,
    ):
        if value:
            parts.append(f"{label}: {value}")
    body = "; ".join(parts)
    text = f"{head}: {body}" if head and body else head or body
    if record.reference:
        text += f" (ref {record.reference})"
    return text


def fault_passages(
    records: Iterable[FaultRecord], scope: DocumentScope, *, title: str = "Fault history"
) -> list[Passage]:
    """Turn fault records into passages of kind 'fault_history', one per record."""
    passages: list[Passage] = []
    for ordinal, record in enumerate(records):
        codes = tuple(dict.fromkeys((*scope.equipment_codes, *record.equipment_codes)))
        passages.append(
            Passage(
                id=passage_id(scope.document_id, scope.version, ordinal),
                org_id=scope.org_id,
                document_id=scope.document_id,
                document_version=scope.version,
                text=fault_text(record),
                title=scope.title or title,
                kind="fault_history",
                section=record.equipment,
                page=None,
                vessel_id=scope.vessel_id,
                equipment_codes=codes,
                tags=scope.tags,
                ordinal=ordinal,
            )
        )
    return passages


class JoinSpec(BaseModel):
    """A second CSV looked up for each main row (first match wins), referenced as {name.col}."""

    model_config = ConfigDict(extra="forbid")

    name: str
    file: str
    match: dict[str, str] = Field(description="main column -> column of this file")
    encoding: str = "utf-8-sig"
    delimiter: str = ","


class FaultMapping(BaseModel):
    """Which CSV columns hold which facts; a value is a column name or a '{col}' template."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    file: str | None = None
    """Main CSV, relative to the mapping file (or given separately)."""
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    date: str | None = None
    date_format: str | None = None
    equipment: str | None = None
    equipment_code: str | None = None
    symptom: str | None = None
    cause: str | None = None
    action: str | None = None
    outcome: str | None = None
    reference: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    joins: list[JoinSpec] = Field(default_factory=list)
    required: list[str] = Field(default_factory=lambda: ["symptom"])

    @field_validator("required")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in FIELDS]
        if unknown:
            raise ValueError(f"unknown required field(s) {unknown}; choose from {FIELDS}")
        return value

    @classmethod
    def from_yaml(cls, path: str | Path) -> FaultMapping:
        """Load a mapping from a YAML file."""
        source = Path(path)
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise MappingError(f"cannot read the mapping ({err})", path=str(source)) from err
        return cls.from_options(data or {}, where=str(source))

    @classmethod
    def from_options(cls, options: Mapping[str, Any], *, where: str | None = None) -> FaultMapping:
        """Build a mapping from CLI-style options, e.g. {'symptom': 'PROBLEM'}."""
        try:
            return cls.model_validate(dict(options))
        except ValidationError as err:
            raise MappingError(f"invalid column mapping: {err}", path=where) from err

    def specs(self) -> dict[str, str]:
        """Return every field (and detail label) with its column or template."""
        found = {f: getattr(self, f) for f in FIELDS if getattr(self, f)}
        found.update({f"details.{k}": v for k, v in self.details.items()})
        return found


@dataclass(frozen=True, slots=True)
class RowError:
    """A CSV row that could not be imported."""

    line: int
    reason: str


@dataclass(slots=True)
class FaultImportResult:
    """Records read from a CSV export, with the rows that were skipped and why."""

    source: str
    records: list[FaultRecord] = field(default_factory=list)
    rows_read: int = 0
    malformed: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        """Return a one-line account of the import."""
        text = f"{self.source}: {len(self.records)} records from {self.rows_read} rows"
        if self.malformed:
            lines = ", ".join(str(e.line) for e in self.malformed[:10])
            more = " ..." if len(self.malformed) > 10 else ""
            text += f", {len(self.malformed)} malformed (lines {lines}{more})"
        return text


def _references(spec: str) -> list[str]:
    return _PLACEHOLDER_RE.findall(spec) if "{" in spec else [spec]


def _resolve(spec: str, row: Mapping[str, str]) -> str | None:
    """Fill a column name or template from a row; empty when any referenced value is empty."""
    if "{" not in spec:
        return row.get(spec) or None
    values: dict[str, str] = {}
    for name in _PLACEHOLDER_RE.findall(spec):
        value = row.get(name, "")
        if not value:
            return None
        values[name] = value
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], spec).strip() or None


def parse_date(value: str, fmt: str | None = None) -> str:
    """Return an ISO date for `value`, trying `fmt`, ISO 8601 and common export formats."""
    text = value.strip()
    if fmt:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError as err:
            raise ValueError(f"date {text!r} does not match the format {fmt!r}") from err
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        pass
    for candidate in _DATE_FORMATS:
        try:
            return datetime.strptime(text, candidate).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"date {text!r} not understood; give date_format in the mapping")


def _read_rows(
    path: Path, encoding: str, delimiter: str
) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Yield (line, fields, error) for each CSV row after the header; the header first."""
    try:
        handle = path.open(encoding=encoding, errors="replace", newline="")
    except OSError as err:
        raise UnreadableFileError(f"cannot read the CSV ({err.strerror})", path=str(path)) from err
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                yield start, None, f"unreadable CSV row ({err})"
                continue
            yield start, fields, None


def _load_join(
    spec: JoinSpec, base: Path
) -> tuple[dict[tuple[str, ...], dict[str, str]], set[str]]:
    path = (base / spec.file) if not Path(spec.file).is_absolute() else Path(spec.file)
    rows = _read_rows(path, spec.encoding, spec.delimiter)
    header_row = next(rows, None)
    if header_row is None or header_row[1] is None:
        raise MappingError(f"join '{spec.name}': {path} has no header row", path=str(path))
    header = [h.strip() for h in header_row[1]]
    missing = [c for c in spec.match.values() if c not in header]
    if missing:
        raise MappingError(
            f"join '{spec.name}': columns {missing} not in {path.name} (has {header})",
            path=str(path),
        )
    table: dict[tuple[str, ...], dict[str, str]] = {}
    for _, fields, _error in rows:
        if fields is None or len(fields) != len(header):
            continue
        record = {h: v.strip() for h, v in zip(header, fields, strict=True)}
        key = tuple(record[c] for c in spec.match.values())
        table.setdefault(key, record)
    return table, set(header)


def import_fault_csv(
    path: str | Path, mapping: FaultMapping, *, join_dir: str | Path | None = None
) -> FaultImportResult:
    """Read a CSV export into FaultRecords; malformed rows are counted with their line numbers."""
    source = Path(path)
    base = Path(join_dir) if join_dir is not None else source.parent
    joins = [(spec, *_load_join(spec, base)) for spec in mapping.joins]
    result = FaultImportResult(source=source.name)
    rows = _read_rows(source, mapping.encoding, mapping.delimiter)
    header_row = next(rows, None)
    if header_row is None or header_row[1] is None:
        raise MappingError("the CSV has no header row", path=str(source))
    header = [h.strip() for h in header_row[1]]
    available = set(header)
    for spec, _table, columns in joins:
        missing = [c for c in spec.match if c not in header]
        if missing:
            raise MappingError(
                f"join '{spec.name}': main columns {missing} not in the CSV (has {header})",
                path=str(source),
            )
        available |= {f"{spec.name}.{c}" for c in columns}
    specs = mapping.specs()
    unknown = sorted({r for s in specs.values() for r in _references(s) if r not in available})
    if unknown:
        raise MappingError(
            f"the mapping names columns {unknown} that are not in the CSV; columns are {header}",
            path=str(source),
        )
    for line, fields, error in rows:
        if fields is not None and not any(f.strip() for f in fields):
            continue
        result.rows_read += 1
        if error is not None or fields is None:
            result.malformed.append(RowError(line, error or "unreadable row"))
            continue
        if len(fields) != len(header):
            result.malformed.append(
                RowError(line, f"expected {len(header)} fields, found {len(fields)}")
            )
            continue
        row = {h: v.strip() for h, v in zip(header, fields, strict=True)}
        for spec, table, _columns in joins:
            match = table.get(tuple(row[c] for c in spec.match))
            if match:
                row.update({f"{spec.name}.{k}": v for k, v in match.items()})
        try:
            result.records.append(_record(row, mapping, specs))
        except ValueError as err:
            result.malformed.append(RowError(line, str(err)))
    return result


def _record(row: Mapping[str, str], mapping: FaultMapping, specs: Mapping[str, str]) -> FaultRecord:
    values = {name: _resolve(spec, row) for name, spec in specs.items()}
    for name in mapping.required:
        if not values.get(name):
            raise ValueError(f"no value for required field '{name}' ({specs.get(name)})")
    date = values.get("date")
    if date:
        date = parse_date(date, mapping.date_format)
    code = values.get("equipment_code")
    return FaultRecord(
        date=date,
        equipment=values.get("equipment"),
        symptom=values.get("symptom"),
        cause=values.get("cause"),
        action=values.get("action"),
        outcome=values.get("outcome"),
        reference=values.get("reference"),
        equipment_codes=(code,) if code else (),
        details=tuple(
            (label, value) for label in mapping.details if (value := values.get(f"details.{label}"))
        ),
    )


def import_fault_mapping(
    mapping: FaultMapping | str | Path,
    *,
    data_dir: str | Path,
    csv_path: str | Path | None = None,
) -> FaultImportResult:
    """Import the CSV a mapping names (or `csv_path`); its files are relative to `data_dir`."""
    loaded = mapping if isinstance(mapping, FaultMapping) else FaultMapping.from_yaml(mapping)
    base = Path(data_dir)
    if csv_path is None:
        if not loaded.file:
            raise MappingError("the mapping names no 'file'; pass the CSV path")
        csv_path = base / loaded.file
    return import_fault_csv(csv_path, loaded, join_dir=base)


def mapping_from_cli(options: Iterable[str]) -> FaultMapping:
    """Build a mapping from 'field=column' options, e.g. ['symptom=PROBLEM', 'details.ac={AC}']."""
    data: dict[str, Any] = {}
    for option in options:
        key, sep, value = option.partition("=")
        key = key.strip().lstrip("-").replace("-", "_")
        if not sep or not key:
            raise MappingError(f"option {option!r} is not field=column")
        if key.startswith("details."):
            data.setdefault("details", {})[key.removeprefix("details.")] = value
        elif key == "required":
            data["required"] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            data[key] = value
    return FaultMapping.from_options(data, where="command line")
