"""Generate a deterministic, plausible maintenance history for the demo vessel.

The vessel runs a PSV rota (port call, transit, days on DP at an installation, transit back),
which drives the running-hours counters; the maintenance plans raise preventive and
inspection work orders from those counters and the calendar; faults are drawn from
``fault_templates`` in crew language and go through the fault lifecycle with a corrective
work order; parts used come out of the catalogue stock, and supply-boat deliveries top it up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

from records.demo.catalogue import DemoPlan, load_parts, load_plans, load_register_items
from records.demo.fault_templates import SHORT_NAMES, TEMPLATES, FaultTemplate, unit_wear
from records.demo.history_types import (
    FAULT_STATUSES,
    WORK_ORDER_STATUSES,
    Channel,
    DemoFault,
    DemoHistory,
    DemoWorkOrder,
    FaultStatus,
    PartUse,
    Priority,
    Role,
    RunningHoursReading,
    StatusChange,
    StockReceipt,
    WorkOrderKind,
    WorkOrderStatus,
)

DEFAULT_SEED = 20261127
MIN_SPAN = timedelta(days=1)

# Equipment without its own counter that runs whenever another one runs.
RUNS_WITH: dict[str, str] = {"631.1": "601.1", "631.2": "601.2", "631.3": "601.1", "631.4": "601.2"}

_PRIORITIES: tuple[Priority, ...] = ("low", "medium", "high", "critical")
# Hours until a fault is acknowledged, by priority (min, max).
_ACK_HOURS: dict[Priority, tuple[float, float]] = {
    "critical": (0.05, 0.5),
    "high": (0.2, 2.0),
    "medium": (0.5, 10.0),
    "low": (2.0, 30.0),
}
# Hours from acknowledgement until work starts, by priority.
_START_HOURS: dict[Priority, tuple[float, float]] = {
    "critical": (0.1, 1.0),
    "high": (0.5, 6.0),
    "medium": (2.0, 48.0),
    "low": (12.0, 120.0),
}
_REPORTERS: tuple[Role, ...] = ("crew", "crew", "crew", "officer", "officer", "chief_engineer")
_CHANNELS: tuple[Channel, ...] = ("web", "web", "telegram", "telegram", "voice", "slack")


class HistoryError(ValueError):
    """Raised when the history cannot be generated for the given arguments."""


@dataclass(slots=True)
class _Counter:
    code: str
    tag: str
    hours: float


@dataclass(slots=True)
class _FaultDraft:
    reported_at: datetime
    template: FaultTemplate
    code: str
    title: str
    description: str
    priority: Priority
    reported_by: Role
    reported_via: Channel
    steps: list[StatusChange]
    root_cause: str | None
    order: _OrderDraft | None = None


@dataclass(slots=True)
class _OrderDraft:
    created_at: datetime
    code: str
    kind: WorkOrderKind
    title: str
    description: str
    priority: Priority
    assignee: Role
    due_at: datetime
    steps: list[StatusChange]
    completed_at: datetime | None
    hours: float | None
    parts: tuple[PartUse, ...]
    plan_title: str | None
    fault: _FaultDraft | None = None
    number: int = 0


def _s(value: datetime) -> datetime:
    """Drop sub-second precision (nobody logs a fault to the microsecond)."""
    return value.replace(microsecond=0)


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


def _operating_modes(days: int, rng: random.Random) -> list[str]:
    """Return one mode per day following a PSV rota: port, transit, dp, transit, ..."""
    modes: list[str] = []
    while len(modes) < days:
        modes += ["port"] * rng.randint(1, 2)
        modes += ["transit"]
        modes += ["dp"] * rng.randint(2, 5)
        if rng.random() < 0.3:
            modes += ["standby"]
        modes += ["transit"]
    return modes[:days]


def _daily_hours(mode: str, day: int, rng: random.Random) -> dict[str, float]:
    """Return the running hours each counter-carrying piece of equipment made on one day."""
    lead_dg = ("651.1", "651.2", "651.3")[(day // 7) % 3]
    second_dg = ("651.2", "651.3", "651.1")[(day // 7) % 3]
    lead_mac = "731.1" if (day // 14) % 2 == 0 else "731.2"
    lead_mud = "311.1" if (day // 10) % 2 == 0 else "311.2"
    hours: dict[str, float] = {}
    if mode == "port":
        harbour = rng.random() < 0.6
        hours["651.4"] = 24.0 if harbour else 0.0
        hours[lead_dg] = 0.0 if harbour else 24.0
        mains = rng.uniform(0.0, 2.0)
        hours["601.1"], hours["601.2"] = mains, mains
        for bt in ("433.1", "433.2", "433.4"):
            hours[bt] = rng.uniform(0.3, 1.0)
    elif mode in ("transit", "standby"):
        load = 24.0 if mode == "transit" else rng.uniform(6.0, 14.0)
        hours["601.1"], hours["601.2"] = load, load
        hours[lead_dg] = 24.0
        for bt in ("433.1", "433.2", "433.4"):
            hours[bt] = rng.uniform(0.2, 0.8)
    else:  # dp
        hours["601.1"], hours["601.2"] = 24.0, 24.0
        hours[lead_dg], hours[second_dg] = 24.0, 24.0
        for bt in ("433.1", "433.2", "433.4"):
            hours[bt] = 24.0
        hours["433.3"] = 24.0 if rng.random() < 0.5 else 0.0
        hours[lead_mud] = rng.uniform(2.0, 8.0)
        hours["321.1"] = rng.uniform(0.0, 6.0)
    hours["701.2"] = rng.uniform(16.0, 24.0)
    hours["711.1"] = min(24.0, hours["601.1"] + 2.0) if hours["601.1"] > 1 else 0.0
    hours["711.2"] = min(24.0, hours["601.2"] + 2.0) if hours["601.2"] > 1 else 0.0
    hours[lead_mac] = rng.uniform(1.0, 3.0)
    hours["731.3"] = rng.uniform(2.0, 6.0)
    if day % 7 == 3:
        hours["861.1"] = 0.5
    return hours


def _initial_hours(code: str, rng: random.Random) -> float:
    base = {
        "601": (28000, 34000),
        "651": (18000, 42000),
        "433": (9000, 16000),
        "701": (30000, 40000),
        "711": (20000, 30000),
        "731": (6000, 12000),
        "861": (400, 700),
        "311": (2500, 6000),
        "321": (3000, 5000),
    }.get(code.split(".")[0], (1000, 5000))
    return float(rng.randint(*base))


def _counter_for(code: str, owners: dict[str, str], parents: dict[str, str | None]) -> str | None:
    """Return the code whose running-hours counter applies to ``code`` (itself or an ancestor)."""
    current: str | None = code
    while current is not None:
        if current in owners:
            return current
        if current in RUNS_WITH:
            return RUNS_WITH[current]
        current = parents.get(current)
    return None


def _bump(priority: Priority, rng: random.Random) -> Priority:
    roll = rng.random()
    index = _PRIORITIES.index(priority)
    if roll < 0.08 and index > 0:
        return _PRIORITIES[index - 1]
    if roll > 0.95 and index < len(_PRIORITIES) - 1:
        return _PRIORITIES[index + 1]
    return priority


def _fault(
    at: datetime,
    template: FaultTemplate,
    code: str,
    end: datetime,
    rng: random.Random,
) -> _FaultDraft:
    """Draft one fault with its status path and corrective work order, cut off at ``end``."""
    eq = SHORT_NAMES.get(code, code)
    unit = str(rng.randint(1, 8))
    priority = _bump(template.priority, rng)
    reporter = rng.choice(_REPORTERS)
    steps = [StatusChange("open", at, reporter)]
    draft = _FaultDraft(
        reported_at=at,
        template=template,
        code=code,
        title=template.title.format(eq=eq, unit=unit),
        description=rng.choice(template.descriptions).format(eq=eq, unit=unit),
        priority=priority,
        reported_by=reporter,
        reported_via=rng.choice(_CHANNELS),
        steps=steps,
        root_cause=None,
    )
    manager: Role = "chief_engineer" if priority in ("high", "critical") else "officer"
    ack = _s(at + timedelta(hours=rng.uniform(*_ACK_HOURS[priority])))
    wait = rng.uniform(*_START_HOURS[priority])
    roll = rng.random()
    if priority in ("low", "medium") and roll < 0.12:  # deferred: next yard stay or class visit
        wait += rng.uniform(30.0, 150.0) * 24.0
    elif priority in ("low", "medium") and roll < 0.35:  # awaiting spares or a port call
        wait += rng.uniform(5.0, 40.0) * 24.0
    start = _s(ack + timedelta(hours=wait))
    work = rng.uniform(*template.hours)
    resolved = _s(start + timedelta(hours=work + rng.uniform(0.0, 24.0)))
    closed = _s(resolved + timedelta(days=rng.uniform(0.5, 8.0)))
    path: list[tuple[FaultStatus, datetime, Role]] = [
        ("acknowledged", ack, manager),
        ("in_progress", start, "officer"),
        ("resolved", resolved, "officer"),
    ]
    if rng.random() < 0.06:  # came back: reopened after the fix, fixed again
        reopened = _s(resolved + timedelta(hours=rng.uniform(6.0, 60.0)))
        again = _s(reopened + timedelta(hours=rng.uniform(0.2, 4.0)))
        fixed = _s(again + timedelta(hours=rng.uniform(1.0, 12.0)))
        path += [
            ("open", reopened, "crew"),
            ("acknowledged", again, manager),
            ("in_progress", again + timedelta(minutes=30), "officer"),
            ("resolved", fixed, "officer"),
        ]
        closed = _s(fixed + timedelta(days=rng.uniform(0.5, 8.0)))
    path.append(("closed", closed, "chief_engineer"))
    for status, when, role in path:
        if when > end:
            break
        steps.append(StatusChange(status, when, role))
    if any(s.status == "resolved" for s in steps):
        draft.root_cause = rng.choice(template.root_causes)

    needs_order = priority != "low" or rng.random() < 0.6
    if needs_order and len(steps) > 1:
        created = _s(ack + timedelta(minutes=rng.uniform(5.0, 60.0)))
        if created <= end:
            resolved_at = [s.at for s in steps if s.status == "resolved"]
            wo_start = max(start, created)
            wo_steps = [StatusChange("open", created, manager)]
            if wo_start <= end:
                wo_steps.append(StatusChange("in_progress", wo_start, "officer"))
                if resolved_at and resolved_at[-1] >= wo_start:
                    wo_steps.append(StatusChange("completed", resolved_at[-1], "officer"))
            finished = wo_steps[-1].status == "completed"
            draft.order = _OrderDraft(
                created_at=created,
                code=code,
                kind="corrective",
                title=template.action.format(eq=eq, unit=unit),
                description=f"Raised from fault: {draft.title}. {draft.description}",
                priority=priority,
                assignee=rng.choice(("officer", "officer", "crew")),
                due_at=created + timedelta(days={"critical": 1, "high": 2}.get(priority, 7)),
                steps=wo_steps,
                completed_at=wo_steps[-1].at if finished else None,
                hours=round(work, 1) if finished else None,
                parts=tuple(PartUse(p, float(q)) for p, q in template.parts) if finished else (),
                plan_title=None,
                fault=draft,
            )
    return draft


def _plan_order(plan: DemoPlan, raised: datetime, end: datetime, rng: random.Random) -> _OrderDraft:
    """Draft the work order a due plan raises, completed within a few days if before ``end``."""
    steps = [StatusChange("open", raised, "chief_engineer")]
    delay = rng.uniform(2.0, 72.0)
    if rng.random() < 0.1:  # slipped: weather, ops or no free hands
        delay += rng.uniform(3.0, 12.0) * 24.0
    started = _s(raised + timedelta(hours=delay))
    finished = _s(started + timedelta(hours=plan.estimated_hours * rng.uniform(0.8, 1.5)))
    completed_at: datetime | None = None
    hours: float | None = None
    parts: tuple[PartUse, ...] = ()
    if started <= end:
        steps.append(StatusChange("in_progress", started, "officer"))
        if finished <= end:
            steps.append(StatusChange("completed", finished, "officer"))
            completed_at = finished
            hours = round(plan.estimated_hours * rng.uniform(0.8, 1.4), 1)
            parts = tuple(PartUse(p.number, p.quantity) for p in plan.parts)
    return _OrderDraft(
        created_at=raised,
        code=plan.equipment_code,
        kind=plan.kind,
        title=plan.title,
        description=f"Planned maintenance: {plan.title}.",
        priority="medium" if plan.kind == "preventive" else "low",
        assignee=rng.choice(("officer", "officer", "crew")),
        due_at=raised + timedelta(days=3),
        steps=steps,
        completed_at=completed_at,
        hours=hours,
        parts=parts,
        plan_title=plan.title,
    )


def _stock_ledger(
    orders: list[_OrderDraft], start: datetime, end: datetime
) -> tuple[list[StockReceipt], dict[str, float]]:
    """Book deliveries so stock never goes negative; return receipts and the closing stock."""
    catalogue = {p.number: p for p in load_parts()}
    stock = {number: part.stock for number, part in catalogue.items()}
    uses = sorted(
        ((o.completed_at, u) for o in orders if o.completed_at for u in o.parts),
        key=lambda item: (item[0], item[1].part_number),
    )
    receipts: list[StockReceipt] = []
    next_delivery = start + timedelta(days=14)

    def deliver_until(moment: datetime) -> datetime:
        """Book the fortnightly supply-boat deliveries up to ``moment``; return the next one."""
        due = next_delivery
        while due <= moment:
            for number in sorted(stock):
                part = catalogue[number]
                if stock[number] < part.min_stock:
                    qty = part.stock - stock[number]
                    receipts.append(StockReceipt(number, qty, due, "supply boat delivery"))
                    stock[number] += qty
            due += timedelta(days=14)
        return due

    for when, use in uses:
        next_delivery = deliver_until(when)
        if stock[use.part_number] < use.quantity:
            qty = catalogue[use.part_number].stock + use.quantity - stock[use.part_number]
            receipts.append(
                StockReceipt(
                    use.part_number, qty, when - timedelta(hours=2), "urgent shipment via base"
                )
            )
            stock[use.part_number] += qty
        stock[use.part_number] -= use.quantity
    deliver_until(end)
    receipts.sort(key=lambda r: (r.at, r.part_number))
    return receipts, stock


def generate_history(
    start: datetime | date, end: datetime | date, seed: int = DEFAULT_SEED
) -> DemoHistory:
    """Generate the demo vessel's history between ``start`` and ``end`` (UTC), reproducibly.

    The same arguments always give the same history. Naive datetimes and dates are taken as
    UTC. Faults and work orders still in progress at ``end`` keep their current status.
    """
    begin, finish = _as_utc(start), _as_utc(end)
    if finish - begin < MIN_SPAN:
        raise HistoryError(
            f"end ({finish.isoformat()}) must be at least one day after start "
            f"({begin.isoformat()}); pass a longer period, e.g. 180 days"
        )
    rng = random.Random(seed)
    items = load_register_items()
    parents = {i.code: i.parent_code for i in items}
    owners = {i.code: i.running_hours_tag for i in items if i.running_hours_tag}
    counters = {
        code: _Counter(code, tag, _initial_hours(code, rng)) for code, tag in sorted(owners.items())
    }
    initial = MappingProxyType({c: k.hours for c, k in counters.items()})

    plans = load_plans()
    last_hours: dict[int, float] = {}
    next_date: dict[int, datetime] = {}
    for index, plan in enumerate(plans):
        if plan.every_hours is not None:
            owner = _counter_for(plan.equipment_code, owners, parents)
            if owner is None:
                raise HistoryError(
                    f"plan {plan.title!r} counts running hours but {plan.equipment_code} has no "
                    "running-hours counter; give it one in register.yaml or plan by days"
                )
            last_hours[index] = counters[owner].hours - rng.uniform(0.0, plan.every_hours)
        elif plan.every_days is not None:
            offset = timedelta(days=rng.uniform(0.0, plan.every_days))
            next_date[index] = begin + offset

    days = (finish - begin).days + 1
    modes = _operating_modes(days, rng)
    readings: list[RunningHoursReading] = []
    orders: list[_OrderDraft] = []
    faults: list[_FaultDraft] = []
    weights = [t.weight for t in TEMPLATES]
    # Recurring problems the demo's "has this happened before?" questions can find.
    # ME1's lube oil pressure trouble comes back (and drops again in the live demo).
    scripted = {
        int(days * 0.22): ("601.2.10", ""),
        int(days * 0.71): ("601.2.10", ""),
        int(days * 0.35): ("701.2", ""),
        int(days * 0.83): ("701.2", ""),
        int(days * 0.52): ("601.1", "LO pressure"),
        int(days * 0.87): ("601.1", "LO pressure"),
    }

    for day in range(days):
        day_start = begin + timedelta(days=day)
        day_end = min(day_start + timedelta(days=1), finish)
        if day_end <= day_start:
            break
        fraction = (day_end - day_start) / timedelta(days=1)
        made = _daily_hours(modes[day], day, rng)
        for code, counter in counters.items():
            counter.hours += made.get(code, 0.0) * fraction
            readings.append(
                RunningHoursReading(code, counter.tag, day_end, round(counter.hours, 1))
            )

        for index, plan in enumerate(plans):
            raised: datetime | None = None
            if plan.every_hours is not None:
                owner = _counter_for(plan.equipment_code, owners, parents)
                assert owner is not None
                if counters[owner].hours - last_hours[index] >= plan.every_hours:
                    last_hours[index] = counters[owner].hours
                    raised = day_start + timedelta(hours=7)
            elif plan.every_days is not None and next_date[index] < day_end:
                raised = _s(max(next_date[index], day_start + timedelta(hours=7)))
                next_date[index] = next_date[index] + timedelta(days=plan.every_days)
            if raised is not None and raised <= finish:
                orders.append(_plan_order(plan, raised, finish, rng))

        count = sum(1 for _ in range(3) if rng.random() < 0.25)
        picks = [(_template_for(c, t), c) for d, (c, t) in scripted.items() if d == day]
        picks += [(t, _pick_unit(t, rng)) for t in rng.choices(TEMPLATES, weights, k=count)]
        for template, code in picks:
            at = _s(day_start + timedelta(hours=rng.uniform(0.0, 24.0) * fraction))
            if at < finish:
                faults.append(_fault(at, template, code, finish, rng))

    faults.sort(key=lambda f: (f.reported_at, f.code))
    orders += [f.order for f in faults if f.order is not None]
    orders.sort(key=lambda o: (o.created_at, o.code, o.title))
    for number, order in enumerate(orders, start=1):
        order.number = number
    receipts, final_stock = _stock_ledger(orders, begin, finish)

    fault_numbers = {id(f): n for n, f in enumerate(faults, start=1)}
    return DemoHistory(
        start=begin,
        end=finish,
        seed=seed,
        faults=tuple(
            DemoFault(
                number=fault_numbers[id(f)],
                equipment_code=f.code,
                title=f.title,
                description=f.description,
                priority=f.priority,
                reported_by=f.reported_by,
                reported_via=f.reported_via,
                reported_at=f.reported_at,
                status=_fault_status(f.steps[-1].status),
                history=tuple(f.steps),
                root_cause=f.root_cause,
            )
            for f in faults
        ),
        work_orders=tuple(
            DemoWorkOrder(
                number=o.number,
                equipment_code=o.code,
                kind=_kind(o.kind),
                title=o.title,
                description=o.description,
                priority=o.priority,
                status=_order_status(o.steps[-1].status),
                assignee_role=o.assignee,
                created_at=o.created_at,
                due_at=o.due_at,
                completed_at=o.completed_at,
                hours=o.hours,
                parts_used=o.parts,
                fault_number=fault_numbers[id(o.fault)] if o.fault is not None else None,
                plan_title=o.plan_title,
                history=tuple(o.steps),
            )
            for o in orders
        ),
        running_hours=tuple(readings),
        stock_receipts=tuple(receipts),
        initial_running_hours=initial,
        final_stock=MappingProxyType(dict(sorted(final_stock.items()))),
    )


_FAULT_STATUS: dict[str, FaultStatus] = {s: s for s in FAULT_STATUSES}
_ORDER_STATUS: dict[str, WorkOrderStatus] = {s: s for s in WORK_ORDER_STATUSES}
_KINDS: dict[str, WorkOrderKind] = {
    "corrective": "corrective",
    "preventive": "preventive",
    "inspection": "inspection",
}


def _pick_unit(template: FaultTemplate, rng: random.Random) -> str:
    """Pick which of a template's units the fault lands on, worn units more often."""
    if len(template.codes) == 1:
        return template.codes[0]
    return rng.choices(template.codes, [unit_wear(c) for c in template.codes])[0]


def _template_for(code: str, title: str = "") -> FaultTemplate:
    return next(t for t in TEMPLATES if code in t.codes and title in t.title)


def _fault_status(value: str) -> FaultStatus:
    return _FAULT_STATUS[value]


def _order_status(value: str) -> WorkOrderStatus:
    return _ORDER_STATUS[value]


def _kind(value: str) -> WorkOrderKind:
    return _KINDS[value]
