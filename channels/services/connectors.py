"""Run the configured connectors inside ``bosun up`` (their own event loop, in a thread)."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from channels.app.runtime import Bosun
from channels.cli.connectors import build_runtime
from connectors import ConnectorRuntime, load_config

log = logging.getLogger(__name__)


def connectors_path(bosun: Bosun) -> Path | None:
    """Return the connectors.yaml bosun up should run, if any."""
    configured = bosun.settings.connectors_config
    if configured is not None:
        return configured
    default = bosun.settings.home / "connectors.yaml"
    return default if default.exists() else None


class ConnectorsThread:
    """The connector runtime on a private event loop; stop() flushes to database or buffer."""

    def __init__(self, runtime: ConnectorRuntime) -> None:
        self.runtime = runtime
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="bosun-connectors", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self.runtime.run())
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception:  # logged; the rest of Bosun keeps serving
            log.exception("connectors stopped with an error")

    def start(self) -> None:
        """Start reading."""
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and wait for in-flight readings to reach the database or buffer."""
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=30)


def start_connectors(bosun: Bosun) -> ConnectorsThread | None:
    """Start the configured connectors; None when there is no configuration."""
    path = connectors_path(bosun)
    if path is None:
        return None
    runtime, _ = build_runtime(bosun.settings, bosun.db, load_config(path))
    thread = ConnectorsThread(runtime)
    thread.start()
    bosun.extras["connectors"] = thread
    return thread
