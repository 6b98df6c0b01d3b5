"""Wait for something to happen: poll with a deadline, fail saying what did not happen.

Tests wait on events or on these helpers, never on a bare sleep: a loaded machine makes a
fixed sleep too short, an idle one makes it wasted time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


What = str | Callable[[], str]
"""What should have happened, or a function saying it (called only on failure)."""


def wait_until(
    predicate: Callable[[], T | None], *, timeout: float = 30.0, what: What = "", step: float = 0.05
) -> T:
    """Poll ``predicate`` until it returns something truthy; return that value.

    Fails with ``what`` (the thing that should have happened) after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"within {timeout} s: {_say(what, predicate)} did not happen")
        time.sleep(step)


async def wait_until_async(
    predicate: Callable[[], T | None], *, timeout: float = 10.0, what: What = "", step: float = 0.05
) -> T:
    """The asyncio twin of :func:`wait_until` (the event loop keeps running between polls)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"within {timeout} s: {_say(what, predicate)} did not happen")
        await asyncio.sleep(step)


def _say(what: What, predicate: Callable[[], object]) -> str:
    if callable(what):
        return what()
    if what:
        return what
    code = getattr(predicate, "__code__", None)
    if code is None:
        return repr(predicate)
    return f"the condition at {code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}"


def cpu_seconds(pid: int) -> float:
    """Return the CPU time a Linux process has used (0 when it is gone): proof it is working."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
