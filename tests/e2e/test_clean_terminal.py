"""The first ``bosun up`` prints its progress and summary only; libraries log to the file."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from channels.app.logs import LOG_FILE, LOGS_DIR
from tests.e2e.bosun_process import BOSUN, bosun_env, free_port, wait_for

pytestmark = pytest.mark.slow  # a whole first start: demo, indexing, training, manuals

LINES = [
    re.compile(r" *\d+ s \S.*"),  # a progress line: seconds since the start, then the step
    re.compile(r"Bosun serving on http://\S+ \(home .+\)"),
    re.compile(r"Demo users' API keys \(shown once; also in BOSUN_HOME/demo-keys\.txt\):"),
    re.compile(r"  \S+ +\S+@\S+ +\S+"),  # one demo user's role, email and key
    re.compile(r"Admin pages sign-in: \S+@\S+  password \S+"),
    re.compile(r"Bosun is ready in \d+ s: http://\S+  \(API docs \S+, health \S+\)"),
    re.compile(
        r"  (chat \(start page\)|admin pages|REST API|widget for a page|Slack:|Telegram:"
        r"|Link a chat account:) .+"
    ),
    re.compile(r"Bosun stopped"),
]
"""Every line the terminal may show on a healthy first start (and at Ctrl-C)."""


def test_first_start_prints_progress_and_summary_only(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with stdout.open("w") as out, stderr.open("w") as err:
        proc = subprocess.Popen(
            [BOSUN, "up", "--port", str(port)],
            env=bosun_env(home, COLUMNS="80"),
            stdout=out,
            stderr=err,
            text=True,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", 900, proc, stdout)
        deadline = time.monotonic() + 60  # /readyz answers just before the summary prints
        while "Link a chat account" not in stdout.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(120)
    lines = stdout.read_text().splitlines()
    assert [line for line in lines if not any(p.fullmatch(line) for p in LINES)] == []
    steps = [line for line in lines if LINES[0].fullmatch(line)]
    assert any("fault-history passages searchable" in s for s in steps), lines
    assert any(line.startswith("Bosun is ready") for line in lines), lines
    assert stderr.read_text() == ""  # no library warning, progress bar or stray log line
    logged = (home / LOGS_DIR / LOG_FILE).read_text()
    assert "WARNING" in logged or "INFO" in logged  # the records went to the file instead
