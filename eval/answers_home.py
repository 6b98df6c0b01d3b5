"""The demo home ``eval.answers`` runs in, and the rollback that keeps each case apart.

Seeding goes through the same steps ``bosun up --demo`` runs on first start: the register,
users, parts, plans and six months of history (``seed_demo``), the simulated readings
backfill, the fault history indexed into the knowledge base, and the demo manuals rendered
to PDF and ingested by the real pipeline. No live simulator, no connectors, no model
training. The readings end at the history's midnight, not at the clock's "now" as in
``bosun up``, so two homes seeded on one day give the same figures. Each step is
resumable; a home records the finished ones in ``eval-answers.json`` so a reused ``--home``
opens in seconds.

Rollback: every case runs on one SQLite connection inside an outer ``BEGIN``; each turn is a
fresh ORM session joined to it with ``join_transaction_mode="create_savepoint"``, so the
turn's commit releases a SAVEPOINT and the case ends with a ROLLBACK of the outer
transaction. pysqlite's own transaction handling is switched off on that engine (it would
commit before a SAVEPOINT), so ``BEGIN``/``SAVEPOINT``/``ROLLBACK`` are emitted as written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.orm import Session

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.demo.ingest import ingest_demo_manuals
from channels.demo.live import backfill_readings
from channels.demo.seed import demo_vessel_id, history_end, seed_demo
from channels.services.knowledge import KnowledgeService, index_all_fault_history, open_knowledge
from records import ALL_TENANTS, Caller, Document, Role, User, Vessel, make_engine, users

MARKER = "eval-answers.json"
"""File in the home listing the seeding steps already done."""
STEPS = ("demo", "readings", "fault history", "manuals")

Progress = Callable[[str], None]


@dataclass
class DemoHome:
    """An opened demo home: the running parts, the vessel and a caller per demo role."""

    bosun: Bosun
    knowledge: KnowledgeService
    org_id: int
    vessel_id: int
    callers: dict[str, Caller]
    """Role value (crew, officer, chief_engineer, shore, admin) -> that demo user's caller."""
    documents: dict[int, str]
    """Document id -> file stem (what a case's ``cite`` names)."""

    def close(self) -> None:
        """Close the knowledge base and the database."""
        self.knowledge.close()
        self.bosun.close()


def _done(home: Path) -> list[str]:
    path = home / MARKER
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [str(s) for s in data.get("steps", [])]


def _record(home: Path, steps: list[str]) -> None:
    (home / MARKER).write_text(json.dumps({"steps": steps}), encoding="utf-8")


def _ingest_manuals(bosun: Bosun, progress: Progress) -> None:
    """Ingest the demo manuals; stop when one failed (a run without it is not comparable).

    A parser that dies (out of memory on a busy machine) leaves its manual out of the
    knowledge base; the step is then not recorded as done, so a reused home tries again.
    """
    result = ingest_demo_manuals(bosun, progress)
    failed = result.summary.failed if result is not None else []
    if failed:
        names = ", ".join(f"{f.path.name} ({f.code})" for f in failed)
        raise SystemExit(f"demo manuals not ingested: {names}; run again to retry them")


def open_demo_home(home: Path, progress: Progress) -> DemoHome:
    """Open the demo home at ``home``, seeding whatever is not done yet."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    home.mkdir(parents=True, exist_ok=True)
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'bosun.db'}", files_dir=home)
    bosun = open_bosun(settings)
    knowledge = open_knowledge(bosun)
    done = _done(home)
    actions: dict[str, Callable[[], object]] = {
        "demo": lambda: seed_demo(bosun.db, progress=progress),
        # readings end where the history does (its midnight), not at the seeding's "now",
        # so two homes seeded on one day give the same figures
        "readings": lambda: backfill_readings(bosun, progress, end=history_end(bosun.db)),
        "fault history": lambda: progress(
            f"knowledge: {index_all_fault_history(knowledge)} fault-history passages indexed"
        ),
        "manuals": lambda: _ingest_manuals(bosun, progress),
    }
    for step in STEPS:
        if step in done:
            continue
        progress(f"seeding: {step}")
        actions[step]()
        done.append(step)
        _record(home, done)
    vessel_id = demo_vessel_id(bosun.db)
    if vessel_id is None:
        raise SystemExit(f"{home}: no demo vessel after seeding")
    with bosun.db.transaction(ALL_TENANTS) as s:
        vessel = s.get(Vessel, vessel_id)
        assert vessel is not None
        org_id = vessel.org_id
        people = list(s.scalars(select(User).where(User.org_id == org_id).order_by(User.id)))
        callers: dict[str, Caller] = {}
        for user in people:
            if vessel_id in (user.vessel_ids or []):
                callers.setdefault(user.role.value, users.caller_for(user, "eval"))
        docs = {d.id: Path(d.filename or d.title).stem for d in s.scalars(select(Document))}
    return DemoHome(bosun, knowledge, org_id, vessel_id, callers, docs)


def caller_for_role(home: DemoHome, role: str) -> Caller:
    """Return the demo user of a role (``chief`` is accepted for ``chief_engineer``)."""
    value = "chief_engineer" if role == "chief" else role
    if value not in {r.value for r in Role}:
        raise SystemExit(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}")
    if value not in home.callers:
        raise SystemExit(f"the demo home has no user with role {value}")
    return home.callers[value]


def rollback_engine(url: str) -> Engine:
    """An engine on the home's database whose SAVEPOINTs work on SQLite (see module doc)."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Callable[[Caller], Session]]:
    """Run one case: yields a factory of per-turn sessions; everything is undone at exit."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:

            def session_for(caller: Caller) -> Session:
                session = Session(
                    bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
                )
                session.info["tenant"] = caller.org_id
                return session

            yield session_for
        finally:
            outer.rollback()
