from __future__ import annotations

import threading

import pytest

from records import BosunError, Database, ErrorCode, InProcessRunner, Role, Scheduler, faults
from tests.conftest import Tenant
from tests.records.helpers import import_for_tenant


def test_runner_runs_jobs_in_background_and_survives_failures() -> None:
    runner = InProcessRunner()
    seen: list[int] = []
    done = threading.Event()

    def work(payload: dict[str, int]) -> None:
        if payload["n"] == 2:
            raise ValueError("boom")
        seen.append(payload["n"])
        if payload["n"] == 3:
            done.set()

    runner.register("work", work)  # type: ignore[arg-type]
    runner.start()
    for n in (1, 2, 3):
        runner.submit("work", {"n": n})
    assert done.wait(5) and runner.wait_idle(5)
    runner.stop()
    assert seen == [1, 3]
    assert (runner.stats.succeeded, runner.stats.failed) == (2, 1)
    assert "boom" in (runner.stats.last_error or "")
    with pytest.raises(KeyError):
        runner.submit("unknown")


def test_scheduler_submits_due_jobs_on_their_interval() -> None:
    now = [0.0]
    runner = InProcessRunner()
    runner.register("tick", lambda _p: None)
    scheduler = Scheduler(runner, clock=lambda: now[0])
    scheduler.every(60, "tick")
    assert scheduler.tick() == ["tick"]
    now[0] = 30
    assert scheduler.tick() == []
    now[0] = 61
    assert scheduler.tick() == ["tick"]
    assert runner.run_pending() == 2


def test_pagination_walks_every_row_once(db: Database, tenant: Tenant) -> None:
    eq = import_for_tenant(db, tenant.org_id)
    crew = tenant[Role.crew]
    with db.transaction(crew) as s:
        made = {
            faults.report_fault(s, crew, equipment_id=eq["601.1"], title=f"F{i}").title
            for i in range(23)
        }
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        with db.transaction(crew) as s:
            page = faults.list_faults(s, crew, cursor=cursor, limit=10)
            seen += [f.title for f in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 23 and set(seen) == made
    with db.transaction(crew) as s, pytest.raises(BosunError) as info:
        faults.list_faults(s, crew, cursor="not-a-cursor")
    assert info.value.code is ErrorCode.invalid
