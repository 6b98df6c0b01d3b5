"""Parser processes: they end with their parent, and a watcher stops one over its limits.

In the child: ``end_with_parent`` (Linux ``PR_SET_PDEATHSIG`` plus a thread that checks
``getppid``), and ``run_watched``, which tells the parent which job it runs, on which pid,
and how many pages the document has. In the parent: ``ParserWatch`` reads each running
job's resident memory from ``/proc`` and its time against pages times seconds per page, and
kills the worker of a job over a limit, keeping the reason for that job alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ingestion.archives import is_zip_file, read_member
from ingestion.errors import ResourceLimitError
from ingestion.settings import IngestionSettings

T = TypeVar("T")
PR_SET_PDEATHSIG = 1
WATCHDOG_INTERVAL_S = 1.0
POLL_S = 0.2
_MIB = 1024 * 1024
_PAGES_RE = re.compile(rb"<(?:\w+:)?Pages>\s*(\d+)\s*<")


class EventQueue(Protocol):
    """The part of a multiprocessing SimpleQueue used here."""

    def put(self, obj: Any, /) -> None:
        """Send one event."""

    def get(self) -> Any:
        """Receive one event."""

    def empty(self) -> bool:
        """Return True when no event waits."""


# --- in the parser process ------------------------------------------------------------------

_events: EventQueue | None = None
_job: int | None = None


def end_with_parent(parent_pid: int) -> None:
    """Make this process exit when `parent_pid` dies (a kill -9 included)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watchdog() -> None:  # other systems, and a parent thread ending before the process
        while True:
            time.sleep(WATCHDOG_INTERVAL_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watchdog, name="parent-watchdog", daemon=True).start()


def set_event_queue(events: EventQueue | None) -> None:
    """Send this process's job events to `events` (the parent's ParserWatch)."""
    global _events
    _events = events


def run_watched(key: int, path: Path, func: Callable[..., T], args: tuple[Any, ...]) -> T:
    """Run one job, telling the parent its key, this pid and the document's pages."""
    global _job
    _job = key
    _send(("start", key, os.getpid(), estimate_pages(path)))
    try:
        return func(*args)
    finally:
        _send(("end", key, os.getpid(), 0))
        _job = None


def report_pages(pages: int) -> None:
    """Tell the parent the real page count of the running job (PDF parsers know it early)."""
    if _job is not None:
        _send(("pages", _job, os.getpid(), max(1, pages)))


def _send(event: tuple[str, int, int, int]) -> None:
    if _events is not None:
        with contextlib.suppress(OSError, ValueError):
            _events.put(event)


def estimate_pages(path: Path) -> int:
    """Return the pages of a document, or an estimate from its size (at least 1)."""
    try:
        size = path.stat().st_size
        if is_zip_file(path):
            app = read_member(path, "docProps/app.xml", _MIB)
            found = _PAGES_RE.search(app) if app else None
            if found and int(found.group(1)) > 0:
                return int(found.group(1))
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(i.file_size for i in archive.infolist())
            return max(1, unpacked // 30_000)  # ~3,000 characters of text a page in XML
        with path.open("rb") as handle:
            if b"%PDF-" in handle.read(1024):
                return max(1, size // 100_000)  # until the parser reports the real count
        return max(1, size // 3_000)
    except Exception:  # an estimate only: a damaged file fails in its parser with the reason
        return 1


# --- in the parent --------------------------------------------------------------------------


@dataclass(slots=True)
class _Running:
    pid: int
    started: float
    pages: int


def rss_bytes(pid: int) -> int | None:
    """Return a process's resident memory from /proc, None when it is gone (or not Linux)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            fields = handle.read().split()
    except OSError:
        return None
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


class ParserWatch:
    """Watch the jobs of one process pool; kill a worker whose job goes over a limit."""

    def __init__(self, settings: IngestionSettings, events: EventQueue) -> None:
        self.settings = settings
        self.events = events
        self.verdicts: dict[int, ResourceLimitError] = {}
        self.peak_rss: dict[int, int] = {}
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="parser-watch", daemon=True)
        self._thread.start()

    def verdict(self, key: int) -> ResourceLimitError | None:
        """Return why the job's worker was stopped, if it was."""
        with self._lock:
            return self.verdicts.get(key)

    def close(self) -> None:
        """Stop watching and close the event queue."""
        self._stop.set()
        self._thread.join(timeout=5)
        close = getattr(self.events, "close", None)
        if close is not None:
            with contextlib.suppress(OSError):
                close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._drain()
            self._check(time.monotonic())
            self._stop.wait(POLL_S)

    def _drain(self) -> None:
        with contextlib.suppress(OSError, EOFError, ValueError):
            while not self.events.empty():
                what, key, pid, pages = self.events.get()
                with self._lock:
                    if what == "start":
                        self._running[key] = _Running(pid, time.monotonic(), pages)
                    elif what == "pages" and key in self._running:
                        self._running[key].pages = pages
                    elif what == "end":
                        self._running.pop(key, None)

    def _check(self, now: float) -> None:
        with self._lock:
            running = list(self._running.items())
        for key, job in running:
            rss = rss_bytes(job.pid)
            if rss is None:
                continue
            self.peak_rss[key] = max(self.peak_rss.get(key, 0), rss)
            budget = self.settings.parse_s_per_page * job.pages
            if rss > self.settings.parser_rss_bytes:
                self._stop_job(key, job, self._memory_error(rss))
            elif now - job.started > budget:
                self._stop_job(key, job, self._time_error(budget, job.pages))

    def _stop_job(self, key: int, job: _Running, error: ResourceLimitError) -> None:
        with self._lock:
            self.verdicts[key] = error
            self._running.pop(key, None)
        with contextlib.suppress(OSError):
            os.kill(job.pid, signal.SIGKILL)

    def _memory_error(self, rss: int) -> ResourceLimitError:
        return ResourceLimitError(
            f"the parser grew to {rss / _MIB:,.0f} MiB of memory, over "
            f"BOSUN_INGEST_PARSER_RSS_MB={self.settings.parser_rss_mb:g}, and was stopped; "
            "split the document, or raise BOSUN_INGEST_PARSER_RSS_MB if the server has the "
            "memory"
        )

    def _time_error(self, budget: float, pages: int) -> ResourceLimitError:
        return ResourceLimitError(
            f"parsing took longer than {budget:,.0f} s ({pages} page(s) at "
            f"BOSUN_INGEST_PARSE_S_PER_PAGE={self.settings.parse_s_per_page:g}) and was "
            "stopped; a damaged or hostile file can make a parser loop: check the file, "
            "or raise BOSUN_INGEST_PARSE_S_PER_PAGE"
        )
