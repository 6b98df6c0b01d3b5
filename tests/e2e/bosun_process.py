"""Run ``bosun`` in a subprocess as a user would: helpers shared by the end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until

BOSUN = str(Path(sys.executable).with_name("bosun"))
REPO_ROOT = Path(__file__).resolve().parents[2]
PASSED_THROUGH = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
"""The only variables of the developer's environment a ``bosun`` subprocess sees."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bosun_env(home: Path, **variables: str) -> dict[str, str]:
    """Return an explicit environment for ``bosun``: no BOSUN_ variable of the developer's.

    ``PYTHONPATH`` puts this checkout first, so the code under test runs (not whichever
    checkout the virtualenv's editable install points at).
    """
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        PYTHONUNBUFFERED="1",
        HF_HUB_OFFLINE="1",
        DO_NOT_TRACK="1",
        NO_PROXY="127.0.0.1,localhost",
        BOSUN_HOME=str(home),
    )
    env.update(variables)
    return env


def inherited_env(home: Path) -> dict[str, str]:
    """Return this process's environment on another home, without a database URL.

    What ``bosun_up`` and ``cli`` use when given no ``env`` (tests that set variables with
    ``monkeypatch`` rely on it); tests that must not see the developer's ``BOSUN_``
    variables pass ``env=bosun_env(...)``.
    """
    env = {**os.environ, "BOSUN_HOME": str(home)}
    env.pop("BOSUN_DATABASE_URL", None)
    return env


@contextmanager
def bosun_up(
    home: Path, port: int, *extra: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """Run ``bosun up`` on a port until the block ends (then Ctrl-C, as a user stops it).

    Its output goes to a log file beside the home, yielded with the process.
    """
    log = home.parent / f"up-{port}-{time.monotonic_ns()}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [BOSUN, "up", "--port", str(port), *extra],
            env=env if env is not None else inherited_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_for(url: str, timeout: float, proc: subprocess.Popen[str], log: Path) -> httpx.Response:
    """Poll a URL until it answers 200; fail with the server's output if it does not."""
    last: list[httpx.Response] = []

    def ready() -> httpx.Response | None:
        if proc.poll() is not None:
            pytest.fail(f"bosun up exited with {proc.returncode}:\n{log.read_text()}")
        try:
            last[:] = [httpx.get(url, timeout=2)]
        except httpx.HTTPError:
            return None
        return last[0] if last[0].status_code == 200 else None

    return wait_until(
        ready,
        timeout=timeout,
        step=0.3,
        what=lambda: f"{url} ready (last: {last and last[0].text}):\n{log.read_text()}",
    )


def cli(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one ``bosun`` command to its end."""
    return subprocess.run(
        [BOSUN, *args],
        env=env if env is not None else inherited_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )


def demo_keys(home: Path) -> dict[str, str]:
    """Return the demo users' API keys by role from ``BOSUN_HOME/demo-keys.txt``."""
    rows = (line.split("\t") for line in (home / "demo-keys.txt").read_text().splitlines())
    return {row[0]: row[2] for row in rows if len(row) == 3}
