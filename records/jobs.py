"""Background work: a job-runner interface, an in-process runner and a scheduler.

Packages react to each other's changes through jobs wired in the composition root
(``channels``), never by importing against the one-way rule.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from queue import Empty, Queue
from typing import Any, Protocol

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]


class JobRunner(Protocol):
    """Runs named jobs with a JSON payload, in the background."""

    def register(self, name: str, handler: Handler) -> None:
        """Attach the handler that runs jobs of this name."""

    def submit(self, name: str, payload: dict[str, Any] | None = None) -> None:
        """Queue a job; it runs soon, in the background."""


@dataclass
class JobStats:
    """Counters for health and metrics."""

    submitted: int = 0
    succeeded: int = 0
    failed: int = 0
    last_error: str | None = None


class InProcessRunner:
    """A worker thread that runs jobs in order; a failed job is logged and counted."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._queue: Queue[tuple[str, dict[str, Any]] | None] = Queue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.stats = JobStats()

    def register(self, name: str, handler: Handler) -> None:
        """Attach the handler that runs jobs of this name."""
        self._handlers[name] = handler

    def submit(self, name: str, payload: dict[str, Any] | None = None) -> None:
        """Queue a job; unknown names are refused at once."""
        if name not in self._handlers:
            raise KeyError(f"no handler registered for job {name!r}")
        self.stats.submitted += 1
        self._idle.clear()
        self._queue.put((name, dict(payload or {})))

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="bosun-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish queued jobs and stop the worker."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def run_pending(self) -> int:
        """Run queued jobs in the calling thread (for tests and one-shot commands)."""
        done = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except Empty:
                self._idle.set()
                return done
            if item is None:
                continue
            self._run(*item)
            done += 1

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every queued job has run."""
        return self._idle.wait(timeout)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._run(*item)
            if self._queue.empty():
                self._idle.set()

    def _run(self, name: str, payload: dict[str, Any]) -> None:
        try:
            self._handlers[name](payload)
            self.stats.succeeded += 1
        except Exception as err:  # a job's failure must not kill the worker
            self.stats.failed += 1
            self.stats.last_error = f"{name}: {err}"
            log.exception("job %s failed", name)


@dataclass
class _Entry:
    name: str
    every_s: float
    payload: dict[str, Any] = field(default_factory=dict)
    next_at: float = 0.0


class Scheduler:
    """Submits jobs on fixed intervals (plans due, scoring, re-indexing)."""

    def __init__(self, runner: JobRunner, clock: Callable[[], float] = time.monotonic) -> None:
        self._runner = runner
        self._clock = clock
        self._entries: list[_Entry] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def every(self, seconds: float, name: str, payload: dict[str, Any] | None = None) -> None:
        """Submit job ``name`` every ``seconds`` (first run at the next tick)."""
        self._entries.append(_Entry(name, seconds, dict(payload or {}), self._clock()))

    def tick(self) -> list[str]:
        """Submit every job that is due now; return their names."""
        now = self._clock()
        due = []
        for entry in self._entries:
            if now >= entry.next_at:
                self._runner.submit(entry.name, entry.payload)
                entry.next_at = now + entry.every_s
                due.append(entry.name)
        return due

    def start(self, resolution_s: float = 1.0) -> None:
        """Tick in a background thread."""

        def loop() -> None:
            while not self._stop.wait(resolution_s):
                self.tick()

        self._thread = threading.Thread(target=loop, name="bosun-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
