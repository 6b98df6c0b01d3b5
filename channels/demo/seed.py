"""Seed the demo vessel: register, users and keys, parts and stock, plans, six months of history.

Each step records itself in ``system_state`` when done, so an interrupted first start
finishes on the next one without doing any step twice.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from records import (
    ALL_TENANTS,
    Caller,
    Database,
    Fault,
    FaultStatus,
    MaintenancePlan,
    PartUsage,
    Role,
    SystemState,
    Vessel,
    WorkOrder,
    WorkOrderStatus,
    parts,
    plans,
    register,
    register_import,
    system_caller,
    users,
    utcnow,
    vessel_history,
)
from records.demo import (
    RUNS_WITH,
    demo_users,
    generate_history,
    load_parts,
    load_plans,
    register_path,
)

log = logging.getLogger(__name__)

DEMO_STATE_KEY = "demo"
DEMO_KEYS_FILE = "demo-keys.txt"
"""Where first start writes the demo users' keys, under ``BOSUN_HOME`` (owner-readable)."""
HISTORY_DAYS = 182
_WO_STATUS = {"completed": WorkOrderStatus.done}


@dataclass
class DemoResult:
    """What seeding produced: the vessel and the keys created now (shown once)."""

    org_id: int
    vessel_id: int
    keys: list[tuple[str, str, str]] = field(default_factory=list)
    """(email, role, secret) of keys created by this run."""
    steps_done: list[str] = field(default_factory=list)


def _done_steps(db: Database) -> dict[str, object]:
    with db.transaction(ALL_TENANTS) as s:
        row = s.get(SystemState, DEMO_STATE_KEY)
        return dict(row.value) if row else {}


def _mark(session: Session, step: str, **extra: object) -> None:
    row = session.get(SystemState, DEMO_STATE_KEY)
    if row is None:
        row = SystemState(key=DEMO_STATE_KEY, value={})
        session.add(row)
    row.value = {**row.value, step: {"at": utcnow().isoformat(), **extra}}


def is_seeded(db: Database) -> bool:
    """Whether every demo step has completed."""
    return "history" in _done_steps(db)


def seed_demo(
    db: Database, *, progress: Callable[[str], None] = log.info, keys_file: Path | None = None
) -> DemoResult:
    """Load the demo vessel into the database (each step once, resumable)."""
    done = _done_steps(db)
    spec = register_import.load_file(register_path())
    with db.transaction(ALL_TENANTS) as s:
        org_id = register_import.resolve_organization(s, spec.organization).id
    system = system_caller(org_id, channel="demo")

    if "register" not in done:
        progress("demo: importing the register of MV Northern Bosun")
    with db.transaction(org_id) as s:
        report = register_import.import_register(s, spec, caller=system)
        vessel_id = report.vessel_id
        _mark(s, "register", vessel_id=vessel_id)
    result = DemoResult(org_id=org_id, vessel_id=vessel_id)

    if "users" not in done:
        progress("demo: creating one user per role, with API keys")
        with db.transaction(org_id) as s:
            for demo_user in demo_users():
                user = users.find_user_by_email(s, system, demo_user.email) or users.create_user(
                    s,
                    system,
                    name=demo_user.name,
                    email=demo_user.email,
                    role=demo_user.role,
                    vessel_ids=[vessel_id],
                    position=demo_user.position,
                )
                s.flush()
                issued = users.create_api_key(s, system, user=user, name="demo key")
                result.keys.append((user.email, user.role.value, issued.secret))
            _mark(s, "users")
        if keys_file is not None:
            keys_file.parent.mkdir(parents=True, exist_ok=True)
            keys_file.write_text(
                "".join(f"{role}\t{email}\t{secret}\n" for email, role, secret in result.keys)
            )
            keys_file.chmod(0o600)

    end = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=HISTORY_DAYS)
    if "history" not in done:
        progress(f"demo: generating {HISTORY_DAYS} days of fault and work-order history")
        history = generate_history(start, end)
        with db.transaction(org_id) as s:
            _load_history(s, system, vessel_id, history)
            _mark(s, "history", start=start.isoformat(), end=end.isoformat())
        progress(
            f"demo: {len(history.faults)} faults, {len(history.work_orders)} work orders loaded"
        )
    result.steps_done = sorted(_done_steps(db))
    return result


def _load_history(session: Session, system: Caller, vessel_id: int, history: object) -> None:
    """Write the generated history with its own timestamps (a backfill, not live edits)."""
    from records.demo import DemoHistory

    assert isinstance(history, DemoHistory)
    eq = {e.code: e for e in vessel_history.vessel_equipment(session, system, vessel_id)}
    by_id = {e.id: e for e in eq.values()}
    people = {u.role.value: u.id for u in users.organization_users(session, system)}

    catalogue = {}
    for p in load_parts():
        part = parts.upsert_part(
            session, system, number=p.number, name=p.name, unit=p.unit, equipment_codes=list(p.fits)
        )
        catalogue[p.number] = part
    session.flush()
    for number, part in catalogue.items():
        spec = next(p for p in load_parts() if p.number == number)
        parts.set_stock(
            session,
            system,
            vessel_id,
            part,
            quantity=float(history.final_stock.get(number, spec.stock)),
            minimum=spec.min_stock,
        )

    for code, hours in history.initial_running_hours.items():
        if code in eq:
            eq[code].running_hours = hours
    hours_log: dict[str, list[tuple[datetime, float]]] = {}
    for reading in history.running_hours:
        if reading.equipment_code in eq:
            e = eq[reading.equipment_code]
            e.running_hours, e.running_hours_at = reading.hours, reading.at
            hours_log.setdefault(reading.equipment_code, []).append((reading.at, reading.hours))
    # Items without a counter of their own that run with another (gearboxes with their
    # engine) carry its hours, so their hour-based plans fall due as in the history.
    for code, engine in RUNS_WITH.items():
        if code in eq and engine in eq:
            eq[code].running_hours = eq[engine].running_hours
            eq[code].running_hours_at = eq[engine].running_hours_at

    parent_code = {e.code: by_id[e.parent_id].code for e in eq.values() if e.parent_id in by_id}

    def owner(code: str) -> str:
        """Return the item whose counter a plan on ``code`` runs on (itself or up the tree)."""
        current: str | None = code
        while current is not None:
            if current in history.initial_running_hours:
                return current
            if current in RUNS_WITH:
                return RUNS_WITH[current]
            current = parent_code.get(current)
        return code

    def initial(code: str) -> float:
        return history.initial_running_hours.get(owner(code), 0.0)

    def hours_at(code: str, at: datetime) -> float:
        log_ = hours_log.get(owner(code), [])
        i = bisect.bisect_right(log_, (at, float("inf")))
        return log_[i - 1][1] if i else initial(code)

    plan_rows: dict[str, MaintenancePlan] = {}
    for plan in load_plans():
        if plan.equipment_code not in eq:
            continue
        plan_row = plans.create_plan(
            session,
            system,
            equipment_id=eq[plan.equipment_code].id,
            title=plan.title,
            kind=plan.kind,
            every_hours=plan.every_hours,
            every_days=plan.every_days,
            last_done_at=history.start,
            last_done_hours=initial(plan.equipment_code),
        )
        plan_rows[plan.title] = plan_row

    fault_ids: dict[int, int] = {}
    for f in history.faults:
        fault_row = Fault(
            org_id=system.org_id,
            vessel_id=vessel_id,
            equipment_id=eq[f.equipment_code].id,
            title=f.title,
            description=f.description,
            priority=f.priority,
            status=FaultStatus(f.status),
            reported_by_id=people.get(f.reported_by),
            reported_via=f.reported_via,
            root_cause=f.root_cause,
            notes=[],
            attachments=[],
            opened_at=f.reported_at,
            updated_at=f.history[-1].at,
        )
        for step in f.history:
            if step.status == "acknowledged":
                fault_row.acknowledged_at = step.at
            elif step.status == "resolved":
                fault_row.resolved_at = step.at
            elif step.status == "closed":
                fault_row.closed_at = step.at
        session.add(fault_row)
        session.flush()
        fault_ids[f.number] = fault_row.id

    for w in history.work_orders:
        done_plan = plan_rows.get(w.plan_title or "")
        status = _WO_STATUS.get(w.status) or WorkOrderStatus(w.status)
        wo_row = WorkOrder(
            org_id=system.org_id,
            vessel_id=vessel_id,
            equipment_id=eq[w.equipment_code].id,
            fault_id=fault_ids.get(w.fault_number) if w.fault_number else None,
            plan_id=done_plan.id if done_plan else None,
            kind=w.kind,
            title=w.title,
            description=w.description,
            priority=w.priority,
            status=status,
            assignee_id=people.get(w.assignee_role),
            created_by_id=people.get("chief_engineer"),
            due=w.due_at,
            hours=w.hours or 0.0,
            notes=[],
            created_at=w.created_at,
            completed_at=w.completed_at,
            updated_at=w.history[-1].at if w.history else w.created_at,
        )
        session.add(wo_row)
        session.flush()
        for use in w.parts_used:
            used = catalogue.get(use.part_number)
            if used is not None:
                session.add(
                    PartUsage(
                        org_id=system.org_id,
                        work_order_id=wo_row.id,
                        part_id=used.id,
                        quantity=use.quantity,
                        used_at=w.completed_at or w.created_at,
                    )
                )
        if (
            done_plan is not None
            and status is WorkOrderStatus.done
            and w.completed_at
            and (done_plan.last_done_at is None or w.completed_at > done_plan.last_done_at)
        ):
            done_plan.last_done_at = w.completed_at
            done_plan.last_done_hours = hours_at(w.equipment_code, w.completed_at)
    session.flush()


def counter_points(db: Database) -> dict[str, list[tuple[float, float]]]:
    """Return, by counter tag, the demo history's running hours as (epoch seconds, hours).

    The simulator pins its counters to these points, so backfilled counter readings and live
    counters start from the hours the register was loaded with. Empty before seeding.
    """
    state = _done_steps(db).get("history")
    if not isinstance(state, dict) or "start" not in state or "end" not in state:
        return {}
    history = generate_history(
        datetime.fromisoformat(str(state["start"])), datetime.fromisoformat(str(state["end"]))
    )
    tags = {r.equipment_code: r.sensor_tag for r in history.running_hours}
    points: dict[str, list[tuple[float, float]]] = {
        tags[code]: [(history.start.timestamp(), hours)]
        for code, hours in history.initial_running_hours.items()
        if code in tags
    }
    for reading in history.running_hours:
        points.setdefault(reading.sensor_tag, []).append((reading.at.timestamp(), reading.hours))
    return points


def history_end(db: Database) -> datetime | None:
    """Return the instant the seeded demo history ends (a midnight UTC); None before seeding."""
    state = _done_steps(db).get("history")
    if not isinstance(state, dict) or "end" not in state:
        return None
    return datetime.fromisoformat(str(state["end"]))


def demo_vessel_id(db: Database) -> int | None:
    """Return the demo vessel's id once seeded."""
    state = _done_steps(db).get("register")
    return int(state["vessel_id"]) if isinstance(state, dict) and "vessel_id" in state else None


def demo_vessel(db: Database, *, seeded: bool = True) -> tuple[int, int] | None:
    """Return (org id, vessel id) of the demo vessel, or None when it is not in the database.

    ``seeded``: the vessel ``bosun demo`` seeded (the live demo's steps run for it only);
    otherwise the oldest vessel with the demo register's IMO, however it was imported.
    """
    if seeded:
        vessel_id = demo_vessel_id(db)
        if vessel_id is None:
            return None
        with db.transaction(ALL_TENANTS) as s:
            vessel = s.get(Vessel, vessel_id)
            return None if vessel is None else (vessel.org_id, vessel.id)
    imo = register_import.load_file(register_path()).vessel.imo
    with db.transaction(ALL_TENANTS) as s:
        found = register.first_vessel_with_imo(s, imo)
        return None if found is None else (found.org_id, found.id)


def first_admin(db: Database) -> Caller | None:
    """Return a caller for the first admin user, if any (for local CLI work)."""
    with db.transaction(ALL_TENANTS) as s:
        user = users.first_user_with_role(s, Role.admin, active_only=False)
        return users.caller_for(user, "cli") if user else None
