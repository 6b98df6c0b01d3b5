from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest

from records.demo import (
    DEFAULT_SEED,
    DemoHistory,
    HistoryError,
    generate_history,
    load_parts,
    load_plans,
)

from .conftest import END, START

TRANSITIONS = {
    ("open", "acknowledged"),
    ("acknowledged", "in_progress"),
    ("in_progress", "resolved"),
    ("resolved", "closed"),
    ("resolved", "open"),
}
ORDER_TRANSITIONS = {("open", "in_progress"), ("in_progress", "completed")}


def test_history_is_deterministic(history: DemoHistory) -> None:
    again = generate_history(START, END, seed=DEFAULT_SEED)
    assert again == history
    other = generate_history(START, END, seed=DEFAULT_SEED + 1)
    assert other.faults != history.faults


def test_history_spans_six_months_with_volume(history: DemoHistory) -> None:
    assert history.end - history.start >= timedelta(days=180)
    assert len(history.faults) >= 80
    assert len(history.work_orders) >= 200
    first = min(f.reported_at for f in history.faults)
    last = max(f.reported_at for f in history.faults)
    assert last - first >= timedelta(days=170)
    kinds = {w.kind for w in history.work_orders}
    assert kinds == {"corrective", "preventive", "inspection"}
    assert {f.status for f in history.faults} > {"closed"}


def test_history_references_only_register_codes_and_catalogue_parts(
    history: DemoHistory, codes: set[str]
) -> None:
    numbers = {p.number for p in load_parts()}
    assert {f.equipment_code for f in history.faults} <= codes
    assert {w.equipment_code for w in history.work_orders} <= codes
    assert {r.equipment_code for r in history.running_hours} <= codes
    used = {u.part_number for w in history.work_orders for u in w.parts_used}
    assert used and used <= numbers
    assert all(isinstance(u.quantity, float) for w in history.work_orders for u in w.parts_used)
    assert {r.part_number for r in history.stock_receipts} <= numbers
    assert set(history.final_stock) == numbers


def test_fault_status_paths_are_ordered_and_valid(history: DemoHistory) -> None:
    for fault in history.faults:
        steps = fault.history
        assert steps[0].status == "open" and steps[0].at == fault.reported_at
        assert fault.status == steps[-1].status
        for before, after in pairwise(steps):
            assert before.at <= after.at, fault.number
            assert (before.status, after.status) in TRANSITIONS, fault.number
        assert history.start <= steps[0].at and steps[-1].at <= history.end
        resolved = any(s.status == "resolved" for s in steps)
        assert (fault.root_cause is not None) == resolved, fault.number
    reopened = [f for f in history.faults if any(s.status == "open" for s in f.history[1:])]
    assert reopened


def test_work_orders_link_to_faults_and_plans(history: DemoHistory) -> None:
    faults = {f.number: f for f in history.faults}
    plan_titles = {p.title for p in load_plans()}
    for order in history.work_orders:
        steps = order.history
        assert steps[0].status == "open" and steps[0].at == order.created_at
        for before, after in pairwise(steps):
            assert before.at <= after.at and (before.status, after.status) in ORDER_TRANSITIONS
        if order.kind == "corrective":
            assert order.fault_number in faults and order.plan_title is None
            fault = faults[order.fault_number]
            assert fault.equipment_code == order.equipment_code
            assert order.created_at >= fault.reported_at
        else:
            assert order.fault_number is None and order.plan_title in plan_titles
        if order.status == "completed":
            assert order.completed_at == steps[-1].at and order.hours and order.hours > 0
        else:
            assert order.completed_at is None and order.parts_used == ()
    numbers = [w.number for w in history.work_orders]
    assert numbers == list(range(1, len(numbers) + 1))


def test_running_hours_only_go_up(history: DemoHistory) -> None:
    series: dict[str, list[float]] = defaultdict(list)
    for reading in history.running_hours:
        series[reading.equipment_code].append(reading.hours)
    assert {"601.1", "601.2", "651.1", "651.2", "651.3", "433.1", "701.2"} <= set(series)
    for code, values in series.items():
        assert values == sorted(values), code
        assert values[0] >= history.initial_running_hours[code]
    assert series["601.1"][-1] - series["601.1"][0] > 1500


def test_stock_never_goes_negative(history: DemoHistory) -> None:
    stock = {p.number: p.stock for p in load_parts()}
    events: list[tuple[datetime, int, str, float]] = [
        (r.at, 0, r.part_number, r.quantity) for r in history.stock_receipts
    ]
    for order in history.work_orders:
        if order.completed_at is not None:
            events += [
                (order.completed_at, 1, u.part_number, -u.quantity) for u in order.parts_used
            ]
    for _, _, number, delta in sorted(events):
        stock[number] += delta
        assert stock[number] >= 0, number
    assert stock == dict(history.final_stock)


def test_dates_are_taken_as_utc_and_short_periods_rejected() -> None:
    short = generate_history(date(2026, 1, 1), date(2026, 1, 20), seed=3)
    assert short.start.tzinfo is not None
    assert all(r.at <= short.end for r in short.running_hours)
    with pytest.raises(HistoryError, match="at least one day"):
        generate_history(date(2026, 1, 1), date(2026, 1, 1))
