"""The composition root's running state: database, job runner, scheduler, readiness."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from channels.app.settings import Settings
from records import (
    ALL_TENANTS,
    Database,
    InProcessRunner,
    Scheduler,
    migrate,
    plans,
    readings,
    register,
    system_caller,
)

log = logging.getLogger(__name__)


@dataclass
class Startup:
    """First-start progress, shown by ``/readyz`` and the terminal."""

    ready: threading.Event = field(default_factory=threading.Event)
    steps: list[str] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def step(self, text: str) -> None:
        """Record and log a step of first-start work."""
        self.steps.append(text)
        log.debug("%s", text)

    def warn(self, text: str) -> None:
        """Record a start step that failed for one vessel or platform (the rest goes on)."""
        self.warnings.append(text)
        log.warning("%s", text)


@dataclass
class Bosun:
    """Everything a channel needs to serve requests."""

    settings: Settings
    db: Database
    runner: InProcessRunner
    scheduler: Scheduler
    startup: Startup = field(default_factory=Startup)
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Stop background work and close the database."""
        self.scheduler.stop()
        self.runner.stop()
        self.db.dispose()


def open_bosun(settings: Settings | None = None, *, run_migrations: bool = True) -> Bosun:
    """Open (creating and migrating when needed) the configured home and database."""
    settings = settings or Settings()
    if settings.is_embedded:
        settings.home.mkdir(parents=True, exist_ok=True)
    if run_migrations:
        migrate(settings.url)
    role = "" if settings.is_embedded else settings.database_role
    db = Database.from_url(settings.url, app_role=role)
    runner = InProcessRunner()
    scheduler = Scheduler(runner)
    bosun = Bosun(settings=settings, db=db, runner=runner, scheduler=scheduler)
    _wire_jobs(bosun)
    return bosun


def _wire_jobs(bosun: Bosun) -> None:
    """Register the jobs that let packages react to each other's changes."""

    def plans_due(_payload: dict[str, Any]) -> None:
        with bosun.db.transaction(ALL_TENANTS) as session:
            org_ids = [o.id for o in register.list_organizations(session)]
        for org_id in org_ids:
            with bosun.db.transaction(org_id) as session:
                created = plans.raise_due_work_orders(session, system_caller(org_id, "scheduler"))
                if created:
                    log.info("org %s: %d preventive work orders raised", org_id, len(created))

    def readings_retention(_payload: dict[str, Any]) -> None:
        raw = timedelta(days=bosun.settings.readings_raw_days)
        kept = timedelta(days=bosun.settings.readings_rollup_days)
        with bosun.db.transaction(ALL_TENANTS) as session:
            org_ids = [o.id for o in register.list_organizations(session)]
        for org_id in org_ids:
            with bosun.db.transaction(org_id) as session:
                done = readings.roll_up_and_prune(
                    session,
                    system_caller(org_id, "retention"),
                    raw_retention=raw,
                    rollup_retention=kept,
                )
            if done.pruned:
                log.info(
                    "org %s: %d raw readings rolled up into %d minutes",
                    org_id,
                    done.pruned,
                    done.minutes,
                )

    bosun.runner.register("plans_due", plans_due)
    bosun.scheduler.every(3600, "plans_due")
    bosun.runner.register("readings_retention", readings_retention)
    bosun.scheduler.every(6 * 3600, "readings_retention")
