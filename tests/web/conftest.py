"""Browser tests: a real Bosun served by uvicorn, driven by Playwright in headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import skip_or_fail
from tests.waiting import wait_until

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
"""Kept in the repository: the README shows them, and every test run retakes them."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1366, "height": 850}},
    "tablet": {"viewport": {"width": 1280, "height": 800}, "has_touch": True},  # 10" landscape
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


def chromium_path() -> str:
    """Return the system Chromium, or skip (fail in CI) when it is not installed."""
    found = os.environ.get("BOSUN_TEST_CHROMIUM") or shutil.which("chromium")
    if not found:
        skip_or_fail(
            "chromium", "Chromium is not installed (apt-get install chromium); browser tests skip"
        )
    return str(found)


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """An ASGI app served by uvicorn in a thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(app: Any) -> LiveServer:
    """Serve ``app`` on a free loopback port until stopped."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=20, what="uvicorn serving the app")
    return LiveServer(url=f"http://127.0.0.1:{port}", server=server, thread=thread)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """One Playwright driver per module (a second sync driver may not run beside it).

    Not per session: the sync driver keeps an event loop running in this thread while it
    lives, which the asyncio tests of later modules cannot share.
    """
    chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """A headless system Chromium driven by Playwright."""
    launched = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a page's screenshot under docs/screenshots (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
