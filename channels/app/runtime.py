"""The composition root's running state: database, job runner, scheduler, readiness."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # types only: a command that never starts them does not import them
    from assistant import Assistant, ChatGateway
    from channels.chat.voice import Transcriber
    from channels.services.knowledge import KnowledgeService
    from connectors import ConnectorRuntime, VesselSimulator

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


class Components:
    """What a running Bosun started, stopped in the reverse order of starting.

    Each start adds its stop as it succeeds, so shutdown order follows start order by
    construction; a component added after shutdown began is stopped at once.
    """

    def __init__(self) -> None:
        self._stops: list[tuple[str, Callable[[], object]]] = []
        self._lock = threading.Lock()
        self._closed = False

    def add(self, name: str, stop: Callable[[], object]) -> None:
        """Hold a started component until :meth:`close`."""
        with self._lock:
            if not self._closed:
                self._stops.append((name, stop))
                return
        _stop(name, stop)

    @property
    def names(self) -> list[str]:
        """Return the components held, in start order."""
        with self._lock:
            return [name for name, _ in self._stops]

    def close(self) -> None:
        """Stop every component, the last started first (one failing stops no other)."""
        with self._lock:
            self._closed = True
            stops, self._stops = self._stops, []
        for name, stop in reversed(stops):
            _stop(name, stop)


def _stop(name: str, stop: Callable[[], object]) -> None:
    try:
        stop()
    except Exception:  # the rest still stops; the log says which one failed
        log.exception("stopping %s failed", name)


@dataclass
class Bosun:
    """Everything a channel needs to serve requests, and the services it started."""

    settings: Settings
    db: Database
    runner: InProcessRunner
    scheduler: Scheduler
    startup: Startup = field(default_factory=Startup)
    components: Components = field(default_factory=Components)
    demo_requested: bool = False
    """Whether this ``bosun up`` seeds the demo or was asked to run it (``--demo``)."""
    knowledge: KnowledgeService | None = None
    assistant: Assistant | None = None
    gateway: ChatGateway | None = None
    transcriber: Transcriber | None = None
    connectors: ConnectorRuntime | None = None
    """The connectors ``bosun up`` runs (None: no connectors.yaml)."""
    simulator: VesselSimulator | None = None
    """The live demo's vessel simulator, when it serves."""

    def close(self) -> None:
        """Stop what was started (the last first), then background work and the database."""
        self.components.close()


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
    bosun.components.add("database", db.dispose)
    bosun.components.add("job runner", runner.stop)
    bosun.components.add("scheduler", scheduler.stop)
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
