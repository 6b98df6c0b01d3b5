"""Import a vessel's equipment register from YAML or CSV: idempotent and all-or-nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from records.context import Caller, system_caller
from records.errors import BosunError, ErrorCode
from records.models import Criticality, Equipment, Organization, Sensor
from records.register import (
    delete_equipment,
    get_or_create_organization,
    upsert_equipment,
    upsert_sensor,
    upsert_vessel,
)


class RegisterError(BosunError):
    """A register file that cannot be imported; the message names the line and the problem."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}, line {line}" if line else source
        super().__init__(ErrorCode.invalid, f"{where}: {problem}", line=line)
        self.line = line


class SensorSpec(BaseModel):
    """A sensor as written in a register file."""

    model_config = ConfigDict(extra="forbid")

    tag: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1)
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    counter: str | None = None
    line: int | None = Field(default=None, exclude=True)

    @field_validator("counter")
    @classmethod
    def _counter(cls, v: str | None) -> str | None:
        if v not in (None, "running_hours"):
            raise ValueError("counter must be running_hours")
        return v


class EquipmentSpec(BaseModel):
    """A node of the equipment tree as written in a register file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    equipment_class: str | None = Field(default=None, alias="class")
    maker: str | None = None
    model: str | None = None
    serial: str | None = None
    criticality: Criticality | None = None
    sensors: list[SensorSpec] = Field(default_factory=list)
    children: list[EquipmentSpec] = Field(default_factory=list)
    parent_code: str | None = Field(default=None, exclude=True)
    line: int | None = Field(default=None, exclude=True)

    @field_validator("code", "maker", "model", "serial", mode="before")
    @classmethod
    def _as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Any:
        return [str(a) for a in v] if isinstance(v, list) else v


class VesselSpec(BaseModel):
    """The vessel a register describes."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    imo: str = Field(min_length=1)
    type: str | None = None

    @field_validator("imo", mode="before")
    @classmethod
    def _imo(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


@dataclass
class RegisterSpec:
    """A parsed, validated register: flat equipment list in tree order."""

    vessel: VesselSpec
    organization: str | None
    equipment: list[EquipmentSpec]
    source: str = "register"


@dataclass
class ImportReport:
    """What an import did."""

    vessel_id: int
    organization_id: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sensors_created: int = 0
    sensors_updated: int = 0
    missing: list[str] = field(default_factory=list)
    """Codes in the database but not in the file (kept unless pruned)."""
    pruned: list[str] = field(default_factory=list)


# --- parsing -------------------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers each mapping's line number."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = loader.construct_mapping(node, deep=True)  # type: ignore[assignment]
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__keylines__"] = {
        loader.construct_object(k): k.start_mark.line + 1 for k, _ in node.value
    }
    return mapping


def _error_line(raw: dict[str, Any], err: ValidationError) -> int:
    """Return the line of the key the first validation error is about."""
    loc = err.errors()[0]["loc"]
    lines: dict[Any, int] = raw.get("__keylines__", {})
    line: int = raw["__line__"]
    return lines.get(loc[0], line) if loc else line


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in ("__line__", "__keylines__")}


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _problem(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"{loc}: {first['msg']}" if loc else first["msg"]


def parse_yaml(text: str, source: str = "register.yaml") -> RegisterSpec:
    """Parse and validate a YAML register."""
    try:
        doc = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise RegisterError(
            source,
            mark.line + 1 if mark else None,
            f"not valid YAML: {getattr(err, 'problem', err)}",
        ) from err
    if not isinstance(doc, dict):
        raise RegisterError(source, 1, "expected a mapping with vessel and equipment")
    unknown = set(doc) - {"organization", "vessel", "equipment", "__line__", "__keylines__"}
    if unknown:
        raise RegisterError(source, doc["__line__"], f"unknown keys: {', '.join(sorted(unknown))}")
    vessel_raw = doc.get("vessel")
    if not isinstance(vessel_raw, dict):
        raise RegisterError(source, doc["__line__"], "vessel: {name, imo, type} is required")
    try:
        vessel = VesselSpec.model_validate(_clean(vessel_raw))
    except ValidationError as err:
        raise RegisterError(
            source, _error_line(vessel_raw, err), f"vessel {_problem(err)}"
        ) from err
    items: list[EquipmentSpec] = []

    def walk(nodes: Any, parent: str | None, line: int) -> None:
        if nodes is None:
            return
        if not isinstance(nodes, list):
            raise RegisterError(source, line, "equipment/children must be a list")
        for raw in nodes:
            if not isinstance(raw, dict):
                raise RegisterError(source, line, "each equipment item must be a mapping")
            ln = raw["__line__"]
            children = raw.pop("children", None)
            sensors = raw.pop("sensors", None) or []
            if not isinstance(sensors, list):
                raise RegisterError(source, ln, "sensors must be a list")
            sensor_specs = []
            for s_raw in sensors:
                if not isinstance(s_raw, dict):
                    raise RegisterError(source, ln, "each sensor must be a mapping")
                try:
                    sensor_specs.append(
                        SensorSpec.model_validate({**_clean(s_raw), "line": s_raw["__line__"]})
                    )
                except ValidationError as err:
                    raise RegisterError(
                        source, _error_line(s_raw, err), f"sensor {_problem(err)}"
                    ) from err
            try:
                spec = EquipmentSpec.model_validate(
                    {
                        **_clean(raw),
                        "sensors": [],
                        "children": [],
                        "line": ln,
                        "parent_code": parent,
                    }
                )
            except ValidationError as err:
                raise RegisterError(
                    source, _error_line(raw, err), f"equipment {_problem(err)}"
                ) from err
            spec.sensors = sensor_specs
            items.append(spec)
            walk(children, spec.code, ln)

    walk(doc.get("equipment"), None, doc["__line__"])
    org = doc.get("organization")
    spec = RegisterSpec(vessel, str(org) if org else None, items, source)
    _check(spec)
    return spec


CSV_COLUMNS = (
    "code",
    "parent_code",
    "name",
    "aliases",
    "class",
    "maker",
    "model",
    "serial",
    "criticality",
)
SENSOR_COLUMNS = ("tag", "equipment_code", "name", "unit", "low", "high", "counter")


def _csv_rows(
    text: str, source: str, required: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise RegisterError(source, 1, f"missing columns: {', '.join(missing)}")
    extra = [c for c in header if c and c not in required]
    if extra:
        raise RegisterError(source, 1, f"unknown columns: {', '.join(extra)}")
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise RegisterError(source, reader.line_num, "more cells than columns")
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return rows


def _num(value: str, source: str, line: int, column: str) -> float | None:
    if value == "":
        return None
    try:
        return float(value)
    except ValueError as err:
        raise RegisterError(source, line, f"{column}: {value!r} is not a number") from err


def parse_csv(
    text: str,
    *,
    vessel_name: str,
    imo: str,
    organization: str | None = None,
    sensors_text: str | None = None,
    source: str = "register.csv",
    sensors_source: str = "sensors.csv",
) -> RegisterSpec:
    """Parse and validate a CSV register (and optional sensors CSV)."""
    items: list[EquipmentSpec] = []
    by_code: dict[str, EquipmentSpec] = {}
    for line, row in _csv_rows(text, source, CSV_COLUMNS):
        data: dict[str, Any] = {k: v or None for k, v in row.items()}
        data["aliases"] = [a.strip() for a in row["aliases"].split("|") if a.strip()]
        data["line"] = line
        try:
            item = EquipmentSpec.model_validate(data)
        except ValidationError as err:
            raise RegisterError(source, line, _problem(err)) from err
        items.append(item)
        by_code.setdefault(item.code, item)
    if sensors_text is not None:
        for line, row in _csv_rows(sensors_text, sensors_source, SENSOR_COLUMNS):
            owner = by_code.get(row["equipment_code"])
            if owner is None:
                raise RegisterError(
                    sensors_source, line, f"unknown equipment_code {row['equipment_code']!r}"
                )
            try:
                owner.sensors.append(
                    SensorSpec(
                        tag=row["tag"],
                        name=row["name"],
                        unit=row["unit"] or None,
                        low=_num(row["low"], sensors_source, line, "low"),
                        high=_num(row["high"], sensors_source, line, "high"),
                        counter=row["counter"] or None,
                        line=line,
                    )
                )
            except ValidationError as err:
                raise RegisterError(sensors_source, line, _problem(err)) from err
    register = RegisterSpec(
        VesselSpec(name=vessel_name, imo=imo), organization, _tree_order(items, source), source
    )
    _check(register)
    return register


def _tree_order(items: list[EquipmentSpec], source: str) -> list[EquipmentSpec]:
    """Order items so parents come before children (CSV rows may be in any order)."""
    codes = {i.code for i in items}
    for i in items:
        if i.parent_code and i.parent_code not in codes:
            raise RegisterError(source, i.line, f"parent_code {i.parent_code!r} is not in the file")
    ordered: list[EquipmentSpec] = []
    placed: set[str] = set()
    pending = list(items)
    while pending:
        rest = [i for i in pending if i.parent_code and i.parent_code not in placed]
        ready = [i for i in pending if i not in rest]
        if not ready:
            raise RegisterError(source, rest[0].line, f"parent cycle at {rest[0].code!r}")
        ordered.extend(ready)
        placed.update(i.code for i in ready)
        pending = rest
    return ordered


def _check(spec: RegisterSpec) -> None:
    codes: dict[str, int | None] = {}
    tags: dict[str, int | None] = {}
    for item in spec.equipment:
        if item.code in codes:
            raise RegisterError(
                spec.source,
                item.line,
                f"duplicate code {item.code!r} (first at line {codes[item.code]})",
            )
        codes[item.code] = item.line
        for s in item.sensors:
            if s.tag in tags:
                raise RegisterError(
                    spec.source,
                    s.line or item.line,
                    f"duplicate sensor tag {s.tag!r} (first at line {tags[s.tag]})",
                )
            tags[s.tag] = s.line or item.line
            if s.low is not None and s.high is not None and s.low >= s.high:
                raise RegisterError(
                    spec.source,
                    s.line or item.line,
                    f"sensor {s.tag}: low {s.low} must be below high {s.high}",
                )


def load_file(
    path: Path,
    *,
    vessel_name: str | None = None,
    imo: str | None = None,
    organization: str | None = None,
    sensors_path: Path | None = None,
) -> RegisterSpec:
    """Read a register file, choosing YAML or CSV by its extension."""
    try:
        text = path.read_text(encoding="utf-8")
        sensors_text = sensors_path.read_text(encoding="utf-8") if sensors_path else None
    except (OSError, UnicodeDecodeError) as err:
        raise RegisterError(str(path), None, f"cannot read the file: {err}") from err
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        spec = parse_yaml(text, path.name)
        if organization:
            spec.organization = organization
        return spec
    if suffix == ".csv":
        if not vessel_name or not imo:
            raise RegisterError(
                path.name, None, "a CSV register needs --vessel-name NAME and --imo IMO"
            )
        return parse_csv(
            text,
            vessel_name=vessel_name,
            imo=imo,
            organization=organization,
            sensors_text=sensors_text,
            source=path.name,
            sensors_source=sensors_path.name if sensors_path else "sensors.csv",
        )
    raise RegisterError(path.name, None, "unknown register format: use .yaml, .yml or .csv")


# --- applying ------------------------------------------------------------------------------


def resolve_organization(session: Session, name: str | None) -> Organization:
    """Return the named organization (created if missing), or the only one there is."""
    if name:
        return get_or_create_organization(session, name)
    orgs = list(session.scalars(select(Organization).order_by(Organization.id).limit(2)))
    if len(orgs) == 1:
        return orgs[0]
    if not orgs:
        return get_or_create_organization(session, "Default organization")
    raise BosunError(
        ErrorCode.invalid,
        "several organizations exist: name one with organization: or --organization",
    )


def find_organization(session: Session, name: str | None) -> Organization:
    """Return the named organization (by name or id), or the only one; never create one."""
    if name:
        wanted = name.strip()
        org = session.scalar(select(Organization).where(Organization.name == wanted))
        if org is None and wanted.isdigit():
            org = session.get(Organization, int(wanted))
        if org is None:
            raise BosunError(ErrorCode.not_found, f"no organization named {wanted!r}")
        return org
    orgs = list(session.scalars(select(Organization).order_by(Organization.id).limit(2)))
    if len(orgs) == 1:
        return orgs[0]
    if not orgs:
        raise BosunError(
            ErrorCode.not_found, "no organization yet: import a register with bosun import register"
        )
    raise BosunError(ErrorCode.invalid, "several organizations exist: pass --organization NAME")


def import_register(
    session: Session,
    spec: RegisterSpec,
    *,
    caller: Caller | None = None,
    prune: bool = False,
    organization: str | None = None,
) -> ImportReport:
    """Create or update the vessel and its equipment tree; the caller's transaction commits.

    Equipment in the database but missing from the file is listed, and removed only with
    ``prune``. Importing the same file twice changes nothing. With a caller, an organization
    named by the file (or ``organization``) must be the caller's own: a register never lands
    in an organization other than the one it names.
    """
    named = organization or spec.organization
    if caller is None:
        org = resolve_organization(session, named)
        caller = system_caller(org.id, channel="import")
    elif named:
        own = session.get(Organization, caller.org_id)
        if own is None or own.name != named.strip():
            raise BosunError(
                ErrorCode.invalid,
                f"the register names organization {named!r}, but this key acts for "
                f"{own.name if own else caller.org_id!r}: use that organization's key "
                "(bosun ... --organization NAME), or remove organization: from the file",
                field="organization",
            )
    vessel, _ = upsert_vessel(
        session, caller, name=spec.vessel.name, imo=spec.vessel.imo, type=spec.vessel.type
    )
    session.flush()
    report = ImportReport(vessel_id=vessel.id, organization_id=caller.org_id)
    ids: dict[str, int] = {}
    for item in spec.equipment:
        fields = item.model_dump(
            include={
                "name",
                "aliases",
                "equipment_class",
                "maker",
                "model",
                "serial",
                "criticality",
            }
        )
        eq, changed = upsert_equipment(
            session,
            caller,
            vessel.id,
            code=item.code,
            parent_id=ids.get(item.parent_code) if item.parent_code else None,
            fields=fields,
        )
        session.flush()
        existed = eq.created_at is not None and changed
        ids[item.code] = eq.id
        if not changed:
            report.unchanged += 1
        elif existed and _was_update(session, eq):
            report.updated += 1
        else:
            report.created += 1
        for s in item.sensors:
            sensor_before = session.scalar(
                select(Sensor.id).where(Sensor.vessel_id == vessel.id, Sensor.tag == s.tag)
            )
            _, s_changed = upsert_sensor(
                session, caller, eq, tag=s.tag, fields=s.model_dump(exclude={"tag", "line"})
            )
            if s_changed:
                if sensor_before is None:
                    report.sensors_created += 1
                else:
                    report.sensors_updated += 1
    session.flush()
    in_file = set(ids)
    existing = list(session.scalars(select(Equipment).where(Equipment.vessel_id == vessel.id)))
    missing = sorted((e for e in existing if e.code not in in_file), key=lambda e: e.code)
    report.missing = [e.code for e in missing]
    if prune:
        # Deepest first, so children go before their parents.
        depth = {e.id: e.code.count(".") for e in missing}
        for e in sorted(missing, key=lambda e: -depth[e.id]):
            for child in session.scalars(select(Equipment).where(Equipment.parent_id == e.id)):
                if child.code in in_file:
                    raise BosunError(
                        ErrorCode.conflict, f"cannot prune {e.code}: {child.code} is still under it"
                    )
            delete_equipment(session, caller, e)
            session.flush()
        report.pruned, report.missing = report.missing, []
    return report


def _was_update(session: Session, eq: Equipment) -> bool:
    from records.models import AuditLog

    last = session.scalar(
        select(AuditLog.action)
        .where(AuditLog.entity == "equipment", AuditLog.entity_id == eq.id)
        .order_by(AuditLog.id.desc())
    )
    return last == "update"


def export_register(session: Session, caller: Caller, vessel_id: int) -> dict[str, Any]:
    """Return a vessel's register in the import format (nested equipment with sensors)."""
    from records.register import equipment_of_vessel, get_vessel

    vessel = get_vessel(session, caller, vessel_id)
    org = session.get(Organization, vessel.org_id)
    items = equipment_of_vessel(session, caller, vessel_id)
    sensors: dict[int, list[dict[str, Any]]] = {}
    for s in session.scalars(
        select(Sensor).where(Sensor.vessel_id == vessel_id).order_by(Sensor.tag)
    ):
        entry: dict[str, Any] = {"tag": s.tag, "name": s.name, "unit": s.unit}
        entry |= {
            k: v
            for k, v in (("low", s.low), ("high", s.high), ("counter", s.counter))
            if v is not None
        }
        sensors.setdefault(s.equipment_id, []).append(entry)
    nodes: dict[int, dict[str, Any]] = {}
    for e in items:
        node: dict[str, Any] = {"code": e.code, "name": e.name, "aliases": list(e.aliases or [])}
        for key, value in (
            ("class", e.equipment_class),
            ("maker", e.maker),
            ("model", e.model),
            ("serial", e.serial),
            ("criticality", e.criticality.value if e.criticality else None),
        ):
            if value is not None:
                node[key] = value
        if e.id in sensors:
            node["sensors"] = sensors[e.id]
        nodes[e.id] = node
    roots: list[dict[str, Any]] = []
    for e in items:
        parent = nodes.get(e.parent_id) if e.parent_id else None
        if parent is not None:
            parent.setdefault("children", []).append(nodes[e.id])
        else:
            roots.append(nodes[e.id])
    return {
        "organization": org.name if org else None,
        "vessel": {"name": vessel.name, "imo": vessel.imo, "type": vessel.type},
        "equipment": roots,
    }


def import_report_dict(report: ImportReport) -> dict[str, Any]:
    """Return an import report as plain data."""
    from dataclasses import asdict

    return asdict(report)


def pick_vessel(session: Session, imo: str | None) -> tuple[int, int]:
    """Return (vessel id, org id) for an IMO, or for the only vessel there is (system use)."""
    from records.models import Vessel

    stmt = select(Vessel).order_by(Vessel.id)
    if imo:
        stmt = stmt.where(Vessel.imo == imo)
    found = list(session.scalars(stmt.limit(2)))
    if not found:
        raise BosunError(
            ErrorCode.not_found,
            f"no vessel with IMO {imo}"
            if imo
            else "no vessel yet: import a register with bosun import register FILE",
        )
    if len(found) > 1:
        raise BosunError(ErrorCode.invalid, "several vessels: pass --vessel IMO")
    return found[0].id, found[0].org_id


def vessel_in_organization(session: Session, imo: str, organization: str | None) -> tuple[int, int]:
    """Return (vessel id, org id) of the vessel with this IMO in the named organization.

    The organization may be left out only while the database holds one (system use: a
    session bound to all tenants). IMO numbers are unique within an organization only.
    """
    from records.models import Vessel

    if organization:
        org = session.scalar(select(Organization).where(Organization.name == organization))
        if org is None:
            raise BosunError(ErrorCode.not_found, f"no organization named {organization!r}")
        org_id = org.id
    else:
        orgs = list(session.scalars(select(Organization.id).order_by(Organization.id).limit(2)))
        if len(orgs) > 1:
            raise BosunError(
                ErrorCode.invalid,
                "the database holds several organizations: name the vessel's with a "
                "top-level organization: line",
            )
        if not orgs:
            raise BosunError(ErrorCode.not_found, f"no vessel with IMO {imo}")
        org_id = orgs[0]
    vessel = session.scalar(select(Vessel).where(Vessel.org_id == org_id, Vessel.imo == imo))
    if vessel is None:
        where = f" in organization {organization!r}" if organization else ""
        raise BosunError(ErrorCode.not_found, f"no vessel with IMO {imo}{where}")
    return vessel.id, vessel.org_id
